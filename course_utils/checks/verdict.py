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
from course_utils.checks.answers import (
    SMALL_ARRAY,
    WrongType,
    as_array,
    describe,
    first_difference,
)
from course_utils.checks.isolated_call import TIME_LIMIT_S, TimeLimitExceeded, call_isolated

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
class Mistake:
    """A plausible wrong solution and the hint for it: when the student's result on a failing
    case equals what ``wrong`` returns there, this hint is the one shown."""

    wrong: Callable
    hint: str


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


def _student_line(error: BaseException) -> str:
    """Where the student's code failed: the last frame outside this package and NumPy."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not Path(f.filename).resolve().is_relative_to(_PACKAGE)
              and "/numpy/" not in f.filename and "/threading.py" not in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return f" in your line {frame.lineno}: {line}" if line else f" in your line {frame.lineno}"


def _equal(got, expected) -> bool:
    if isinstance(expected, tuple) and expected and isinstance(expected[0], np.ndarray):
        return len(got) == len(expected) and all(map(_equal, got, expected))
    if isinstance(expected, np.ndarray):
        return got.shape == expected.shape and bool(
            np.allclose(got, expected, rtol=1e-6, atol=1e-9))
    return got == expected


def _comparison(got, expected, parts: Sequence[str] = ()) -> str:
    if isinstance(expected, tuple) and expected and isinstance(expected[0], np.ndarray):
        wrong = next(i for i, pair in enumerate(zip(got, expected, strict=True))
                     if not _equal(*pair))
        name = parts[wrong] if wrong < len(parts) else f"part {wrong + 1}"
        return f"{name} wrong: {_comparison(got[wrong], expected[wrong])}"
    if isinstance(expected, np.ndarray) and (expected.size > SMALL_ARRAY
                                             or got.size > SMALL_ARRAY
                                             or got.shape != expected.shape):
        return first_difference(got, expected)
    return f"expected {describe(expected)}, got {describe(got)}"


def _inputs(case: Case) -> str:
    return ", ".join([describe(a) for a in case.args]
                     + [f"{k}={describe(v)}" for k, v in case.kwargs.items()])


def _diagnose(mistakes: Sequence[Mistake], case: Case, got, answer: Callable) -> str:
    """The hint of the first known mistake that gives exactly the student's result."""
    for mistake in mistakes:
        try:
            theirs = answer(mistake.wrong(*copy.deepcopy(case.args),
                                          **copy.deepcopy(case.kwargs)))
        except Exception:  # noqa: BLE001, S112 - a mistake that cannot run on this case
            continue
        if _equal(got, theirs):
            return mistake.hint
    return ""


def _answer_of(student: Callable, answer: Callable, args: tuple, kwargs: dict):
    """On the student's thread: call, then convert the result to plain numbers there too, so
    that nothing the student returned (a rigged ``__array__``, ``__index__``, ...) ever runs
    where the checker's frames are. (plain value, None) or (None, WrongType)."""
    value = student(*args, **kwargs)
    try:
        return answer(value), None
    except WrongType as err:
        return None, err


def _open_exercise(name: str, case: str, student: Callable,
                   error: NotImplementedError) -> Verdict:
    """"Not implemented yet", naming the open function when it is another one the student's
    function calls (``my_train`` written, ``my_train_step`` still open); a library's own
    NotImplementedError (an operation a device lacks) is shown as the error it is."""
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    if last and ("site-packages" in last.filename
                 or Path(last.filename).resolve().is_relative_to(_PACKAGE)):
        return Verdict(False, f"{FAILED} {name}: {case} raised NotImplementedError: "
                              f"{short(str(error), 80)}{_student_line(error)}")
    raised_in = last.name if last else ""
    own = getattr(student, "__name__", "")
    if raised_in and own and raised_in not in (own, "<lambda>", "<module>"):
        return Verdict(False, f"{FAILED} {name}: your {own} calls {raised_in}, which is not "
                              f"implemented yet (its cell still raises NotImplementedError)")
    return not_implemented(name)


class StudentFailed(Exception):
    """The student's call gave no value: ``verdict`` says why (open, too slow, crashed)."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.line)
        self.verdict = verdict


def call_student(name: str, case: str, student: Callable, args: tuple = (),
                 time_limit: float | None = None, endless: str = "an endless loop?"):
    """``student(*args)`` on its own thread under the time limit; its value, or
    :class:`StudentFailed` carrying the one ✗ line: not implemented yet, ran too long
    (``endless`` says where to look), or the student's error with the student's own line."""
    try:
        return call_isolated(student, args, {}, time_limit or TIME_LIMIT_S)
    except NotImplementedError as err:
        raise StudentFailed(_open_exercise(name, case, student, err)) from None
    except TimeLimitExceeded as err:
        raise StudentFailed(Verdict(False, f"{FAILED} {name}: {case}: your code {err} "
                                           f"({endless})")) from None
    except Exception as err:  # noqa: BLE001 - the student's error, shown as theirs
        raise StudentFailed(Verdict(False, f"{FAILED} {name}: {case} raised "
                                           f"{type(err).__name__}: {short(str(err), 80)}"
                                           f"{_student_line(err)}")) from None


def _fail(name: str, case: Case, what: str, hint: str = "") -> Verdict:
    hint = f" Hint: {hint}" if hint else ""
    return Verdict(False, f"{FAILED} {name}: {case.label}: inputs {_inputs(case)}; {what}.{hint}")


def verify(name: str, student: Callable, reference: Callable, cases: Sequence[Case], *,
           answer: Callable = as_array, mistakes: Sequence[Mistake] = (),
           refusal: type[Exception] = ValueError, parts: Sequence[str] = (),
           time_limit: float = TIME_LIMIT_S) -> Verdict:
    """Run ``student`` and ``reference`` on every case; the first difference fails the check.

    The student's call comes first, on deep copies of the inputs, on a thread of its own with a
    ``time_limit``; its result is turned into plain numbers by ``answer`` (``as_array``,
    ``as_int``, ``as_int_tree``) on that thread, before the expected value exists and before
    any comparison. A case whose reference raises
    ``refusal`` (the lecture's "doesn't fit") expects the student to raise that exception (or a
    subclass), not any error and not a returned exception object. On a difference, the hint of
    the first ``mistakes`` entry that reproduces the student's result is shown, else the case's.
    ``parts`` names the entries of a tuple result (("dx", "dw", "db")): the verdict says which
    one is wrong.
    """
    for case in cases:
        raised = wrong_type = None
        try:
            got, wrong_type = call_isolated(_answer_of, (student, answer, copy.deepcopy(case.args),
                                                         copy.deepcopy(case.kwargs)), {},
                                            time_limit)
        except NotImplementedError:
            return not_implemented(name)
        except TimeLimitExceeded as err:
            return Verdict(False, f"{FAILED} {name}: on {case.label} your code {err} (an "
                                  "endless loop?); the reference takes milliseconds")
        except Exception as err:  # noqa: BLE001 - the student's error, shown as theirs
            raised = err
        # the expected value exists only from here on, after the student's code has returned
        try:
            expected = answer(reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs)))
        except refusal as err:  # the reference refusing (GeometryError) is the answer
            expected = err
        if isinstance(expected, BaseException):
            if isinstance(raised, refusal):
                continue
            if raised is not None:
                return _fail(name, case, f"expected a {refusal.__name__}, your code raised "
                             f"{type(raised).__name__}: {short(str(raised), 60)}"
                             f"{_student_line(raised)}", case.hint)
            if wrong_type is not None:
                return _fail(name, case, f"expected a {refusal.__name__} to be raised; your "
                             f"function {wrong_type}", case.hint)
            return _fail(name, case, f"expected a {refusal.__name__} to be raised, got "
                         f"{describe(got)}", _diagnose(mistakes, case, got, answer) or case.hint)
        if raised is not None:
            return Verdict(False, f"{FAILED} {name}: on {case.label} your code raised "
                                  f"{type(raised).__name__}: {short(str(raised), 80)}"
                                  f"{_student_line(raised)}")
        if wrong_type is not None:
            return _fail(name, case, f"your function {wrong_type}")
        if not _equal(got, expected):
            return _fail(name, case, _comparison(got, expected, parts),
                         _diagnose(mistakes, case, got, answer) or case.hint)
    return Verdict(True, f"{PASSED} {name}: {len(cases)} cases match, {cases[0].label} "
                         "included")


def yours_or_reference(student, verify_student: Callable[..., Verdict], reference, what: str):
    """The student's answer once its check passes, else the course's reference, so a notebook
    runs to the end with the exercise still open; prints which one ``what`` is."""
    passed = verify_student(student).passed
    print(f"{what}: " + ("yours" if passed else
                         "the reference stands in (yours has not passed its check yet)"))
    return student if passed else reference


@dataclass(frozen=True)
class Check:
    """One exercise's check as data: its name in the verdict, the reference, the cases and how
    an answer is read and diagnosed (``verify``'s arguments). The notebook's check runs it on
    the student's function in the kernel; the grader (``course_utils.grade``) compares the
    sandbox's plain results with the same reference and cases."""

    name: str
    reference: Callable
    cases: tuple[Case, ...]
    answer: Callable = as_array
    mistakes: tuple[Mistake, ...] = ()
    refusal: type[Exception] = ValueError
    parts: tuple[str, ...] = ()

    def __post_init__(self):  # lists given, tuples kept: a Check cannot change after it is made
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "mistakes", tuple(self.mistakes))
        object.__setattr__(self, "parts", tuple(self.parts))

    def verify(self, student: Callable, time_limit: float = TIME_LIMIT_S) -> Verdict:
        """This check run on ``student`` (see :func:`verify`)."""
        return verify(self.name, student, self.reference, self.cases, answer=self.answer,
                      mistakes=self.mistakes, refusal=self.refusal, parts=self.parts,
                      time_limit=time_limit)


def report(verdict: Verdict) -> None:
    """Print the verdict's one line: all a check cell shows (returns nothing, so a notebook
    prints no second line)."""
    print(verdict.line)


__all__ = [
    "FAILED", "PASSED", "Case", "Check", "Mistake", "StudentFailed", "Verdict", "call_student",
    "not_implemented", "report", "short", "verify", "yours_or_reference",
]
