"""Start the app for browser tests and benchmarks, and the marker words that tell their sessions apart.

Used by tests/e2e (``from bench.serve import ...``) and by the bench scripts (run as ``python bench/x.py``, which
puts this folder on ``sys.path``: ``from serve import ...``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' chromium; a test-harness setting, not the app's, so it is not in attnviz.settings.
CHROMIUM = os.environ.get("ATTNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# One word per session, none a sub-word of another, each a single token of the built-in model's vocabulary.
MARKERS = (
    "zebra violin harbor candle meadow rocket pepper glacier lantern orchard falcon tunnel basket anchor cactus "
    "dragon feather hammer island jacket kettle ladder mirror needle pillow quartz saddle turtle walnut window"
).split()

# Ordinary classroom words that the sessions' texts are made of, around their marker.
FILLER = "the students read the story about a quiet town and talked about what the main character wanted".split()


def strip_has_only(strip: str, word: str, words: tuple[str, ...] | list[str] = MARKERS) -> bool:
    """Does the token strip ``strip`` hold ``word`` as a token, and no other session's marker?"""
    return f"│ {word} │" in strip and not any(f"│ {w} │" in strip for w in words if w != word)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(extra_env: Mapping[str, str] | None = None, start_timeout_s: float = 90) -> Iterator[Server]:
    """``streamlit run app.py`` on a free loopback port, offline, stopped on exit."""
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", **(extra_env or {}))
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
            "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"]
    with launched(argv, port, env, start_timeout_s) as server:
        yield server


@contextmanager
def launched(argv: list[str], port: int, env: Mapping[str, str] | None = None,
             start_timeout_s: float = 90) -> Iterator[Server]:
    """Run ``argv``, a server on 127.0.0.1:``port``, until its ``/_stcore/health`` answers; stop it on exit.

    The server writes to a temporary file, not a pipe: nobody reads a pipe while tests run, and a chatty server
    blocks once the pipe's buffer is full. The file's tail is in the error when the server does not come up.
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, log, start_timeout_s)
            yield Server(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def _wait_healthy(url: str, proc: subprocess.Popen, log, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)  # polling a process that is starting: there is nothing to wait on but time
    log.seek(0)
    raise RuntimeError("streamlit did not start: " + log.read().decode(errors="replace")[-2000:])
