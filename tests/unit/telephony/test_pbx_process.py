"""Pid handling: a process is gone only when every one of its threads is."""
from __future__ import annotations

import subprocess
import sys
import time

from telephony.pbx import process

# The main thread exits first (its /proc stat shows "Z") while another thread, which still holds the
# process's sockets, lingers: how a stopping Asterisk looks for a moment.
LINGERING_THREAD = """
import ctypes, threading, time
threading.Thread(target=lambda: time.sleep(1.5)).start()
ctypes.CDLL(None).pthread_exit(None)
"""


def test_a_process_whose_main_thread_exited_first_is_still_alive():
    child = subprocess.Popen([sys.executable, "-c", LINGERING_THREAD])
    time.sleep(0.5)
    assert process.is_alive(child.pid)
    assert process.wait_exit(child.pid, 10)
    assert not process.is_alive(child.pid)


def test_a_pid_that_does_not_exist_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process.is_alive(child.pid)
