"""`hotline doctor`: is this machine ready to run the hotline? One line per check, with the fix."""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from dataclasses import dataclass

from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer
from telephony.pbx import PbxError, PbxSandbox
from telephony.pbx.rootfs import root_is_built

APT_PACKAGES = ("mmdebstrap", "sip-tester", "redis-server", "espeak-ng", "sox", "chromium")
PYTHON_MODULES = ("typer", "pydantic_settings", "fastapi", "uvicorn", "redis", "jinja2", "yaml", "httpx",
                  "numpy", "sherpa_onnx", "vosk", "pypinyin", "prometheus_client", "websockets", "faster_whisper",
                  "opencc")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _missing_apt_packages() -> list[str]:
    if shutil.which("dpkg-query") is None:
        return list(APT_PACKAGES)
    missing = []
    for package in APT_PACKAGES:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if "install ok installed" not in result.stdout:
            missing.append(package)
    return missing


def _missing_modules() -> list[str]:
    missing = []
    for module in PYTHON_MODULES:
        try:
            importlib.import_module(module)
        except Exception:  # an import that fails in any way is a broken dependency
            missing.append(module)
    return missing


def run_checks(settings: Settings) -> list[Check]:
    checks = [Check("root", os.geteuid() == 0, "the Asterisk sandbox runs in a chroot",
                    "run hotline as root: sudo .venv/bin/hotline ...")]
    missing = _missing_apt_packages()
    checks.append(Check("apt packages", not missing, "missing: " + " ".join(missing) if missing else
                        " ".join(APT_PACKAGES), f"sudo apt-get install -y {' '.join(missing)}"))
    checks.append(_asterisk_check(settings))
    pbx = PbxSandbox(settings)
    running = os.geteuid() == 0 and root_is_built(settings.pbx_root) and pbx.running()
    checks.append(Check("AMI login", running and pbx.ami_reachable(),
                        f"127.0.0.1:{settings.ami_port} as {settings.ami_user}" if running else "Asterisk not running",
                        "hotline pbx up" if not running else f"check HOTLINE_AMI_* and {pbx.console_log}",
                        required=running))
    redis_up = RedisServer(settings).ping()
    checks.append(Check("Redis ping", redis_up, settings.redis_url, "hotline redis up", required=False))
    model = settings.asr_model_dir
    checks.append(Check("speech model", model.is_dir(), str(model),
                        "set HOTLINE_ASR_MODEL_DIR to a model directory (see ../shared/models/README.md)"))
    if settings.asr_engine == "whisper" and "hanzi" in settings.asr_passes:
        from asr.engines.whisper import whisper_model_dir

        whisper = whisper_model_dir(settings)
        checks.append(Check("汉字 speech model", (whisper / "model.bin").is_file(), str(whisper),
                            ".venv/bin/hotline models install whisper-base"))
    missing_modules = _missing_modules()
    checks.append(Check("python deps", not missing_modules,
                        "missing: " + " ".join(missing_modules) if missing_modules else "all importable",
                        ".venv/bin/pip install -e '.[test]'"))
    return checks


def _asterisk_check(settings: Settings) -> Check:
    fix = "sudo .venv/bin/hotline pbx build"
    if not root_is_built(settings.pbx_root):
        return Check("Asterisk root", False, f"nothing at {settings.pbx_root}", fix)
    try:
        version = PbxSandbox(settings).version()
    except (PbxError, OSError, subprocess.SubprocessError) as exc:
        return Check("Asterisk root", False, str(exc), fix)
    return Check("Asterisk root", version.startswith("Asterisk 22"), f"{version} at {settings.pbx_root}",
                 f"Asterisk 22 expected; move {settings.pbx_root} away and run: {fix}")
