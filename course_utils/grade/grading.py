"""One student, end to end: cases -> sandboxed worker -> verdicts -> a gradebook row.

``grade_one(job)`` is the unit of work every executor runs (a local thread pool or a Dask
cluster): a picklable ``Job`` in, a plain dict out (the row and the feedback lines). It runs in
the grader process, never imports student code, and computes the expected values only after the
student's sandbox has ended.
"""

from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.grade.channel import BadResult, encode_cases
from course_utils.grade.judge import (
    ExerciseGrade,
    build_cases,
    forbidden_grade,
    grade_exercise,
    incident_grade,
)
from course_utils.grade.registry import EXERCISES
from course_utils.grade.rules import forbidden_uses
from course_utils.grade.runner import run_submission
from course_utils.grade.sandbox import Limits
from course_utils.grade.submissions import read_notebook
from course_utils.grade.worker import definitions

__all__ = ["Job", "grade_one", "status_of"]

# one word per student, the worst thing that happened first
_STATUS_ORDER = ("invalid", "memory", "timeout", "crashed", "empty", "graded")


@dataclass(frozen=True)
class Job:
    """Everything one student's grading needs (plain data: travels to Dask workers).

    notebooks: paths of the valid notebooks; problems: one line per unreadable file;
    exercises: the gradebook's exercise columns; points: exercise -> points; hide: folders the
    sandbox covers (the class's submissions, the output)."""

    student: str
    notebooks: tuple[str, ...]
    problems: tuple[str, ...]
    exercises: tuple[str, ...]
    points: dict[str, float]
    seed: int
    hidden_cases: int
    show_hidden_inputs: bool
    limits: Limits
    digest: str
    hide: tuple[str, ...] = field(default=())


def status_of(incidents: set[str]) -> str:
    """The row's status word from the set of things that happened."""
    return next(s for s in _STATUS_ORDER if s in incidents or s == "graded")


def _owners(parsed: list[tuple[Path, dict]]) -> dict[str, list]:
    """Exercise -> the definitions (``worker.definitions``) of the notebook the worker takes
    it from: the last one defining it. Each notebook is parsed once."""
    owners = {}
    for _, notebook in parsed:
        modules, _ = definitions(notebook)
        for _, module in modules:
            node = module.body[0]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in EXERCISES:
                owners[node.name] = modules
    return owners


def _judge(job: Job, name: str, cases, report, owners) -> tuple[ExerciseGrade, set[str]]:
    exercise, points = EXERCISES[name], job.points.get(name, 1.0)
    if name in owners:
        uses = forbidden_uses(None, name, exercise.forbidden, exercise.allowed,
                              modules=owners[name])
        if uses:
            return forbidden_grade(exercise, uses, points), set()
    if name in report.incidents:
        incident = report.incidents[name]
        return incident_grade(exercise, incident, points), {
            "timeout" if incident == "not run" else incident}
    outcomes = report.outcomes.get(name)
    if isinstance(outcomes, BadResult) or outcomes is None:
        why = outcomes if outcomes is not None else "no result came back"
        return ExerciseGrade(name, 0.0, points, False, f"✗ {exercise.title}: the sandbox's "
                             f"result was unusable ({why})"), {"crashed"}
    seen = set()
    if any(o.get("raised") == "MemoryError" for o in outcomes):
        seen.add("memory")
    if any("timeout" in o for o in outcomes):
        seen.add("timeout")
    return grade_exercise(exercise, cases, outcomes, points, job.show_hidden_inputs), seen


def grade_one(job: Job) -> dict:
    """Grade one student. Returns ``{"student", "scores": {exercise: points}, "total", "max",
    "status", "isolation", "digest", "lines": [feedback line per exercise], "notes": [...]}``."""
    parsed = []
    for path in job.notebooks:
        with contextlib.suppress(OSError, ValueError):  # a file changed since discovery
            parsed.append((Path(path), read_notebook(Path(path))))
    maximum = sum(job.points.get(n, 1.0) for n in job.exercises)
    row = {"student": job.student, "scores": dict.fromkeys(job.exercises, 0.0), "total": 0.0,
           "max": maximum, "digest": job.digest, "lines": [], "notes": list(job.problems),
           "isolation": "none (nothing ran)"}
    incidents = {"invalid"} if job.problems else set()
    if not parsed or not job.exercises:
        row["status"] = status_of(incidents | {"empty"})
        if not parsed and not job.problems:
            row["notes"].append("no notebook was submitted")
        return row
    cases, arrays, requests = {}, {}, {}
    for name in job.exercises:
        cases[name] = build_cases(EXERCISES[name], job.hidden_cases, job.seed)
        requests[name] = {"name": name, "cases": encode_cases(name, cases[name], arrays)}
    report = run_submission([p for p, _ in parsed], requests, arrays, job.limits,
                            hide=[Path(h) for h in job.hide])
    row["isolation"] = report.isolation
    # what the notebooks define, from the grader's own reading (the worker's report could lie)
    owners = _owners(parsed)
    if not set(owners) & set(job.exercises):
        incidents.add("empty")
    for name in job.exercises:
        grade, seen = _judge(job, name, cases[name], report, owners)
        incidents |= seen
        row["scores"][name] = grade.points
        row["lines"].append(grade.line)
    row["total"] = sum(row["scores"].values())
    row["status"] = status_of(incidents)
    return row
