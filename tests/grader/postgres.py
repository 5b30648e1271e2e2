"""A throwaway PostgreSQL server for the tests: Debian's ``initdb`` and ``pg_ctl`` in a scratch folder, on a free local port.

As root it runs as the ``postgres`` user (PostgreSQL refuses root). Where no
PostgreSQL is installed, :func:`binaries` says how to install it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

INSTALL = "install PostgreSQL (`apt-get install postgresql`) to run the cluster tests"


def binaries() -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``createdb``: Debian's newest /usr/lib/postgresql/N/bin, else pg_ctl's on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(database: str = "gradebook") -> Iterator[str]:
    """Start a server with one empty ``database``; yield its SQLAlchemy URL; stop it and remove everything."""
    bin_dir = binaries()
    assert bin_dir, INSTALL
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="course-grade-pg-"))  # not under pytest's tmp_path, which the postgres user cannot enter
    data, port = folder / "data", free_port()
    if user:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    try:
        subprocess.run([*user, bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True)
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off -c max_connections=200"
        subprocess.run([*user, bin_dir / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w", "start"],
                       check=True, capture_output=True)
        try:
            subprocess.run([*user, bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database],
                           check=True, capture_output=True)
            yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
        finally:
            subprocess.run([*user, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
