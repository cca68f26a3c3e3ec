"""Finding the class's submissions: ``<student>.ipynb`` files and ``<student>/`` folders (any
depth, so nbgrader's ``submitted/<student>/<assignment>/`` works), each notebook checked to be a
readable nbformat-4 notebook and recognised by the exercises it defines, not by its name.

``discover(root)`` -> (submissions, notes): notes are one line each for what was skipped; a
duplicate student name is an ``InputError`` (the gradebook could not tell them apart).
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from course_utils.grade.registry import EXERCISES
from course_utils.grade.worker import definitions

__all__ = ["InputError", "Submission", "discover", "read_notebook"]

MAX_NOTEBOOK_BYTES = 20 * 2**20


class InputError(ValueError):
    """The submissions cannot be graded as given (one line)."""


@dataclass(frozen=True)
class Submission:
    """One student: valid notebooks, one line per unreadable file, the exercises defined in
    them, and a hash of every submitted file's content (a rerun skips an unchanged one)."""

    student: str
    notebooks: tuple[Path, ...]
    problems: tuple[str, ...]
    defined: frozenset[str]
    digest: str


def read_notebook(path: Path) -> dict:
    """The parsed notebook; ``ValueError`` with a short reason when it is not one."""
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("the file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("not a notebook: not valid JSON (truncated or another format?)") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        version = notebook.get("nbformat") if isinstance(notebook, dict) else None
        if version is not None and version != 4:
            raise ValueError(f"notebook format {version}; nbformat 4 is needed (save it again "
                             "in Jupyter)")
        raise ValueError("not a notebook: JSON without notebook cells")
    if notebook.get("nbformat") != 4:
        raise ValueError(f"notebook format {notebook.get('nbformat')}; nbformat 4 is needed")
    return notebook


def defined_exercises(notebook: dict) -> set[str]:
    """The gradable exercise functions a notebook defines at top level."""
    modules, _ = definitions(notebook)
    names = {m.body[0].name for _, m in modules
             if isinstance(m.body[0], ast.FunctionDef | ast.AsyncFunctionDef)}
    return names & set(EXERCISES)


def _readable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes (surrogate escapes)
        return False
    return name.isprintable() and not name.startswith(".") and name.strip() == name


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if p.is_file() and not any(part.startswith(".") for part in
                                             p.relative_to(folder).parts))


def _submission(student: str, files: list[Path], base: Path) -> Submission:
    digest = hashlib.sha256()
    valid, problems, defined = [], [], set()
    for path in files:
        shown = path.relative_to(base)
        try:
            notebook = read_notebook(path)
        except (OSError, ValueError) as err:
            problems.append(f"{shown}: {err}")
            digest.update(str(shown).encode() + b"\0invalid\0")
            continue
        digest.update(str(shown).encode() + b"\0" + path.read_bytes() + b"\0")
        valid.append(path)
        defined |= defined_exercises(notebook)
    return Submission(student, tuple(valid), tuple(problems), frozenset(defined),
                      digest.hexdigest())


def discover(root: Path) -> tuple[list[Submission], list[str]]:
    """Every student under ``root`` (a folder, or one .ipynb file), sorted by name."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if root.is_file():
        if root.suffix != ".ipynb":
            raise InputError(f"{root}: not a notebook (.ipynb) or a folder of submissions")
        return [_submission(root.stem, [root], root.parent)], []
    notes, found = [], {}
    for entry in sorted(root.iterdir()):
        name = entry.stem if entry.is_file() else entry.name
        if entry.name.startswith("."):
            continue
        if not _readable(name):
            notes.append(f"skipped {entry.name!r}: the name is not readable text; rename it")
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            files = [entry]
        elif entry.is_dir():
            files = _notebooks_in(entry)
            if not files:
                notes.append(f"{entry.name}/: no notebooks (.ipynb) inside")
        else:
            notes.append(f"ignored {entry.name}: not a notebook (.ipynb) or a student's folder")
            continue
        found.setdefault(name.casefold(), []).append((name, entry, files))
    duplicates = [f"{' and '.join(str(e.name) + ('/' if e.is_dir() else '') for _, e, _ in v)}"
                  for v in found.values() if len(v) > 1]
    if duplicates:
        raise InputError(f"duplicate student names: {'; '.join(duplicates)} (one entry each, "
                         "please)")
    if not found:
        raise InputError(f"{root}: no submissions (no .ipynb files or student folders)")
    return [_submission(name, files, root) for (name, _, files), in found.values()], notes
