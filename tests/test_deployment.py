"""helpers.deployment: quiet tool calls, sizes, ports and a local server's life."""

from __future__ import annotations

import os
import socket
import sys
import urllib.request

import pytest

from helpers import deployment


def test_quiet_drops_what_a_successful_block_writes(capfd):
    with deployment.quiet():
        os.write(2, b"from C\n")
        print("from Python", file=sys.stderr)
        print("on stdout")
    out, err = capfd.readouterr()
    assert "from C" not in err and "from Python" not in err and "on stdout" not in out


def test_quiet_shows_what_a_failing_block_wrote(capfd):
    with pytest.raises(ValueError, match="broken"):
        with deployment.quiet():
            os.write(2, b"a note from C\n")
            raise ValueError("broken")
    assert "a note from C" in capfd.readouterr().err
    print("after", file=sys.stderr)  # standard error works again
    assert "after" in capfd.readouterr().err


def test_size_bytes_of_a_file_and_of_a_folder(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    assert deployment.size_bytes(tmp_path / "a") == 10
    assert deployment.size_bytes(tmp_path) == 15


def test_free_port_can_be_bound_on_loopback():
    port = deployment.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(sys.argv[2].encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200 if body.startswith(b"{") else 400)
        self.end_headers()
        self.wfile.write(b'{"echo": ' + body + b'}' if body.startswith(b"{") else b'{"detail": "not JSON"}')

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_local_server_starts_answers_and_stops(tmp_path):
    (tmp_path / "server.py").write_text(SERVER)
    server = deployment.LocalServer(tmp_path / "server.py", deployment.free_port(), "hello", log=tmp_path / "log", timeout=30)
    with server:
        with urllib.request.urlopen(server.url + "/health", timeout=5) as response:
            assert response.read() == b"hello"
        assert server.post("predict", {"pixels": [1, 2]}) == (200, {"echo": {"pixels": [1, 2]}})
        assert server.post("predict", b"hello") == (400, {"detail": "not JSON"})
    assert server.process.poll() is not None


def test_a_server_that_dies_says_why(tmp_path):
    (tmp_path / "server.py").write_text("raise SystemExit('no model file')\n")
    with pytest.raises(RuntimeError, match="no model file"):
        with deployment.LocalServer(tmp_path / "server.py", deployment.free_port(), log=tmp_path / "log", timeout=30):
            pass


def test_version_of_an_installed_and_of_a_missing_package():
    assert deployment.version("numpy").count(".") >= 1
    assert deployment.version("no-such-package-here") is None
