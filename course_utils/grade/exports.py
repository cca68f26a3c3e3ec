"""Getting grades into the gradebooks instructors use.

- ``canvas_csv``: a Canvas gradebook import file (Grades > Import): ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section`` and one assignment column. Canvas matches rows
  by ID / SIS ID; the student names here go into ``SIS Login ID`` (nbgrader's and most LMS
  exports use the login as the folder name), so check the preview Canvas shows before applying.
- ``gradescope``: run inside Gradescope's autograder: grades ``/autograder/submission`` and
  writes ``/autograder/results/results.json`` (``score``, ``output``, ``tests[]`` with ``name``,
  ``score``, ``max_score``, ``status``, ``output``, ``visibility``). The grading settings come
  from ``/autograder/source/grading.toml`` if present. ``$GRADESCOPE_ROOT`` replaces
  ``/autograder`` (tests).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from course_utils.grade.config import ConfigError, load_config
from course_utils.grade.gradebook import safe_cell, write_atomic
from course_utils.grade.grading import Job, grade_one
from course_utils.grade.registry import EXERCISES
from course_utils.grade.sandbox import Limits
from course_utils.grade.submissions import discover

__all__ = ["canvas_csv", "gradescope"]


def canvas_csv(rows: list[dict], path: Path, assignment: str = "CNN exercises") -> Path:
    """Write the Canvas import file for ``rows`` (gradebook rows) to ``path``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    maximum = max((float(r.get("max", 0)) for r in rows), default=0.0)
    writer.writerow(["Points Possible", "", "", "", "", f"{maximum:g}"])
    for row in rows:
        writer.writerow([safe_cell(row["student"]), "", "", safe_cell(row["student"]), "",
                         f"{float(row.get('total', 0)):g}"])
    write_atomic(Path(path), buffer.getvalue())
    return Path(path)


def gradescope(timeout_s: float = 60.0, memory_mb: int = 1024) -> dict:
    """Grade the one submission of a Gradescope autograder run; returns results.json's data."""
    root = Path(os.environ.get("GRADESCOPE_ROOT", "/autograder"))
    settings = root / "source" / "grading.toml"
    results_path = root / "results" / "results.json"
    try:
        config = load_config(settings if settings.is_file() else None)
        submissions, _ = discover(root / "submission")
    except (ConfigError, ValueError) as err:
        results = {"score": 0, "output": f"Could not grade: {err}", "tests": []}
        write_atomic(results_path, json.dumps(results, indent=1))
        return results
    notebooks = [str(p) for s in submissions for p in s.notebooks]
    problems = tuple(p for s in submissions for p in s.problems)
    found = set().union(*(s.defined for s in submissions))
    exercises = tuple(config.exercises) or tuple(n for n in EXERCISES if n in found)
    env_seed = os.environ.get("COURSE_GRADE_SEED", "").strip()
    seed = config.seed if config.seed is not None else int(env_seed or 0)
    job = Job(student="submission", notebooks=tuple(notebooks), problems=problems,
              exercises=exercises, points={n: config.points_of(n) for n in exercises},
              seed=seed, hidden_cases=config.hidden_cases,
              show_hidden_inputs=config.show_hidden_inputs,
              limits=Limits(timeout_s=timeout_s, call_limit_s=config.call_timeout,
                            memory_mb=memory_mb), digest="")
    row = grade_one(job)
    tests = [{"name": EXERCISES[name].title + f" ({name})", "score": score,
              "max_score": job.points[name], "status": "passed" if line.startswith("✓")
              else "failed", "output": line, "visibility": "visible"}
             for (name, score), line in zip(row["scores"].items(), row["lines"], strict=False)]
    notes = "\n".join(row["notes"])
    results = {"score": row["total"], "tests": tests,
               "output": f"Status: {row['status']}. {notes}".strip()}
    write_atomic(results_path, json.dumps(results, indent=1))
    return results
