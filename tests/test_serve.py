"""The browser tests' and benchmarks' server launcher (bench/serve.py) never lets a chatty server block."""

from __future__ import annotations

import sys
import urllib.request

import pytest

from bench.serve import free_port, launched

# Writes 2 MB (a pipe holds 64 KB) before it listens, then logs a line for every request, as a busy server does.
CHATTY = """
import http.server, sys
sys.stdout.write("chatter " * 250_000)
sys.stdout.flush()
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("x" * 10_000, flush=True)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


def test_launcher_drains_a_server_that_prints_megabytes_before_it_serves():
    port = free_port()
    with launched([sys.executable, "-c", CHATTY, str(port)], port, start_timeout_s=30) as server:
        for _ in range(20):
            with urllib.request.urlopen(server.url + "/_stcore/health", timeout=10) as reply:
                assert reply.read() == b"ok"


def test_launcher_reports_the_tail_of_a_server_that_dies():
    port = free_port()
    dies = "import sys; print('chatter ' * 100_000); sys.exit('no model here')"
    with pytest.raises(RuntimeError, match="no model here"):
        with launched([sys.executable, "-c", dies], port, start_timeout_s=30):
            pass
