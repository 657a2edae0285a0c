"""A blocking one-shot AMI login, to tell whether the sandbox's manager interface really works."""
from __future__ import annotations

import socket
import time


def ami_login_ok(host: str, port: int, user: str, secret: str, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            reader = sock.makefile("rb")
            if not reader.readline().startswith(b"Asterisk Call Manager"):
                return False
            sock.sendall((f"Action: Login\r\nActionID: probe\r\nUsername: {user}\r\n"
                          f"Secret: {secret}\r\nEvents: off\r\n\r\n").encode())
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                line = reader.readline()
                if not line:
                    return False
                if line.startswith(b"Response:"):
                    ok = b"Success" in line
                    sock.sendall(b"Action: Logoff\r\n\r\n")
                    return ok
    except OSError:
        return False
    return False
