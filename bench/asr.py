"""ASR benchmark, per engine and pass, at 8 kHz (telephone) and 16 kHz:

- accuracy on the real dev set (HOTLINE_SAMPLES_DIR, default ../shared/asr-dev: 31 clips, 291 s, human or
  published references): CER for the 汉字 engines after normalising both sides (asr.metrics.normalise_hanzi),
  toned/toneless pinyin syllable error for sherpa-onnx (reference read by pypinyin), sherpa keyword recall
  on the model's test_wavs;
- RTF with 1 and 2 threads, model load time and peak RSS, each engine in a fresh process;
- recording end → ticket latency p50/p95 for 15 s descriptions (asr_pipeline.py): sherpa-only pipeline and the
  two-pass pipeline (keywords, then 汉字) in the same run, 1 and 2 worker processes, paced and burst.

    .venv/bin/python bench/asr.py [--burst 28] [--paced 12] [--interval 3] [--skip-pipeline] [--write-docs]

Vosk is measured in bench history only (docs/performance.md): the Mandarin Vosk models are not obtainable here.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # reference transcripts (test data)

from asr_references import KEYWORD_FILES  # noqa: E402

from asr.metrics import character_error_rate, error_rate  # noqa: E402
from hotline.core.config import PROJECT_DIR, Settings  # noqa: E402

from _common import write_doc_section  # noqa: E402

DOC = PROJECT_DIR / "docs" / "performance.md"
# the dev set's README: far-field, noise + prompts, fast speech, tongue twister, code-switching
HARD = ("k2sherpa_far", "k2sherpa_qwen3_", "aliyun_bailian_hello_world", "funasr_csharp_ex3")
START, END = "<!-- bench/asr.py:start -->", "<!-- bench/asr.py:end -->"


def dev_set(directory: Path) -> list[tuple[str, str]]:
    with (directory / "transcripts.tsv").open(encoding="utf-8") as handle:
        return [(row["id"], row["reference_text"]) for row in csv.DictReader(handle, delimiter="\t")]


def _measure(engine: str, threads: int, files: list[str], keywords: list[str]) -> dict:
    """In a fresh process: load time, every file's transcript and timing, peak RSS."""
    from asr.engines.sherpa import SherpaEngine
    from asr.engines.whisper import WhisperEngine, whisper_model_dir

    settings = Settings()
    started = time.perf_counter()
    if engine == "whisper":
        loaded = WhisperEngine(whisper_model_dir(settings), keywords, num_threads=threads)
    else:
        loaded = SherpaEngine(settings.asr_model_dir, keywords, num_threads=threads)
    load_s = time.perf_counter() - started
    out = []
    for path in files:
        t = loaded.transcribe_file(path)
        out.append({"text": t.text, "pinyin": t.pinyin or "", "keywords": [k.word for k in t.keywords],
                    "audio_s": t.audio_seconds, "proc_s": t.processing_seconds})
    return {"load_s": load_s, "results": out, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(engine: str, threads: int, files: list[Path], keywords: list[str] | None = None) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_measure, (engine, threads, [str(f) for f in files], keywords or []))


def reference_pinyin(text: str) -> list[str]:
    import cn2an

    from asr.pinyin import hanzi_to_pinyin

    try:
        text = cn2an.transform(text, "an2cn")  # "8号线" is read 八号线
    except (ValueError, KeyError, IndexError):
        pass
    return hanzi_to_pinyin(text).split()


def syllable_errors(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    from asr.pinyin import strip_tones

    ref = [reference_pinyin(r) for r in refs]
    hyp = [h.split() for h in hyps]
    toneless = error_rate([[strip_tones(s) for s in r] for r in ref], [[strip_tones(s) for s in h] for h in hyp])
    return error_rate(ref, hyp), toneless


def rtf(run: dict, first: int | None = None) -> float:
    results = run["results"][:first]
    return sum(r["proc_s"] for r in results) / sum(r["audio_s"] for r in results)


def accuracy_rows(dev: Path, rtf_subset: int) -> list[str]:
    clips = dev_set(dev)
    refs = [ref for _, ref in clips]
    easy = [i for i, (cid, _) in enumerate(clips) if not cid.startswith(HARD)]
    rows = [f"Accuracy on all {len(clips)} clips, and without the {len(clips) - len(easy)} hard ones; RTF on the first "
            f"{rtf_subset} clips (the same clips for 1 and 2 threads).", "",
            "| engine | rate | CER (all) | CER (without hard clips) | pinyin err (toned / toneless) | RTF 2 threads "
            "| RTF 1 thread | load s | peak RSS |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for engine in ("whisper", "sherpa-onnx"):
        for rate in ("8k", "16k"):
            files = [dev / rate / f"{cid}.wav" for cid, _ in clips]
            two = measure(engine, 2, files)
            one = measure(engine, 1, files[:rtf_subset])
            hyps = [r["text"] if engine == "whisper" else r["pinyin"] for r in two["results"]]
            cer = (f"{character_error_rate(refs, hyps):.3f} | "
                   f"{character_error_rate([refs[i] for i in easy], [hyps[i] for i in easy]):.3f}"
                   if engine == "whisper" else "— | —")
            pin = "—" if engine == "whisper" else "{:.3f} / {:.3f}".format(*syllable_errors(refs, hyps))
            rows.append(f"| {engine} | {rate} | {cer} | {pin} | {rtf(two, rtf_subset):.3f} | {rtf(one):.3f} | "
                        f"{min(two['load_s'], one['load_s']):.2f} | {max(two['rss_mb'], one['rss_mb']):.0f} MB |")
            print(rows[-1], flush=True)
    return rows


def keyword_recall() -> str:

    wavs = Settings().asr_model_dir / "test_wavs"
    names = sorted(set(KEYWORD_FILES.values()))
    found = {}
    for engine in ("sherpa-onnx", "whisper"):
        run = measure(engine, 2, [wavs / n for n in names], list(KEYWORD_FILES))
        hits = {name: set(r["keywords"]) for name, r in zip(names, run["results"])}
        found[engine] = sum(word in hits[name] for word, name in KEYWORD_FILES.items())
    return (f"Keyword recall on the model's test_wavs (8 test keywords, 16 kHz): sherpa-onnx spotter "
            f"{found['sherpa-onnx']}/8, Whisper text {found['whisper']}/8.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=Settings().samples_dir)
    parser.add_argument("--rtf-subset", type=int, default=10, help="clips for the 1-thread RTF run")
    parser.add_argument("--burst", type=int, default=28)
    parser.add_argument("--paced", type=int, default=12)
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the pipeline latency (prints; no docs)")
    parser.add_argument("--write-docs", action="store_true", help=f"replace the ASR section of {DOC}")
    args = parser.parse_args()
    if not (args.dev / "transcripts.tsv").is_file():
        sys.exit(f"no dev set at {args.dev} (transcripts.tsv): set HOTLINE_SAMPLES_DIR or --dev")
    started = time.time()
    if args.skip_accuracy:
        from asr_pipeline import pipeline_rows

        print("\n".join(pipeline_rows(args.dev, args.burst, args.paced, args.interval)))
        return
    lines = accuracy_rows(args.dev, args.rtf_subset)
    lines += ["", keyword_recall()]
    print(lines[-1], flush=True)
    if not args.skip_pipeline:
        from asr_pipeline import pipeline_rows

        lines += ["", *pipeline_rows(args.dev, args.burst, args.paced, args.interval)]
    lines += ["", f"Run took {time.time() - started:.0f} s on {multiprocessing.cpu_count()} shared cores."]
    print("\n".join(lines))
    if args.write_docs:
        section = "\n".join([START, "## ASR engines and passes (bench/asr.py)", "",
                             f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python bench/asr.py --write-docs`.",
                             "", *lines, "", END, ""])
        write_doc_section(DOC, START, END, section)
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
