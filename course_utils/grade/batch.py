"""Grading a whole class: plan the jobs, skip the unchanged, run them N at a time (threads
here, each driving its own sandboxed process, or a Dask cluster through
``Client.get_executor()``), and record every student the moment they are done.

Ctrl-C stops the batch: running sandboxes are killed, finished rows stay, and the next run
picks up where this one stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_utils.grade.config import GradingConfig, load_config, resolve_seed
from course_utils.grade.gradebook import Gradebook
from course_utils.grade.grading import Job, grade_one
from course_utils.grade.registry import EXERCISES
from course_utils.grade.runner import kill_all
from course_utils.grade.sandbox import Limits
from course_utils.grade.submissions import discover

__all__ = ["BatchOptions", "BatchSummary", "grade_all", "plan_jobs"]

GRADER_VERSION = "1"  # bump when grading changes: every row is then graded again


@dataclass(frozen=True)
class BatchOptions:
    """The command line's settings (``python -m course_utils.grade --help``)."""

    submissions: Path
    out: Path
    workers: int = max(os.cpu_count() or 1, 1)
    timeout_s: float = 60.0
    memory_mb: int = 1024
    regrade: bool = False
    scheduler: str | None = None
    config: Path | None = None
    seed: int | None = None


@dataclass
class BatchSummary:
    """What a run did: students graded now, skipped as unchanged, notes (one line each)."""

    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    interrupted: bool = False


def _fingerprint(job: Job) -> str:
    settings = {**asdict(job), "version": GRADER_VERSION}
    settings.pop("notebooks")
    settings.pop("hide")
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def plan_jobs(options: BatchOptions, config: GradingConfig | None = None
              ) -> tuple[list[Job], list[str], list[str]]:
    """(jobs, exercise columns, notes) for every student under ``options.submissions``."""
    config = config or load_config(options.config)
    submissions, notes = discover(options.submissions)
    found = set().union(*(s.defined for s in submissions))
    exercises = list(config.exercises) or [n for n in EXERCISES if n in found]
    seed = resolve_seed(config, options.seed, options.out)
    limits = Limits(timeout_s=options.timeout_s, call_limit_s=config.call_timeout,
                    memory_mb=options.memory_mb)
    hide = tuple(str(Path(p).resolve()) for p in (options.submissions, options.out))
    jobs = [Job(student=s.student, notebooks=tuple(str(p.resolve()) for p in s.notebooks),
                problems=s.problems, exercises=tuple(exercises),
                points={n: config.points_of(n) for n in exercises}, seed=seed,
                hidden_cases=config.hidden_cases, show_hidden_inputs=config.show_hidden_inputs,
                limits=limits, digest=s.digest,
                hide=hide if Path(options.submissions).is_dir() else hide[1:])
            for s in submissions]
    return jobs, exercises, notes


def _executor(options: BatchOptions) -> tuple[Executor, Callable[[], None]]:
    if options.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError('--scheduler needs Dask: pip install "dask[distributed]"') from None
        client = Client(options.scheduler)
        return client.get_executor(), client.close
    pool = ThreadPoolExecutor(max_workers=max(options.workers, 1), thread_name_prefix="grade")
    return pool, lambda: pool.shutdown(wait=False, cancel_futures=True)


def grade_all(options: BatchOptions, on_row: Callable[[dict], None] | None = None,
              progress: Callable[[str], None] | None = None) -> BatchSummary:
    """Grade every student under ``options.submissions`` into ``options.out``.

    on_row(row) runs after each student is recorded; progress(line) gets one line per student.
    A KeyboardInterrupt (Ctrl-C, or raised by ``on_row``) kills the running sandboxes, keeps
    every finished row and returns with ``interrupted`` set.
    """
    jobs, exercises, notes = plan_jobs(options)
    summary = BatchSummary(notes=notes, exercises=exercises)
    book = Gradebook(options.out, exercises)
    todo = []
    for job in jobs:
        fingerprint = _fingerprint(job)
        if not options.regrade and book.is_current(job.student, fingerprint):
            summary.skipped.append(job.student)
        else:
            todo.append((job, fingerprint))
    book.write_csv()
    if not todo:
        return summary
    executor, close = _executor(options)
    pending = {executor.submit(grade_one, job): (job, fingerprint) for job, fingerprint in todo}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job, fingerprint = pending.pop(future)
                try:
                    row = future.result()
                except Exception as err:  # noqa: BLE001 - a grader bug: say so, keep going
                    summary.notes.append(f"{job.student}: not graded, the grader failed "
                                         f"({type(err).__name__}: {err}); rerun to retry")
                    continue
                book.record(row, fingerprint)
                summary.graded.append(job.student)
                if progress:
                    progress(f"{row['student']}: {row['total']:g}/{row['max']:g} "
                             f"{row['status']}")
                if on_row:
                    on_row(row)
    except KeyboardInterrupt:
        summary.interrupted = True
        for future in pending:
            future.cancel()
        kill_all()
    finally:
        close()
        book.write_csv()
    return summary
