"""Running the worker on one submission in the sandbox, with every limit watched from outside.

The worker marks each exercise and case as started and writes its result when done. The runner
polls those files: a case that outlives its wall-clock budget (3 x the per-call CPU limit + 2 s:
a sleeping or signal-swallowing loop) or a notebook
that outlives ``timeout_s`` is killed (the whole process group and cgroup). After any abnormal
end the exercise in progress gets the incident (timeout, memory, crashed) and a fresh sandbox
runs the remaining exercises, so one ``os._exit`` costs one exercise, not the notebook.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.grade import worker as worker_module
from course_utils.grade.channel import BadResult, read_outcomes
from course_utils.grade.sandbox import Limits, Sandbox, python_command

__all__ = ["RunReport", "kill_all", "run_submission"]

_LIVE: set[Sandbox] = set()  # running sandboxes, killed on Ctrl-C
_LIVE_LOCK = threading.Lock()
POLL_S = 0.02


@dataclass
class RunReport:
    """What came back from the sandbox. outcomes: exercise -> list of outcomes (see
    ``channel.read_outcomes``) or a ``BadResult``; incidents: exercise -> timeout | memory |
    crashed | not run; load: the worker's load report (None if it never loaded);
    isolation: what the sandbox applied ('+'-joined)."""

    outcomes: dict = field(default_factory=dict)
    incidents: dict = field(default_factory=dict)
    load: dict | None = None
    isolation: str = ""


def kill_all() -> None:
    """Kill every sandbox still running in this process (Ctrl-C)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sandbox in live:
        sandbox.kill()


def _write_request(job: Path, notebooks: list[str], exercises: list[dict], limits: Limits,
                   rlimits: dict) -> None:
    request = {"notebooks": notebooks, "exercises": exercises,
               "call_limit_s": limits.call_limit_s, "limits": rlimits}
    (job / "request.json").write_text(json.dumps(request), encoding="utf-8")


def _in_progress(out: Path, names: list[str]) -> str | None:
    for name in names:
        if (out / f"{name}.started").exists() and not (out / f"{name}.json").exists():
            return name
    return None


def _one_run(job: Path, notebooks, requests: dict, names: list[str], limits: Limits,
             deadline: float, hide: list[Path]) -> tuple[str | None, str | None, Sandbox]:
    """Run the worker once on ``names``: (exercise in progress when it ended abnormally,
    the incident, the sandbox). (None, None, ...) after a normal end."""
    sandbox = Sandbox(job, limits, hide)
    sandbox.prepare()
    _write_request(job, notebooks, [requests[n] for n in names], limits, sandbox.rlimits())
    out = job / "out"
    killed_for = None
    last_progress, since = None, time.monotonic()
    with open(job / "stdout.txt", "ab") as stdout, open(job / "stderr.txt", "ab") as stderr:
        process = sandbox.start(python_command(Path(worker_module.__file__), job), stdout,
                                stderr)
        with _LIVE_LOCK:
            _LIVE.add(sandbox)
        try:
            while process.poll() is None:
                now = time.monotonic()
                current = _in_progress(out, names) if out.exists() else None
                if current:  # the marker is rewritten before every case
                    progress = (current, _mtime(out / f"{current}.started"))
                    if progress != last_progress:
                        last_progress, since = progress, now
                    if now - since > 3 * limits.call_limit_s + 2.0:  # wall clock, generous
                        killed_for = "timeout"
                if now > deadline:
                    killed_for = "timeout"
                if killed_for:
                    sandbox.kill()
                    process.wait()
                    break
                time.sleep(POLL_S)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(sandbox)
            memory = sandbox.memory_exceeded()
            sandbox.close()
    current = _in_progress(out, names) if out.exists() else None
    loaded = (out / "load.json").exists()
    if process.returncode == 0 and not killed_for and loaded and current is None:
        return None, None, sandbox
    incident = killed_for or ("memory" if memory or _memory_error(job) else "crashed")
    return (current if loaded else "__load__"), incident, sandbox


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _memory_error(job: Path) -> bool:
    try:
        text = (job / "stderr.txt").read_bytes()[-4000:]
    except OSError:
        return False
    return b"MemoryError" in text


def _load_report(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {"notebooks": [], "errors": ["the load report was damaged"]}
    return data if isinstance(data, dict) else {"notebooks": [], "errors": []}


def run_submission(notebooks: list[Path], requests: dict[str, dict], arrays: dict,
                   limits: Limits, hide: list[Path] = (), work_root: Path | None = None
                   ) -> RunReport:
    """Grade-run one student's ``notebooks``: ``requests`` maps exercise -> {"name", "cases"}
    (encoded by ``channel.encode_cases``) with ``arrays`` for ``inputs.npz``."""
    report = RunReport()
    job = Path(tempfile.mkdtemp(prefix="course-grade-", dir=work_root))
    try:
        copies = []
        (job / "notebooks").mkdir()
        for i, path in enumerate(notebooks):
            copy = job / "notebooks" / f"{i:03d}.ipynb"
            shutil.copyfile(path, copy)
            copies.append(str(copy))
        with open(job / "inputs.npz", "wb") as file:
            np.savez(file, **arrays)
        deadline = time.monotonic() + limits.timeout_s
        remaining = list(requests)
        isolation = ""
        while remaining:
            if time.monotonic() > deadline:
                for name in remaining:
                    report.incidents[name] = "not run"
                break
            current, incident, sandbox = _one_run(job, copies, requests, remaining, limits,
                                                  deadline, list(hide))
            isolation = "+".join(sandbox.applied)
            if current == "__load__":
                for name in remaining:
                    report.incidents[name] = incident
                break
            if report.load is None:
                report.load = _load_report(job / "out" / "load.json")
            for name in remaining:
                try:
                    outcomes = read_outcomes(job / "out", name)
                except BadResult as err:
                    outcomes = err
                if outcomes is not None:
                    report.outcomes[name] = outcomes
            if current is not None:
                report.incidents[current] = incident
            elif incident is not None:  # ended abnormally between exercises
                for name in remaining:
                    if name not in report.outcomes:
                        report.incidents[name] = incident
            left = [n for n in remaining if n not in report.outcomes and n not in report.incidents]
            if len(left) == len(remaining):  # no progress at all: do not try forever
                for name in left:
                    report.incidents[name] = incident or "crashed"
                left = []
            remaining = left
        report.isolation = isolation
        return report
    finally:
        shutil.rmtree(job, ignore_errors=True)
