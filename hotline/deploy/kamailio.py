"""Kamailio (Debian kamailio 5.6) as the hotline's SIP front: dispatcher over the Asterisk nodes.
Config rendered from config/kamailio/kamailio.cfg.j2; one process tree found again by its pid file."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jinja2

from hotline.core.config import CONFIG_DIR
from telephony.pbx import process

TEMPLATE = CONFIG_DIR / "kamailio" / "kamailio.cfg.j2"


class KamailioError(RuntimeError):
    """Kamailio would not start or its config is refused; the message carries its log."""


def module_dir() -> str:
    found = sorted(Path("/usr/lib").glob("*/kamailio/modules")) or sorted(Path("/usr/lib").glob("kamailio/modules"))
    if not found:
        raise KamailioError("no Kamailio modules under /usr/lib: apt-get install kamailio")
    return str(found[0])


def options_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if something answers a SIP OPTIONS on host:port/udp with 200."""
    branch, tag = uuid.uuid4().hex[:16], uuid.uuid4().hex[:8]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        sock.sendto((f"OPTIONS sip:{host}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {host}:{local};branch=z9hG4bK{branch}"
                     f"\r\nFrom: <sip:probe@{host}>;tag={tag}\r\nTo: <sip:{host}:{port}>\r\nCall-ID: {branch}\r\n"
                     "CSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n").encode(), (host, port))
        try:
            return sock.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False


@dataclass
class Kamailio:
    state_dir: Path
    sip_port: int
    nodes: list[int]            # SIP ports of the Asterisk nodes (on host)
    host: str = "127.0.0.1"
    node_timeout_ms: int = 800   # no 100 Trying from a node within this long: try the next one (answer ≤ 2 s)
    ping_interval: int = 1       # seconds between OPTIONS probes of each node

    @property
    def cfg(self) -> Path:
        return self.state_dir / "kamailio.cfg"

    @property
    def ctl_socket(self) -> Path:
        return self.state_dir / "kamailio.ctl"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "kamailio.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "kamailio.log"

    def render(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        listing = self.state_dir / "dispatcher.list"
        listing.write_text("".join(f"1 sip:{self.host}:{port} 0 0 node={i}\n" for i, port in enumerate(self.nodes)))
        template = jinja2.Template(TEMPLATE.read_text(), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        self.cfg.write_text(template.render(
            host=self.host, sip_port=self.sip_port, module_dir=module_dir(), ctl_socket=self.ctl_socket,
            list_file=listing, node_timeout_ms=self.node_timeout_ms, ping_interval=self.ping_interval))

    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, "kamailio")

    def up(self, timeout: float = 15.0) -> None:
        if self.pid() is not None:
            return
        binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
        if not Path(binary).exists():
            raise KamailioError("kamailio is missing: apt-get install kamailio")
        self.render()
        check = subprocess.run([binary, "-c", "-f", str(self.cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise KamailioError(f"{self.cfg} refused:\n{check.stderr[-3000:]}")
        with open(self.log_file, "ab") as log:   # -DD: stay in the foreground of its own session, -E: log to it
            child = subprocess.Popen([binary, "-DD", "-E", "-f", str(self.cfg), "-Y", str(self.state_dir),
                                      "-m", "64", "-M", "8"], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid_file.write_text(f"{child.pid}\n")
        deadline = time.monotonic() + timeout
        while not options_ping(self.host, self.sip_port, 0.5):
            if child.poll() is not None or time.monotonic() > deadline:
                raise KamailioError(f"Kamailio not answering on {self.sip_port}; log:\n{process.tail(self.log_file)}")

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            process.terminate(pid, grace=5)
        self.pid_file.unlink(missing_ok=True)

    def destinations(self) -> dict[str, str]:
        """The dispatcher's view of the nodes: {uri: flags} (A active, I inactive, P probing)."""
        result = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl_socket}", "dispatcher.list"],
                                capture_output=True, text=True, timeout=5)
        return dict(re.findall(r"URI: (\S+)\s+FLAGS: (\S+)", result.stdout))
