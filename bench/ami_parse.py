"""AMI stream parsing: our asyncio protocol vs the client-named asterisk-ami and pyst2, same bytes, same run.

    .venv/bin/python bench/ami_parse.py                 # record a real stream (sandbox Asterisk + SIPp load)
    .venv/bin/python bench/ami_parse.py --from FILE     # reuse a recorded stream

Recording: logs in to this instance's sandbox AMI, keeps the AstDB heartbeat fresh (calls enter AsyncAGI,
the watchdog sends them on to the fallback and the queue) and saves every byte received while SIPp
places --calls calls. Raw bytes go to bench/results/ (gitignored).

Each library parses through its own real entry point, fed from a socketpair by the same feeder thread:
  ours        AmiConnection (asyncio reader -> FrameParser -> routing -> dispatch callback)
  asterisk-ami AMIClient.listen() (its _next_pack framing + Event.read / Response.read + listeners)
  pyst2       Manager._receive_data (its line reader on the socket file it makes in connect())
              + ManagerMsg / Event, as Manager.message_loop does
plus our FrameParser alone over 64 KiB chunks (no socket), to show where the time goes.
"""
from __future__ import annotations

import argparse
import asyncio
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telephony.ami.connection import AmiConnection  # noqa: E402
from telephony.ami.protocol import FrameParser  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_FILE = RESULTS / "ami_stream.bin"


# --- recording ---------------------------------------------------------------------------------------
async def record(path: Path, calls: int, rate: int) -> None:
    from hotline.core.config import Settings
    from hotline.pbx import sandbox

    settings = Settings()
    sandbox(settings).up()
    reader, writer = await asyncio.open_connection(settings.ami_host, settings.ami_port)
    writer.write(f"Action: Login\r\nActionID: rec\r\nUsername: {settings.ami_user}\r\n"
                 f"Secret: {settings.ami_secret}\r\n\r\n".encode())
    captured = bytearray()
    stop = asyncio.Event()

    async def capture() -> None:
        while not stop.is_set() and (chunk := await reader.read(65536)):
            captured.extend(chunk)

    async def heartbeat() -> None:
        while not stop.is_set():
            beat = f"Action: Setvar\r\nVariable: HOTLINE_HEARTBEAT\r\nValue: {int(time.time())}\r\n\r\n"
            writer.write(beat.encode())
            await asyncio.sleep(1)

    tasks = [asyncio.create_task(capture()), asyncio.create_task(heartbeat())]
    await asyncio.sleep(1.5)
    sipp = await asyncio.create_subprocess_exec(
        "sipp", "-sn", "uac", f"127.0.0.1:{settings.sip_port}", "-s", settings.hotline_number, "-i", "127.0.0.1",
        "-p", str(_free_udp_port()), "-mp", str(_free_udp_port()), "-m", str(calls), "-r", str(rate),
        "-l", str(rate * 3), "-d", "2500", "-timeout", "300", "-nostdin",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    code = await sipp.wait()
    await asyncio.sleep(3)  # trailing hangups
    stop.set()
    writer.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(captured))
    print(f"recorded {len(captured) / 1e6:.1f} MB from {calls} SIPp calls (sipp exit {code}) -> {path}")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the contenders ----------------------------------------------------------------------------------
def _feeder(data: bytes) -> tuple[socket.socket, threading.Thread]:
    """A socketpair whose far end a thread fills with `data`, then closes."""
    ours, theirs = socket.socketpair()

    def feed() -> None:
        theirs.sendall(data)
        theirs.close()
    return ours, threading.Thread(target=feed, daemon=True)


def run_ours_parser(data: bytes) -> tuple[int, float, int]:
    parser = FrameParser()
    started = time.perf_counter()
    events = sum(m.is_event for i in range(0, len(data), 65536) for m in parser.feed(data[i:i + 65536]))
    return events, time.perf_counter() - started, 0


def run_ours_socket(data: bytes) -> tuple[int, float, int]:
    async def main() -> tuple[int, float]:
        sock, feeder = _feeder(data)
        count = [0]
        started = time.perf_counter()
        feeder.start()
        reader, writer = await asyncio.open_connection(sock=sock)
        conn = AmiConnection(reader, writer, on_event=lambda message: count.__setitem__(0, count[0] + 1))
        await conn.wait_closed()
        return count[0], time.perf_counter() - started
    events, seconds = asyncio.run(main())
    return events, seconds, 0


def run_asterisk_ami(data: bytes) -> tuple[int, float, int]:
    from asterisk.ami import AMIClient

    sock, feeder = _feeder(data)
    client = AMIClient()
    client._socket = sock  # what AMIClient.connect() sets up, minus the TCP connect
    client.finished = threading.Event()
    count = [0, 0]
    client.add_listener(on_event=lambda source, event: count.__setitem__(0, count[0] + 1),
                        on_unknown=lambda source, pack: count.__setitem__(1, count[1] + 1))
    started = time.perf_counter()
    feeder.start()
    client.listen()  # its reader loop; returns when the socket closes
    return count[0], time.perf_counter() - started, count[1]


def run_pyst2(data: bytes) -> tuple[int, float, int]:
    from asterisk.manager import Event, Manager, ManagerMsg

    sock, feeder = _feeder(data)
    manager = Manager()
    manager._sock = sock.makefile(mode="rwb", buffering=0)  # exactly as Manager.connect() does
    manager._connected.set()
    manager._running.set()
    reader = threading.Thread(target=manager._receive_data, daemon=True)
    events = failures = 0
    started = time.perf_counter()
    feeder.start()
    reader.start()
    while (lines := manager._message_queue.get()) is not None:
        try:  # Manager.message_loop's body; there an exception kills the loop thread
            message = ManagerMsg(lines)
            if message.has_header("Event"):
                Event(message)
                events += 1
        except Exception:
            failures += 1
    seconds = time.perf_counter() - started
    manager._running.clear()
    return events, seconds, failures


CONTENDERS = {
    "ours: FrameParser only": run_ours_parser,
    "ours: AmiConnection via socket": run_ours_socket,
    "asterisk-ami 0.1.7 AMIClient": run_asterisk_ami,
    "pyst2 0.5.1 Manager": run_pyst2,
}


def without_chanvars(data: bytes) -> bytes:
    """The stream minus ChanVariable lines: the only input pyst2 can parse on Python 3."""
    return re.sub(rb"\r\n\w*ChanVariable[^\r\n]*", b"", data)


def bench(data: bytes, repeat: int, label: str) -> None:
    print(f"\n{label}: {len(data) / 1e6:.2f} MB")
    print(f"{'parser':<32}{'events':>9}{'failed':>8}{'best s':>9}{'events/s':>12}{'vs ours':>9}")
    baseline = None
    for name, run in CONTENDERS.items():
        best = None
        for _ in range(repeat):
            events, seconds, failed = run(data)
            best = min(best or (seconds, events, failed), (seconds, events, failed))
            if seconds > 5:
                break  # 50x slower already; repeating only burns the shared CPU
        seconds, events, failed = best
        rate = events / seconds
        if name.startswith("ours: AmiConnection"):
            baseline = rate
        ratio = f"{rate / baseline:8.2f}x" if baseline else ""
        print(f"{name:<32}{events:>9}{failed:>8}{seconds:>9.3f}{rate:>12,.0f}{ratio:>9}")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--from", dest="source", type=Path, help="recorded stream to reuse")
    args.add_argument("--out", type=Path, default=DEFAULT_FILE)
    args.add_argument("--calls", type=int, default=300)
    args.add_argument("--rate", type=int, default=15, help="calls per second")
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    source = opts.source
    if source is None:
        asyncio.run(record(opts.out, opts.calls, opts.rate))
        source = opts.out
    data = source.read_bytes()
    bench(data, opts.repeat, f"recorded stream {source.name}")
    bench(without_chanvars(data), opts.repeat, "same stream without ChanVariable lines (pyst2-parseable)")


if __name__ == "__main__":
    main()
