"""What this machine can enforce around a student's process, and the process itself.

``detect()`` probes once per process: an unprivileged uid (``setpriv``, as root), network and
mount namespaces (``unshare``), cgroup v1/v2 memory, pids and cpu limits. ``Sandbox`` starts one
command under the strongest of them and says, in ``applied``, exactly what it applied (the
``isolation`` column): nothing is claimed that did not happen. Always: its own session and
process group (killed as a whole), at most one CPU (cgroup) and one CPU thread, no GPU, a
minimal environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Capabilities", "Limits", "Sandbox", "detect"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_NAME = "course_grade"


@dataclass(frozen=True)
class Limits:
    """timeout_s: the whole notebook (all exercises); call_limit_s: one exercise call;
    memory_mb: the sandbox's memory; pids: processes/threads it may have."""

    timeout_s: float = 60.0
    call_limit_s: float = 2.0
    memory_mb: int = 1024
    pids: int = 64
    file_mb: int = 64


@dataclass(frozen=True)
class Capabilities:
    """What ``detect`` found usable. cgroup_*: the parent folder new groups go into."""

    root: bool
    uid_drop: bool
    netns: bool
    mountns: bool
    cgroup_memory: Path | None
    cgroup_pids: Path | None
    cgroup_cpu: Path | None = None
    cgroup_v2: bool = False
    notes: tuple[str, ...] = field(default=())


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _group_parent(controller: str) -> tuple[Path | None, bool]:
    """A writable parent cgroup for ``controller`` (v1 hierarchy, else v2); None if none."""
    v1 = CGROUP_ROOT / controller
    v2 = CGROUP_ROOT / "cgroup.controllers"
    candidates = []
    if (v1 / "cgroup.procs").exists():
        candidates.append((v1 / GROUP_NAME, False))
    elif v2.exists() and controller in v2.read_text().split():
        candidates.append((CGROUP_ROOT / GROUP_NAME, True))
    for parent, is_v2 in candidates:
        try:
            parent.mkdir(exist_ok=True)
            if is_v2:
                (parent.parent / "cgroup.subtree_control").write_text(f"+{controller}")
                (parent / "cgroup.subtree_control").write_text(f"+{controller}")
            probe = parent / f"probe-{uuid.uuid4().hex[:8]}"
            probe.mkdir()
            probe.rmdir()
            return parent, is_v2
        except OSError:
            continue
    return None, False


@functools.lru_cache(maxsize=1)
def detect() -> Capabilities:
    """Probe this machine once (about 0.1 s)."""
    root = os.geteuid() == 0
    have = {tool: shutil.which(tool) is not None for tool in ("unshare", "setpriv")}
    uid_drop = root and have["setpriv"] and _works(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"])
    userns = [] if root else ["-r"]
    netns = have["unshare"] and _works(["unshare", *userns, "-n", "true"])
    mountns = have["unshare"] and _works(
        ["unshare", *userns, "-mn", "sh", "-c", "mount -t tmpfs -o size=1k none /mnt"])
    memory, v2 = _group_parent("memory")
    pids, _ = _group_parent("pids")
    cpu, _ = _group_parent("cpu")
    notes = []
    if shutil.which("bwrap"):
        notes.append("bwrap present, not used: unshare + setpriv + cgroups cover the same here")
    return Capabilities(root, uid_drop, netns, mountns, memory, pids, cpu, v2, tuple(notes))


def _environment(home: Path) -> dict[str, str]:
    threads = "1"
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home),
            "LANG": "C.UTF-8", "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads, "NUMEXPR_NUM_THREADS": threads,
            "VECLIB_MAXIMUM_THREADS": threads, "CUDA_VISIBLE_DEVICES": "",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}


class Sandbox:
    """One sandboxed process: ``start(argv)``, ``wait``/``kill``, then ``close()``.

    job_dir: the only folder the process may write (made its owner when the uid is dropped);
    hide: folders to cover with an empty tmpfs (other students' submissions, the output).
    """

    def __init__(self, job_dir: Path, limits: Limits, hide: list[Path] = (),
                 capabilities: Capabilities | None = None):
        self.job_dir, self.limits, self.hide = job_dir, limits, [p for p in hide if p.exists()]
        self.caps = capabilities or detect()
        self.applied: list[str] = ["setsid"]
        self.groups: list[Path] = []
        self.process: subprocess.Popen | None = None
        self.uid = random.randrange(200_000, 2_000_000) if self.caps.uid_drop else None
        self.memory_group = self.pids_group = self.cpu_group = False

    # -- limits ----------------------------------------------------------------------------
    def _make_group(self, parent: Path | None, files: dict[str, str]) -> bool:
        if parent is None:
            return False
        group = parent / f"job-{uuid.uuid4().hex[:12]}"
        try:
            group.mkdir()
            self.groups.append(group)
            for index, (name, value) in enumerate(files.items()):
                path = group / name
                if path.exists():
                    path.write_text(value)
                elif index == 0:  # the limit itself: without it, claim nothing
                    return False
        except OSError:
            return False
        return True

    def rlimits(self) -> dict[str, int]:
        """The rlimits the worker sets on itself before any student code runs."""
        limits = {"cpu": int(self.limits.timeout_s) + 5, "core": 0, "nofile": 256,
                  "fsize": self.limits.file_mb * 2**20}
        if not self.memory_group:
            limits["as"] = (self.limits.memory_mb + 512) * 2**20  # + Python's own mappings
        if self.uid is not None:  # per-uid count: enforced for a non-root uid only
            limits["nproc"] = self.limits.pids
        return limits

    def prepare(self) -> None:
        """Create the cgroups and hand the job folder to the sandbox's uid (before start)."""
        memory = str(self.limits.memory_mb * 2**20)
        v2 = self.caps.cgroup_v2
        self.memory_group = self._make_group(self.caps.cgroup_memory, {
            "memory.max" if v2 else "memory.limit_in_bytes": memory,
            "memory.swap.max" if v2 else "memory.memsw.limit_in_bytes": "0" if v2 else memory})
        self.pids_group = self._make_group(self.caps.cgroup_pids,
                                           {"pids.max": str(self.limits.pids)})
        self.cpu_group = self._make_group(self.caps.cgroup_cpu, {
            "cpu.max": "100000 100000"} if v2 else {"cpu.cfs_period_us": "100000",
                                                     "cpu.cfs_quota_us": "100000"})
        if self.uid is not None:
            for path in [self.job_dir, *self.job_dir.rglob("*")]:
                os.chown(path, self.uid, self.uid)
            self.job_dir.chmod(0o700)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped in every layer this machine offers; fills ``applied``."""
        inner = list(argv)
        if self.uid is not None:
            inner = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                     "--inh-caps=-all", "--no-new-privs", *inner]
            self.applied.append("uid")
        layers = []
        if self.caps.netns:
            flags = "-mn" if self.caps.mountns and self.hide else "-n"
            layers = ["unshare", *([] if self.caps.root else ["-r"]), flags]
            self.applied.append("netns")
        script = ""
        if layers and "-mn" in layers:
            script = "".join(f"mount -t tmpfs -o size=1k,mode=000 none {shlex.quote(str(p))} && "
                             for p in self.hide)
            self.applied.append("mountns")
        script += "exec " + shlex.join(inner)
        outer = "".join(f"echo $$ > {shlex.quote(str(g / 'cgroup.procs'))} || exit 97; "
                        for g in self.groups)
        inner_shell = shlex.join([*layers, "sh", "-c", script]) if layers else script
        if self.memory_group:
            self.applied.append("cgroup-mem")
        else:
            self.applied.append("rlimit-as")
        if self.pids_group:
            self.applied.append("cgroup-pids")
        if self.cpu_group:
            self.applied.append("cgroup-cpu")
        if self.uid is not None:
            self.applied.append("rlimit-nproc")
        self.applied += ["rlimit-cpu", "1thread", "nogpu"]
        exec_inner = inner_shell if inner_shell.startswith("exec ") else "exec " + inner_shell
        return ["sh", "-c", outer + exec_inner]

    # -- the process -----------------------------------------------------------------------
    def start(self, argv: list[str], stdout, stderr) -> subprocess.Popen:
        """Start ``argv`` (its stdout/stderr into the given files) in its own session."""
        command = self.command(argv)
        self.process = subprocess.Popen(command, cwd=self.job_dir, env=_environment(self.job_dir),
                                        stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                        start_new_session=True, close_fds=True)
        return self.process

    def _group_pids(self) -> list[int]:
        pids = []
        for group in self.groups:
            with contextlib.suppress(OSError, ValueError):
                pids += [int(p) for p in (group / "cgroup.procs").read_text().split()]
        return pids

    def kill(self) -> None:
        """SIGKILL the process group, then every process left in the sandbox's cgroups."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        for _ in range(100):
            left = self._group_pids()
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def memory_exceeded(self) -> bool:
        """Whether the memory cgroup had to kill (OOM) in this run."""
        for group in self.groups:
            for name in ("memory.oom_control", "memory.events"):
                try:
                    text = (group / name).read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip() not in ("", "0"):
                        return True
        return False

    def close(self) -> None:
        """Kill what is left and remove the cgroups."""
        self.kill()
        if self.process is not None and self.process.poll() is None:
            self.process.wait(5)
        for group in self.groups:
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    self.kill()
        self.groups = []


def python_command(worker: Path, job_dir: Path) -> list[str]:
    """The worker's command line: this interpreter, isolated mode (no user site, no cwd)."""
    return [sys.executable, "-I", str(worker), str(job_dir)]
