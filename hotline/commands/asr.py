"""`hotline asr transcribe FILE.wav`: offline speech recognition of one recording, as JSON."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from asr.audio import AudioError
from asr.base import AsrError
from hotline.core.config import Settings

app = typer.Typer(no_args_is_help=True)

EXIT_BAD_INPUT = 2
EXIT_ENGINE = 3
JSON_FIELDS = ("engine", "model", "text", "pinyin", "keywords", "confidence", "audio_seconds",
               "processing_seconds", "no_speech")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def transcribe(
    wav: Path = typer.Argument(..., help="WAV file: PCM16, mu-law or a-law; 8 or 16 kHz (any rate works)."),
    engine: str | None = typer.Option(None, "--engine", "-e",
                                      help="whisper, sherpa-onnx or vosk (default: HOTLINE_ASR_ENGINE, whisper)."),
    keyword: list[str] = typer.Option([], "--keyword", "-k", help="汉字 keyword to spot; repeat for more."),
) -> None:
    """Print one JSON object: engine, model, text (simplified 汉字; '' from sherpa-onnx, which writes pinyin),
    pinyin, keywords, confidence, timings."""
    from asr.audio import load_wav
    from asr.engines import load_engine  # engines import onnxruntime/Kaldi: only when asked to transcribe

    try:
        load_wav(wav)   # bad input is refused before a model is loaded
    except AudioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    settings = Settings(asr_engine=engine) if engine else Settings()
    try:
        loaded = load_engine(settings, keyword)
    except AsrError as exc:
        _fail(str(exc), EXIT_ENGINE)
    try:
        transcript = loaded.transcribe_file(wav)
    except AudioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    result = transcript.to_dict()
    typer.echo(json.dumps({key: result[key] for key in JSON_FIELDS}, ensure_ascii=False))


@app.command()
def worker(
    consumer: str | None = typer.Option(None, help="Consumer name in the pass's group (default: host-pid)."),
    processes: int = typer.Option(1, min=1, max=32, help="Worker processes per pass, each loading its engine once."),
    claim_idle: float = typer.Option(60.0, min=1.0, help="Take over jobs pending longer than this (s) from dead workers; "
                                     "also the wait before a failed job is tried again."),
    max_attempts: int = typer.Option(3, min=1, max=100, help="Tries before a failing job goes to hotline:recordings:dead."),
    passes: list[str] = typer.Option([], "--pass", help="fast (keywords) or hanzi (汉字 text); repeat for both "
                                     "(default: HOTLINE_ASR_PASSES, both)."),
) -> None:
    """Consume ASR jobs from hotline:recordings and write transcripts onto draft tickets (tickets feature)."""
    from hotline.tickets.passes import PASSES
    from hotline.tickets.worker_main import run_processes

    unknown = [name for name in passes if name not in PASSES]
    if unknown:
        _fail(f"--pass {unknown[0]!r}: unknown pass; choose {' or '.join(PASSES)}", EXIT_BAD_INPUT)
    run_processes(Settings(), consumer, processes, claim_idle, passes or None, max_attempts)


@app.command()
def retry(
    ident: str | None = typer.Argument(None, metavar="ID", help="Ticket id or call id whose recording to transcribe again."),
    failed: bool = typer.Option(False, "--failed", help="Every dead-lettered job (hotline:recordings:dead)."),
) -> None:
    """Run ASR jobs again: one ticket's, or all that failed too often. A running worker picks them up."""
    from hotline.commands import fail, run_with_redis
    from hotline.tickets import jobs, service

    if bool(ident) == failed:
        _fail("give a ticket/call ID or --failed (not both)", EXIT_BAD_INPUT)

    async def run(redis):
        if failed:
            return await jobs.retry_failed(redis)
        try:
            return [await jobs.retry(redis, ident)]
        except (service.TicketNotFound, service.TicketInvalid) as exc:
            fail(exc)
    done = run_with_redis(run)
    for job in done:
        typer.echo(f"queued {job.get('call_id', '?')}  {job.get('path', '')}")
    typer.echo(f"{len(done)} job(s) queued")
