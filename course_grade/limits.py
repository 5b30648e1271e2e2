"""Resource limits for every kernel that grades a student's notebook: memory, processes, writable disk.

Not part of any lesson. A submission can allocate memory until the machine
swaps, fork until it cannot start a process, or fill whatever it may write.
Each grading kernel therefore runs in a control group of its own, created
before it starts and joined by its launch command (a shell that writes its own
pid into the group, then ``exec``\\s bwrap), so the kernel and everything it
starts are bounded by the operating system from their first instruction:

- memory: ``memory.limit_in_bytes`` (cgroup v1) or ``memory.max`` (v2), swap
  included where the kernel accounts it; past it the kernel is killed by the
  out-of-memory killer, which the group counts (``oom_kill``);
- processes and threads: ``pids.max``; a fork past it fails (``EAGAIN``),
  which the group counts (``pids.events``);
- writable disk: the sandbox's three tmpfs (``/tmp``, ``/dev/shm`` and its
  sockets' folder), ``disk`` bytes each, whose pages the memory limit counts as well.

After the kernel has gone, :meth:`KernelGroup.exceeded` says which limit it hit;
:func:`check` proves, before grading, that each limit holds here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GiB, MiB = 1 << 30, 1 << 20
NO_LIMITS_HINT = "`course-grade autograde --no-limits` grades without them (a submission can then take the machine's memory and processes)"


class LimitsUnavailable(RuntimeError):
    """Control groups cannot bound kernels here."""


@dataclass(frozen=True)
class Limits:
    """What one grading kernel may use."""

    memory: int = 4 * GiB  # bytes; the heaviest notebook's kernel (10_lightning) peaks at 1.75 GiB in a quick run
    processes: int = 256  # processes and threads together; a quick run's kernel holds at most 17
    disk: int = 1 * GiB  # bytes, for each of the kernel's three tmpfs

    def describe(self) -> str:
        return f"{human(self.memory)} of memory, {self.processes} processes and threads, {human(self.disk)} of disk"


DEFAULT = Limits()


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
    while True:
        chunks.append(bytearray(64 << 20))
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


def check(limits: Limits, timeout: float = 60) -> None:
    """Prove that each limit holds here; raise :class:`LimitsUnavailable` saying which does not.

    A small Python in a group of its own must be killed past a memory limit of
    64 MiB and refused a process past a limit of 8 (the limits themselves are
    shrunk for the probe, so it is quick and harms nothing); the disk limit is
    proved by the sandbox's own check (a tmpfs of a fixed size).
    """
    problems = []
    for kind, probe_limits in (("memory", Limits(64 * MiB, limits.processes, limits.disk)),
                               ("processes", Limits(limits.memory, 8, limits.disk))):
        try:
            group = KernelGroup(probe_limits, f"check-{kind}")
            group.create()
        except LimitsUnavailable as error:
            raise LimitsUnavailable(f"{error}.\n{NO_LIMITS_HINT}") from error
        try:
            result = subprocess.run([*group.prefix(), sys.executable, "-c", PROBE, kind, "32"], capture_output=True, text=True,
                                    timeout=timeout)
            hit = group.exceeded()
        except (OSError, subprocess.TimeoutExpired) as error:
            raise LimitsUnavailable(f"the limits check could not run: {error}.\n{NO_LIMITS_HINT}") from error
        finally:
            group.remove()
        if result.returncode == 125:
            problems.append(f"a process cannot join its control group ({result.stderr.strip()[-300:]})")
        elif kind == "memory" and not (result.returncode == -signal.SIGKILL and hit):
            problems.append(f"a kernel is not stopped at its memory limit (exit code {result.returncode})")
        elif kind == "processes" and not ("refused after" in result.stdout and hit):
            problems.append(f"a kernel is not refused processes past its limit ({result.stdout.strip() or result.stderr.strip()[-300:]})")
    if problems:
        raise LimitsUnavailable("the limits on students' kernels do not hold: " + "; ".join(problems) + f".\n{NO_LIMITS_HINT}")
