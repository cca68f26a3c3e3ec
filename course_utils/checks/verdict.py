"""Exercise checks: the student's function against the course's reference, one line of verdict.

A check runs the student's code on the slide's example first, then on seeded cases chosen to
catch the usual mistakes, and says ``✓ name: N cases match, ...`` or ``✗ name:`` followed by the
first failing case (its inputs, what was expected, what came back) and a hint. An open exercise
(``raise NotImplementedError()``) is a ``✗ ... not implemented yet``; an error in the student's
code shows the student's own line, never the checker's internals. NumPy only, like the by-hand
layer it checks.
"""

from __future__ import annotations

import copy
import linecache
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import course_utils

PASSED, FAILED = "✓", "✗"
_PACKAGE = Path(course_utils.__file__).resolve().parent  # student frames lie outside it


@dataclass(frozen=True)
class Case:
    """One input of a check: what it is called in the verdict, its arguments, and the hint
    that names the mistake it usually catches."""

    label: str
    args: tuple
    hint: str = ""
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: whether it passed, and the one line that says so."""

    passed: bool
    line: str

    def __str__(self) -> str:
        return self.line


def not_implemented(name: str) -> Verdict:
    """The verdict on an exercise still open: its cell still raises ``NotImplementedError``."""
    return Verdict(False, f"{FAILED} {name}: not implemented yet (replace "
                          "`raise NotImplementedError()` with your code)")


def short(value, width: int = 70) -> str:
    """A value on one short line: arrays as nested lists, long ones cut with '...'."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, separator=",", threshold=12, edgeitems=2,
                               max_line_width=10_000, precision=4, suppress_small=True)
        text = f"{text} (shape {value.shape})"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _same(got, expected) -> bool:
    if isinstance(expected, BaseException):
        return isinstance(got, BaseException)
    try:
        got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected,
                                                                              dtype=float)
    except (TypeError, ValueError):
        return got == expected
    return got_array.shape == expected_array.shape and bool(
        np.allclose(got_array, expected_array, rtol=1e-6, atol=1e-9))


def _student_line(error: BaseException) -> str:
    """Where the student's code failed: the last frame outside this package and NumPy."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not Path(f.filename).resolve().is_relative_to(_PACKAGE)
              and "/numpy/" not in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return f" in your line {frame.lineno}: {line}" if line else f" in your line {frame.lineno}"


def verify(name: str, student: Callable, reference: Callable, cases: Sequence[Case],
           same: Callable[[object, object], bool] = _same) -> Verdict:
    """Run ``student`` and ``reference`` on every case; the first difference fails the check.

    A case whose reference raises expects the student to raise too (the lecture's "doesn't
    fit" is an error, not a silently floored number)."""
    for case in cases:
        try:
            expected = reference(*copy.deepcopy(case.args), **case.kwargs)
        except ValueError as err:  # the reference refusing (GeometryError) is the answer
            expected = err
        try:
            got = student(*copy.deepcopy(case.args), **case.kwargs)
        except NotImplementedError:
            return not_implemented(name)
        except Exception as err:  # noqa: BLE001 - the student's error, shown as theirs
            if isinstance(expected, BaseException):
                continue
            return Verdict(False, f"{FAILED} {name}: on {case.label} your code raised "
                                  f"{type(err).__name__}: {short(str(err), 80)}"
                                  f"{_student_line(err)}")
        if not same(got, expected):
            wanted = (f"an error ({type(expected).__name__})"
                      if isinstance(expected, BaseException) else short(expected))
            inputs = ", ".join([short(a, 40) for a in case.args]
                               + [f"{k}={v!r}" for k, v in case.kwargs.items()])
            hint = f" Hint: {case.hint}" if case.hint else ""
            return Verdict(False, f"{FAILED} {name}: {case.label}: inputs {inputs}; expected "
                                  f"{wanted}, got {short(got)}.{hint}")
    return Verdict(True, f"{PASSED} {name}: {len(cases)} cases match, {cases[0].label} "
                         "included")


def report(verdict: Verdict) -> None:
    """Print the verdict's one line: all a check cell shows (returns nothing, so a notebook
    prints no second line)."""
    print(verdict.line)


__all__ = ["FAILED", "PASSED", "Case", "Verdict", "not_implemented", "report", "short", "verify"]
