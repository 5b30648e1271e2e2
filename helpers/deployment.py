"""Plumbing for notebook 13 (deployment and serving): quiet tool calls, file sizes, a local server's life.

Not part of any lesson. Exporters and runtimes (ExecuTorch, LiteRT, ONNX
Runtime's quantizer) write progress notes to standard error, from Python and
from C++: :func:`quiet` keeps them out of the notebook unless the call fails,
when it shows them. :class:`LocalServer` starts a model server as a child
process on 127.0.0.1, waits until it answers, posts JSON to it, and stops it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path


@contextlib.contextmanager
def quiet():
    """Run a block with standard error (file descriptor 2 and ``sys.stderr``), ``sys.stdout``, warnings and logging captured.

    On success the captured text is dropped; on an exception it is printed
    before the exception goes on, so nothing that explains a failure is lost.
    """
    sys.stderr.flush()
    saved_fd, saved_streams = os.dup(2), (sys.stdout, sys.stderr)
    captured, text = tempfile.TemporaryFile(mode="w+b"), io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(text)
    saved_handlers = root.handlers[:]
    try:
        os.dup2(captured.fileno(), 2)
        sys.stdout = sys.stderr = text
        root.handlers = [handler]
        logging.disable(logging.INFO)  # and below: libraries' own handlers (TensorFlow's) would still print them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except BaseException:
        _restore(saved_fd, saved_streams, root, saved_handlers)
        captured.seek(0)
        sys.stderr.write(captured.read().decode(errors="replace") + text.getvalue())
        raise
    else:
        _restore(saved_fd, saved_streams, root, saved_handlers)
    finally:
        os.close(saved_fd)
        captured.close()


def _restore(saved_fd, saved_streams, root, handlers) -> None:
    sys.stdout, sys.stderr = saved_streams
    os.dup2(saved_fd, 2)
    root.handlers = handlers
    logging.disable(logging.NOTSET)


def size_bytes(path) -> int:
    """Bytes in a file, or in all the files under a folder (a SavedModel is a folder)."""
    path = Path(path)
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def version(package: str) -> str | None:
    """The installed version of a distribution (``"ai-edge-litert"``), or None where it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """``python script port *args`` as a child process serving on ``http://127.0.0.1:port``; a context manager.

    Its output goes to ``log`` (read it with :meth:`log_text`); entering waits
    until ``GET health`` answers 200, and fails with the log if the process
    ends or ``timeout`` seconds pass first. Leaving stops the process.
    """

    def __init__(self, script, port: int, *args, log, health: str = "/health", timeout: float = 120):
        self.url, self.health, self.timeout, self.log = f"http://127.0.0.1:{port}", health, timeout, Path(log)
        self.command = [sys.executable, str(script), str(port), *map(str, args)]
        self.process = None

    def __enter__(self) -> LocalServer:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with code {self.process.returncode} before answering; its log:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + self.health, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"the server did not answer {self.url + self.health} within {self.timeout:.0f} s; its log:\n{self.log_text()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server and its worker processes (its whole process group)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    def post(self, route: str, body, timeout: float = 30) -> tuple[int, object]:
        """POST ``body`` (JSON-encoded, or bytes as they are) to ``route``; the status code and the decoded JSON answer."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/{route}", data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
