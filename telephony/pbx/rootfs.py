"""The shared Asterisk root: a Debian unstable tree with package asterisk, built once by mmdebstrap."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

APT_SOURCES_DIR = Path("/etc/apt/sources.list.d")
APT_SOURCES_LIST = Path("/etc/apt/sources.list")
ASTERISK_BINARY = "usr/sbin/asterisk"


class PbxBuildError(RuntimeError):
    """The Asterisk root cannot be built; the message says what to do."""


def root_is_built(root: Path) -> bool:
    return (root / ASTERISK_BINARY).is_file()


def _deb822_mirrors(text: str) -> list[str]:
    mirrors = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.+)$", stanza, re.MULTILINE))
        suites = fields.get("Suites", "").split()
        if "deb" not in fields.get("Types", "").split() or not suites:
            continue
        # a plain Debian suite, not bookworm-security / bookworm-updates
        if any("-" not in suite for suite in suites):
            mirrors.extend(fields.get("URIs", "").split())
    return mirrors


def _one_line_mirrors(text: str) -> list[str]:
    mirrors = []
    for line in text.splitlines():
        parts = re.sub(r"\[[^\]]*\]", "", line.split("#", 1)[0]).split()
        if len(parts) >= 3 and parts[0] == "deb" and "-" not in parts[2]:
            mirrors.append(parts[1])
    return mirrors


def find_debian_mirror(sources_dir: Path = APT_SOURCES_DIR, sources_list: Path = APT_SOURCES_LIST) -> str:
    """The Debian mirror this machine already uses (never a hard-coded host)."""
    candidates: list[str] = []
    for path in sorted(sources_dir.glob("*.sources")) if sources_dir.is_dir() else []:
        candidates += _deb822_mirrors(path.read_text(errors="replace"))
    if sources_list.is_file():
        candidates += _one_line_mirrors(sources_list.read_text(errors="replace"))
    debian = [uri for uri in candidates if "security" not in uri]
    if not debian:
        raise PbxBuildError(
            f"no Debian mirror found in {sources_dir}/*.sources or {sources_list}; "
            "add a 'deb' source for your Debian mirror")
    return debian[0].rstrip("/")


def build_command(root: Path, mirror: str) -> list[str]:
    return ["mmdebstrap", "--variant=apt", "--aptopt=Acquire::Check-Valid-Until \"false\"",
            "--include=asterisk", "sid", f"{root}.tmp", f"deb {mirror} sid main"]


def build_root(root: Path, log=print) -> bool:
    """Build the root unless it exists. Returns True if it was built now."""
    if root_is_built(root):
        return False
    if os.geteuid() != 0:
        raise PbxBuildError("building the Asterisk root needs root: run `sudo hotline pbx build`")
    if shutil.which("mmdebstrap") is None:
        raise PbxBuildError("mmdebstrap is missing: run `sudo apt-get install mmdebstrap`")
    if root.exists() and any(root.iterdir()):
        raise PbxBuildError(f"{root} exists but holds no {ASTERISK_BINARY}; move it away, then build again")
    mirror = find_debian_mirror()
    tmp = Path(f"{root}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)  # a half-built tree from an interrupted build
    root.parent.mkdir(parents=True, exist_ok=True)
    command = build_command(root, mirror)
    log(f"building the Asterisk root: {' '.join(command)}")
    result = subprocess.run(command)
    if result.returncode != 0 or not root_is_built(tmp):
        raise PbxBuildError(f"mmdebstrap failed (exit {result.returncode}); see its output above")
    if root.exists():
        root.rmdir()  # only ever an empty placeholder; anything else is refused above
    tmp.rename(root)  # atomic: the root is either complete or absent
    return True
