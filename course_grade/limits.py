"""Resource limits for every kernel that grades a student's notebook: memory, processes, writable disk.

Not part of any lesson. A submission can allocate memory until the machine
swaps, fork until it cannot start a process, or fill whatever it may write.
Each grading kernel therefore runs in a control group of its own (the
``cgroup`` backend), created before it starts and joined by its launch command
(a shell that writes its own pid into the group, then ``exec``\\s bwrap), so
the kernel and everything it starts are bounded by the operating system from
their first instruction:

- memory: ``memory.limit_in_bytes`` (cgroup v1) or ``memory.max`` (v2), swap
  included where the kernel accounts it; past it the kernel is killed by the
  out-of-memory killer, which the group counts (``oom_kill``);
- processes and threads: ``pids.max``; a fork past it fails (``EAGAIN``),
  which the group counts (``pids.events``);
- writable disk: the sandbox's three tmpfs (``/tmp``, ``/dev/shm`` and its
  sockets' folder), ``disk`` bytes each, whose pages the memory limit counts as well.

Where no control group can be made (no memory and pids controllers, or not
allowed to), the ``rlimit`` backend (:class:`KernelRlimits`) bounds each
process of the kernel instead, through the same launch command: ``prlimit``
sets ``RLIMIT_DATA`` (private writable memory: ``malloc``, numpy; a
shared mapping escapes it), ``RLIMIT_NPROC``, ``RLIMIT_FSIZE`` and no core
files, then ``nsenter`` joins a user namespace made for this kernel, mapping
root and :data:`SANDBOX_UID`, in which bwrap builds the sandbox and ``setpriv``
runs the kernel as :data:`SANDBOX_UID`. ``RLIMIT_AS`` would also bound shared
mappings, but PyTorch's and TensorFlow's kernels reserve more address space
than they use (notebook 10's quick run: 5.9 GiB of address space for 2.2 GiB
resident), so it cannot be set near the memory they need. ``RLIMIT_DATA``
counts what a process maps, used or not (notebook 13's kernel: 4.0 GiB for
3.3 GiB resident), so its default is twice the control group's (:data:`MEMORY`). ``RLIMIT_NPROC``
counts the processes of a user in a user namespace (and root's are never
refused): the kernel's own user in its own namespace makes the count the
kernel's alone, so two kernels graded at once share nothing. Memory is bounded
per process, not per kernel: a kernel that forks may use up to its processes
times its memory; only control groups bound the sum.

After the kernel has gone, :meth:`KernelGroup.exceeded` (or
:meth:`KernelRlimits.exceeded`) says which limit it hit; :func:`check` proves,
before grading, that each limit holds here, with the backend that will bound
the kernels.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GiB, MiB = 1 << 30, 1 << 20
NO_LIMITS_HINT = "`course-grade autograde --no-limits` grades without them (a submission can then take the machine's memory and processes)"


class LimitsUnavailable(RuntimeError):
    """The limits cannot bound kernels here."""


BACKENDS = ("auto", "cgroup", "rlimit")  # auto: cgroup where a control group can be made, else rlimit
MEMORY = {  # the default memory limit, per backend, fitted to the heaviest kernel in a quick run (13_deployment's):
    "cgroup": 4 * GiB,  # for the kernel and all it starts: it peaks at 2.7 GiB
    "rlimit": 8 * GiB,  # for each process: RLIMIT_DATA counts the private memory it maps, used or not, up to 4.0 GiB for 3.3 GiB resident
}
SANDBOX_UID = 65534  # "nobody": the kernel's user under the rlimit backend, in a user namespace of its own


@dataclass(frozen=True)
class Limits:
    """What one grading kernel may use, and what bounds it."""

    memory: int | None = None  # bytes; None: the backend's MEMORY
    processes: int = 256  # processes and threads together; a quick run's kernel holds at most 17
    disk: int = 1 * GiB  # bytes, for each of the kernel's three tmpfs
    backend: str = "auto"  # one of BACKENDS

    def describe(self) -> str:
        if self.backend == "rlimit":
            return (f"{human(self.memory)} of memory per process, {self.processes} processes and threads, {human(self.disk)} of disk "
                    "(rlimits, no control groups here)")
        return f"{human(self.memory)} of memory, {self.processes} processes and threads, {human(self.disk)} of disk"

    def encode(self) -> str:
        """These limits as one line, for the grading process's environment; :meth:`decode` reads it back."""
        return f"{self.memory} {self.processes} {self.disk} {self.backend}"

    @classmethod
    def decode(cls, line: str) -> Limits:
        memory, processes, disk, backend = line.split()
        return cls(int(memory), int(processes), int(disk), backend)

    def resolved(self) -> Limits:
        """These limits with the backend that works here (``auto``: ``cgroup`` if a group can be made, else ``rlimit``) and its memory."""
        backend = self.backend
        if backend == "auto":
            try:
                group = KernelGroup(replace(self, memory=MEMORY["cgroup"]), "probe")
                group.create()
                group.remove()
                backend = "cgroup"
            except (LimitsUnavailable, OSError, TypeError, AttributeError):  # also: no own group listed in /proc/self/cgroup
                backend = "rlimit"
        return replace(self, backend=backend, memory=self.memory or MEMORY[backend])

    def kernel(self, label: str = "kernel", sandboxed: bool = True) -> KernelGroup | KernelRlimits:
        """What bounds one kernel (not yet created) with the resolved backend."""
        limits = self.resolved()
        return KernelGroup(limits, label) if limits.backend == "cgroup" else KernelRlimits(limits, sandboxed)


DEFAULT = Limits(MEMORY["cgroup"])  # with control groups
BY_BACKEND = Limits()  # the memory left to the backend (MEMORY): what autograde bounds kernels with unless told otherwise


def human(size: int) -> str:
    return f"{size / GiB:g} GiB" if size >= GiB else f"{size / MiB:g} MiB"


def parse_size(text: str) -> int:
    """``"4G"``, ``"4GiB"``, ``"512M"``, ``"512MiB"`` or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*", text, re.I)
    if not match:
        raise ValueError(f"not a size: {text!r} (for example 4GiB, 512MiB)")
    return int(float(match[1]) * {"": 1, "K": 1 << 10, "M": MiB, "G": GiB}[match[2].upper()])


def own_group(controller: str) -> str | None:
    """This process's cgroup path for a v1 ``controller``, or for v2 (``controller=""``)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers.split(",") == [controller] or (controller == "" and controllers == ""):
            return path
    return None


def hierarchy() -> str:
    """``"v1"`` where memory and pids controllers are mounted apart, ``"v2"`` on a unified hierarchy with both; else raise."""
    if (CGROUP_ROOT / "memory" / "memory.limit_in_bytes").is_file() and (CGROUP_ROOT / "pids").is_dir():
        return "v1"
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.is_file() and {"memory", "pids"} <= set(controllers.read_text().split()):
        return "v2"
    raise LimitsUnavailable("no cgroup hierarchy with the memory and pids controllers is mounted at /sys/fs/cgroup")


class KernelGroup:
    """One kernel's control group(s): made before it starts, joined by its launch command, read and removed after it ends."""

    def __init__(self, limits: Limits, label: str = "kernel"):
        self.limits, self.version = limits, hierarchy()
        name = f"course-grade-{os.getpid()}-{label}-{uuid.uuid4().hex[:8]}"
        if self.version == "v1":
            self.memory = CGROUP_ROOT / "memory" / own_group("memory").lstrip("/") / name
            self.pids = CGROUP_ROOT / "pids" / own_group("pids").lstrip("/") / name
            self.folders = [self.memory, self.pids]
        else:
            self.memory = self.pids = CGROUP_ROOT / own_group("").lstrip("/") / name
            self.folders = [self.memory]
        self.made: list[Path] = []

    def create(self) -> None:
        """Make the group(s) and set the limits; LimitsUnavailable if this process may not."""
        try:
            for folder in self.folders:
                folder.mkdir()
                self.made.append(folder)
            if self.version == "v1":
                self.write(self.memory / "memory.limit_in_bytes", self.limits.memory)
                if (self.memory / "memory.memsw.limit_in_bytes").exists():  # swap accounted: memory and swap together
                    self.write(self.memory / "memory.memsw.limit_in_bytes", self.limits.memory)
            else:
                self.write(self.memory / "memory.max", self.limits.memory)
                if (self.memory / "memory.swap.max").exists():
                    self.write(self.memory / "memory.swap.max", 0)
            self.write(self.pids / "pids.max", self.limits.processes)
        except OSError as error:
            self.remove()
            raise LimitsUnavailable(f"cannot make a control group for a kernel: {error}") from error

    @staticmethod
    def write(path: Path, value: int) -> None:
        path.write_text(f"{value}\n")

    def prefix(self) -> list[str]:
        """The launch command's start: a shell that moves itself into the group(s), then ``exec``\\s the rest of the command."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"'
        return ["/bin/sh", "-c", join, "course-grade-limits", str(len(procs)), *procs]

    def counter(self, path: Path, key: str) -> int:
        try:
            match = re.search(rf"^{key} (\d+)$", path.read_text(), re.M)
        except OSError:
            return 0
        return int(match[1]) if match else 0

    def peak_memory(self) -> int:
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        try:
            return int((self.memory / name).read_text())
        except (OSError, ValueError):
            return 0

    def exceeded(self) -> list[str]:
        """The limits the group hit, as the instructor reads them ("used more than 3 GiB of memory", ...)."""
        hits = []
        events = self.memory / ("memory.oom_control" if self.version == "v1" else "memory.events")
        if self.counter(events, "oom_kill"):
            hits.append(f"used more than {human(self.limits.memory)} of memory")
        if self.counter(self.pids / "pids.events", "max"):
            hits.append(f"started more than {self.limits.processes} processes and threads")
        return hits

    def remove(self) -> None:
        """Kill what is left in the group(s) and remove them."""
        for folder in reversed(self.made):
            for attempt in range(50):
                try:
                    for pid in (folder / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    folder.rmdir()
                    break
                except ProcessLookupError:
                    continue
                except OSError:
                    time.sleep(0.02 * (attempt + 1))
        self.made = []


class KernelRlimits:
    """One kernel's rlimits and user namespace, where no control group can be made.

    :meth:`prefix` (before bwrap) sets the rlimits and joins the namespace that
    :meth:`create` made; :meth:`inner` (after bwrap's ``--``) runs the kernel as
    :data:`SANDBOX_UID`, so that ``RLIMIT_NPROC``, which never refuses root a
    process, counts the kernel's processes and threads, and only its own. Unsandboxed,
    the kernel runs as the grader: the rlimits alone, and the process limit does
    not hold for root (:func:`check` says so).
    """

    TOOLS = ("prlimit", "unshare", "nsenter", "setpriv")  # util-linux

    def __init__(self, limits: Limits, sandboxed: bool = True):
        self.limits, self.sandboxed = limits, sandboxed
        self.holder: subprocess.Popen | None = None  # a process that keeps the user namespace
        self.seen: list[str] = []  # the limits :meth:`inspect` found reached
        self.peak = 0

    def create(self) -> None:
        """Make the kernel's user namespace (root and :data:`SANDBOX_UID` mapped to themselves); LimitsUnavailable if it cannot."""
        missing = [tool for tool in self.TOOLS if not shutil.which(tool)]
        if missing:
            raise LimitsUnavailable(f"no {', '.join(missing)} (util-linux) to set a kernel's rlimits")
        if not self.sandboxed:
            return
        if os.geteuid() != 0:
            raise LimitsUnavailable("without control groups, only a grader running as root can give each kernel a user of its own, "
                                    "which RLIMIT_NPROC needs to count the kernel's processes apart from every other of the same user")
        try:
            # cat holds the namespace until its input closes: at remove(), or when this process dies, even killed
            self.holder = subprocess.Popen(["unshare", "--user", "--", "cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            own, deadline = os.readlink("/proc/self/ns/user"), time.monotonic() + 10
            while os.readlink(f"/proc/{self.holder.pid}/ns/user") == own:
                if self.holder.poll() is not None or time.monotonic() > deadline:
                    raise OSError(f"unshare --user exited with code {self.holder.poll()}")
                time.sleep(0.002)
            mapping = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
            for name in ("uid_map", "gid_map"):
                Path(f"/proc/{self.holder.pid}/{name}").write_text(mapping)
        except OSError as error:
            self.remove()
            raise LimitsUnavailable(f"cannot make a user namespace for a kernel: {error}") from error

    def prefix(self) -> list[str]:
        """The launch command's start: ``prlimit`` sets the limits (soft and hard), ``nsenter`` joins the namespace, then bwrap."""
        memory, disk = self.limits.memory, self.limits.disk
        command = ["prlimit", f"--data={memory}", f"--nproc={self.limits.processes}", f"--fsize={disk}", "--core=0", "--"]
        return command + (["nsenter", f"--user=/proc/{self.holder.pid}/ns/user", "--"] if self.holder else [])

    def inner(self) -> list[str]:
        """What bwrap runs before the kernel: ``setpriv`` becomes :data:`SANDBOX_UID` (real, effective and saved), no way back."""
        return ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups", "--"] if self.holder else []

    def inspect(self, sandbox_root: str) -> None:
        """Read, while the kernel lives, its processes and threads and their peak memory, in the sandbox's ``/proc``."""
        tasks = 0
        for status in Path(sandbox_root, "proc").glob("[0-9]*/task/[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            except (OSError, ValueError):
                continue
            if fields.get("Uid", "").split()[:1] == [str(SANDBOX_UID)]:
                tasks += 1
                self.peak = max(self.peak, int(fields.get("VmHWM", "0 kB").split()[0]) << 10)
        if tasks >= self.limits.processes:
            self.seen = [f"started more than {self.limits.processes} processes and threads"]

    def peak_memory(self) -> int:
        """The largest peak resident memory of one of its processes (:meth:`inspect` reads it)."""
        return self.peak

    def exceeded(self) -> list[str]:
        """The limits :meth:`inspect` saw reached (the kernel's errors tell the rest: :func:`refusals`)."""
        return self.seen

    def remove(self) -> None:
        if self.holder is not None:
            self.holder.stdin.close()
            self.holder.kill()
            self.holder.wait()
            self.holder = None


def refusals(limits: Limits, errors: list[tuple[str, str]]) -> list[str]:
    """The limits that the rlimit backend refused a kernel, read from the ``(name, value)`` of the errors its cells raised.

    A refused allocation raises MemoryError (numpy's "Unable to allocate",
    PyTorch's "can't allocate memory": errno 12), a refused fork BlockingIOError
    (errno 11), a refused thread "can't start new thread"; a student who raises
    them only scores 0.
    """
    hits = []
    if any(name == "MemoryError" or re.search(r"[Cc]annot allocate memory|can't allocate memory|Unable to allocate", value)
           for name, value in errors):
        hits.append(f"used more than {human(limits.memory)} of memory")
    if any(name == "BlockingIOError" or re.search(r"Resource temporarily unavailable|can't start new thread", value)
           for name, value in errors):
        hits.append(f"started more than {limits.processes} processes and threads")
    return hits


def disk_full(tmpfs: Path) -> bool:
    """Whether a tmpfs of the sandbox is full (under 1 MiB left): a kernel that filled it met the disk limit."""
    try:
        stats = os.statvfs(tmpfs)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < MiB


PROBE = r"""
import os, sys
kind = sys.argv[1]
if kind == "memory":
    chunks = []
    try:
        while True:
            chunks.append(bytearray(16 << 20))
    except MemoryError:
        print("refused after", len(chunks) * 16, "MiB")
elif kind == "processes":
    import subprocess
    children = []
    try:
        for _ in range(int(sys.argv[2])):
            children.append(subprocess.Popen(["sleep", "5"]))
        print("started", len(children))
    except OSError as error:
        print("refused after", len(children), error)
    for child in children:
        child.kill()
"""


def hint(limits: Limits) -> str:
    """How to grade anyway, for a message that says the limits cannot hold."""
    other = "; `--limits-backend rlimit` bounds each process of a kernel with rlimits instead" if limits.backend == "cgroup" else ""
    return NO_LIMITS_HINT + other


def check(limits: Limits, timeout: float = 60, sandboxed: bool = True) -> None:
    """Prove that each limit holds here, with the backend that will bound kernels; raise :class:`LimitsUnavailable` saying which does not.

    A small Python bounded as a kernel is (in the sandbox too with the rlimit
    backend, whose user namespace and user the sandbox's bwrap joins) must be
    stopped past a memory limit of 64 MiB (killed with control groups, refused
    the allocation with rlimits) and refused a process past a limit of 8 (the
    limits themselves are shrunk for the probe, so it is quick and harms
    nothing); the disk limit is proved by the sandbox's own check (a tmpfs of a
    fixed size).
    """
    from course_grade import sandbox  # which imports this module

    limits = limits.resolved()
    problems = []
    for kind, probe_limits in (("memory", replace(limits, memory=64 * MiB)), ("processes", replace(limits, processes=8))):
        try:
            kernel = probe_limits.kernel(f"check-{kind}", sandboxed)
            kernel.create()
        except LimitsUnavailable as error:
            raise LimitsUnavailable(f"{error}.\n{hint(limits)}") from error
        try:
            with tempfile.TemporaryDirectory(prefix="limits-check-") as tmp:
                probe = [sys.executable, "-c", PROBE, kind, "32"]
                if isinstance(kernel, KernelRlimits) and sandboxed:
                    (Path(tmp) / "cwd").mkdir()
                    (Path(tmp) / "runtime").mkdir()
                    probe = sandbox.confined(probe, Path(tmp) / "cwd", Path(tmp) / "runtime", kernel, limits.disk)
                else:
                    probe = [*kernel.prefix(), *probe]
                result = subprocess.run(probe, capture_output=True, text=True, timeout=timeout)
            hit = isinstance(kernel, KernelRlimits) or kernel.exceeded()  # rlimits: the probe says what it was refused
        except (OSError, subprocess.TimeoutExpired, sandbox.SandboxUnavailable) as error:
            raise LimitsUnavailable(f"the limits check could not run: {error}.\n{hint(limits)}") from error
        finally:
            kernel.remove()
        said = result.stdout.strip() or result.stderr.strip()[-300:]
        refused = re.search(r"refused after (\d+)", result.stdout)
        if result.returncode == 125:
            problems.append(f"a process cannot join its control group ({result.stderr.strip()[-300:]})")
        elif kind == "memory" and limits.backend == "cgroup" and not (result.returncode == -signal.SIGKILL and hit):
            problems.append(f"a kernel is not stopped at its memory limit (exit code {result.returncode})")
        elif kind == "memory" and limits.backend == "rlimit" and not (refused and int(refused[1]) <= 64):
            problems.append(f"a kernel is not refused memory past its limit ({said})")
        elif kind == "processes" and not (refused and int(refused[1]) <= 8 and hit):
            root = " (RLIMIT_NPROC never refuses root: only sandboxed kernels run as a user of their own)" \
                if limits.backend == "rlimit" and not sandboxed else ""
            problems.append(f"a kernel is not refused processes past its limit{root} ({said})")
    if problems:
        backend = "control groups" if limits.backend == "cgroup" else "rlimits, no control groups here"
        raise LimitsUnavailable(f"the limits on students' kernels do not hold ({backend}): " + "; ".join(problems) + f".\n{hint(limits)}")
