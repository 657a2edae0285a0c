"""The local Asterisk sandbox: one instance of the shared Asterisk root, with its own config and ports."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hotline.core.logging import log_event
from telephony.pbx import process
from telephony.pbx.ami_probe import ami_login_ok
from telephony.pbx.config import PbxConfigError, render_config, write_config
from telephony.pbx.rootfs import ASTERISK_BINARY, root_is_built

log = logging.getLogger("telephony.pbx")
LOG_ROTATE_BYTES = 10 * 1024 * 1024
LOG_KEEP = 7


class PbxError(RuntimeError):
    """The sandbox cannot do what was asked; the message says why and what to do."""


@dataclass
class PbxStatus:
    version: str
    running: bool
    pid: int | None
    ami_reachable: bool
    ami_port: int
    sip_port: int
    log_path: Path
    console_log: Path


class PbxSandbox:
    def __init__(self, settings, queues: Callable[[], list[dict]] | None = None, template_dir: Path | None = None,
                 partners: Callable[[], list[dict]] | None = None):
        """`queues`: returns the queue list to render (the application's; read only when rendering, so
        down/status/cli work whatever the config says); `partners`: the partner destinations to render
        (endpoints, dial strings: plain data, like the queues)."""
        self.settings = settings
        self._partners = partners
        self.template_dir = template_dir or Path(settings.config_dir) / "asterisk"
        self._queues = queues
        self.root = Path(settings.pbx_root)
        self.conf = f"{settings.pbx_instance_dir}/etc/asterisk.conf"  # as Asterisk sees it
        self.host_dir = settings.host_path(settings.pbx_instance_dir)
        self.pid_file = Path(settings.state_dir) / "asterisk.pid"
        self.console_log = Path(settings.state_dir) / "logs" / "asterisk.console.log"
        self.log_path = self.host_dir / "log" / "full"

    # -- state -------------------------------------------------------------------------------------------
    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, self.conf)

    def running(self) -> bool:
        return self.pid() is not None

    def ami_reachable(self) -> bool:
        s = self.settings
        return ami_login_ok(s.ami_host, s.ami_port, s.ami_user, s.ami_secret)

    def version(self) -> str:
        self._check_root()
        result = subprocess.run(["chroot", str(self.root), "/usr/sbin/asterisk", "-V"],
                                capture_output=True, text=True, timeout=10)
        return result.stdout.strip() or result.stderr.strip()

    def status(self) -> PbxStatus:
        pid = self.pid()
        return PbxStatus(self.version(), pid is not None, pid, pid is not None and self.ami_reachable(),
                         self.settings.ami_port, self.settings.sip_port, self.log_path, self.console_log)

    # -- configuration -----------------------------------------------------------------------------------
    def queues(self) -> list[dict]:
        if self._queues is None:
            raise PbxConfigError("this PbxSandbox was made without a queue list: it cannot render the config")
        return self._queues()

    def render_config(self) -> dict[str, str]:
        return render_config(self.settings, self.template_dir, self.queues(), self.partners())

    def write_config(self, host_dir: Path | None = None) -> Path:
        return write_config(self.settings, self.template_dir, self.queues(), host_dir, self.partners())

    def partners(self) -> list[dict]:
        return self._partners() if self._partners else []

    def _config_changed(self) -> bool:
        etc = self.host_dir / "etc"
        for name, text in self.render_config().items():
            path = etc / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                return True
        return False

    # -- lifecycle ---------------------------------------------------------------------------------------
    def up(self, timeout: float = 60.0) -> bool:
        """Start (or keep) the instance; returns True if it was started by this call."""
        self._check_root()
        if self.running():
            if self._config_changed():
                self.write_config()
                self.cli("core reload")
                log_event(log, "pbx config reloaded", instance=self.settings.instance)
            self._wait_ready(self.pid(), timeout)
            self.rotate_logs()
            return False
        self._check_ports_free()
        self.write_config()
        pid = self._spawn()
        self._wait_ready(pid, timeout)
        self.rotate_logs()
        log_event(log, "pbx up", instance=self.settings.instance, pid=pid, ami_port=self.settings.ami_port,
                  sip_port=self.settings.sip_port)
        return True

    def down(self, timeout: float = 15.0) -> bool:
        """Stop this instance (and only it). Returns False if it was not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            self._asterisk_rx("core stop now", timeout=timeout)
        except (PbxError, subprocess.TimeoutExpired):
            pass  # the signals below take over
        if not process.wait_exit(pid, timeout):
            process.terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        self._wait_ports_free(timeout)   # so that an `up` right after finds them free
        log_event(log, "pbx down", instance=self.settings.instance, pid=pid)
        return True

    def restart(self, timeout: float = 60.0) -> None:
        self.down()
        self.up(timeout)

    def rotate_logs(self, max_bytes: int = LOG_ROTATE_BYTES, keep: int = LOG_KEEP) -> bool:
        """queue_log and full carry caller numbers: rotate them past max_bytes (Asterisk's `logger rotate`,
        logger.conf rotatestrategy=rotate: .0 newest) and keep `keep` old ones. True if rotated."""
        log_dir = self.host_dir / "log"
        rotated = any(p.stat().st_size > max_bytes for p in (log_dir / "queue_log", log_dir / "full") if p.exists())
        if rotated:
            self.cli("logger rotate")
            log_event(log, "pbx logs rotated", instance=self.settings.instance)
        for old in log_dir.glob("*.[0-9]*"):
            if old.suffix[1:].isdigit() and int(old.suffix[1:]) >= keep:
                old.unlink(missing_ok=True)
        return rotated

    def cli(self, command: str, timeout: float = 15.0) -> str:
        """Run an Asterisk CLI command against this instance; returns its output."""
        if not self.running():
            raise PbxError(f"the Asterisk sandbox '{self.settings.instance}' is not running: run `hotline pbx up`")
        result = self._asterisk_rx(command, timeout=timeout)
        return result.stdout

    # -- internals ---------------------------------------------------------------------------------------
    def _check_root(self) -> None:
        if os.geteuid() != 0:
            raise PbxError("the Asterisk sandbox runs in a chroot and needs root: run the command with sudo")
        if not root_is_built(self.root):
            raise PbxError(f"no Asterisk root at {self.root} ({ASTERISK_BINARY} missing): run `hotline pbx build`")

    def _check_ports_free(self) -> None:
        taken = self._taken_port()
        if taken:
            raise PbxError(taken)

    def _wait_ports_free(self, timeout: float) -> None:
        """A stopped Asterisk's sockets close a moment after its pid is gone: give them that moment."""
        deadline = time.monotonic() + timeout
        while self._taken_port() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _taken_port(self) -> str | None:
        s = self.settings
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", s.ami_port)) == 0:
                return (f"AMI port {s.ami_port} is already taken by another process; "
                        "choose another HOTLINE_AMI_PORT or stop that process")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", s.sip_port))
            except OSError:
                return f"SIP port {s.sip_port}/udp is already taken; choose another HOTLINE_SIP_PORT"
        return None

    def _spawn(self) -> int:
        self.console_log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.console_log, "ab") as console:
            # umask 077: recordings, queue_log, astdb are Asterisk's (root's) only, never world-readable
            child = subprocess.Popen(["chroot", str(self.root), "/usr/sbin/asterisk", "-f", "-C", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                                     start_new_session=True, umask=0o077)
        self.pid_file.write_text(f"{child.pid}\n")
        return child.pid

    def _asterisk_rx(self, command: str, timeout: float) -> subprocess.CompletedProcess:
        result = subprocess.run(["chroot", str(self.root), "/usr/sbin/asterisk", "-C", self.conf, "-rx", command],
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise PbxError(f"asterisk -rx {command!r} failed: {(result.stderr or result.stdout).strip()}")
        return result

    def _wait_ready(self, pid: int | None, timeout: float) -> None:
        """Until Asterisk is fully booted and the AMI accepts our login."""
        deadline = time.monotonic() + timeout
        booted = False
        while time.monotonic() < deadline:
            if pid is None or not process.is_alive(pid):
                raise PbxError(f"Asterisk exited during start-up; log tail:\n{self._log_tail()}")
            try:
                booted = booted or self._asterisk_rx("core waitfullybooted", timeout=5).returncode == 0
            except (PbxError, subprocess.TimeoutExpired):
                pass
            if booted and self.ami_reachable():
                return
            time.sleep(0.2)
        raise PbxError(f"Asterisk not ready after {timeout:.0f}s (booted={booted}); log tail:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return f"--- {self.console_log}\n{process.tail(self.console_log)}\n--- {self.log_path}\n" \
               f"{process.tail(self.log_path)}"
