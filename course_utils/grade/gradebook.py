"""The grader's output folder, written so that nothing finished is ever lost:

- ``OUT/rows/<student>.json``: one file per student, written atomically (temporary file, fsync,
  rename) the moment that student is graded; a rerun reads them to skip unchanged submissions;
- ``OUT/grades.csv``: regenerated (atomically) from the rows after every student: ``student``,
  one column per exercise, ``total``, ``max``, ``status``, ``isolation``;
- ``OUT/feedback/<student>.html``: the student's verdict lines (``feedback.render``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

from course_utils.grade.feedback import render

__all__ = ["Gradebook", "safe_cell", "write_atomic"]

COLUMNS_AFTER = ("total", "max", "status", "isolation")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_name(student: str) -> str:
    """A file name for any student name (the name itself when it is safe)."""
    safe = "".join(c for c in student if c.isalnum() or c in "-_.@+")
    if safe == student and safe and not safe.startswith("."):
        return student
    return f"{safe or 'student'}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"


def safe_cell(value) -> str:
    """A CSV cell no spreadsheet runs as a formula."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class Gradebook:
    """``OUT``'s rows, CSV and feedback for the exercise columns ``exercises``."""

    def __init__(self, out: Path, exercises: list[str]):
        self.out, self.exercises = Path(out), list(exercises)
        self.rows_dir = self.out / "rows"
        self.rows_dir.mkdir(parents=True, exist_ok=True)
        (self.out / "feedback").mkdir(exist_ok=True)

    def row(self, student: str) -> dict | None:
        """The stored row of ``student``, None if none (or damaged)."""
        path = self.rows_dir / f"{_file_name(student)}.json"
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return row if isinstance(row, dict) and row.get("student") == student else None

    def is_current(self, student: str, fingerprint: str) -> bool:
        """Whether the stored row was graded from exactly this submission and setup."""
        row = self.row(student)
        return row is not None and row.get("fingerprint") == fingerprint

    def record(self, row: dict, fingerprint: str) -> None:
        """Store one graded student: feedback page, row, then the regenerated CSV."""
        row = {**row, "fingerprint": fingerprint}
        name = _file_name(row["student"])
        write_atomic(self.out / "feedback" / f"{name}.html", render(row))
        write_atomic(self.rows_dir / f"{name}.json", json.dumps(row, indent=1))
        self.write_csv()

    def rows(self) -> list[dict]:
        """Every stored row, sorted by student."""
        rows = []
        for path in sorted(self.rows_dir.glob("*.json")):
            try:
                row = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(row, dict) and "student" in row:
                rows.append(row)
        return sorted(rows, key=lambda r: r["student"])

    def write_csv(self) -> Path:
        """``OUT/grades.csv`` from the stored rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["student", *self.exercises, *COLUMNS_AFTER])
        for row in self.rows():
            scores = row.get("scores", {})
            writer.writerow([safe_cell(row["student"]),
                             *(safe_cell(float(scores.get(n, 0.0))) for n in self.exercises),
                             safe_cell(float(row.get("total", 0.0))),
                             safe_cell(float(row.get("max", 0))),
                             row.get("status", ""), row.get("isolation", "")])
        path = self.out / "grades.csv"
        write_atomic(path, buffer.getvalue())
        return path
