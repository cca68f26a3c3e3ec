"""Grading one exercise from the worker's plain outcomes, in the grader process.

The cases are the check's public ones plus seeded hidden ones (``build_cases``). The verdict is
the notebook check's own: ``verdict.verify`` runs with a stand-in "student" that replays the
worker's outcomes case by case (a value, a re-raised exception of the same name, a time-out),
so the ✓/✗ line, the failing case and the mistake's hint read exactly as in the notebook. The
expected values are computed here, after the student's process has ended.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from course_utils.checks import verdict
from course_utils.checks.isolated_call import TimeLimitExceeded
from course_utils.checks.verdict import FAILED, Case, Verdict
from course_utils.grade.hidden import Keywords
from course_utils.grade.registry import Exercise

__all__ = ["ExerciseGrade", "build_cases", "grade_exercise", "incident_grade"]

HIDDEN_LABEL = "hidden case"


@dataclass(frozen=True)
class ExerciseGrade:
    """One exercise's outcome: points earned of ``max_points``, and the feedback line."""

    name: str
    points: float
    max_points: float
    passed: bool
    line: str


def build_cases(exercise: Exercise, hidden_count: int, seed: int) -> list[Case]:
    """The public cases, then ``hidden_count`` random ones from ``seed`` (the same for every
    student: fair, and reproducible by the instructor)."""
    rng = np.random.default_rng([seed, zlib.crc32(exercise.name.encode())])
    hidden = []
    for i in range(hidden_count):
        drawn = exercise.hidden_case(rng)
        args, kwargs = ((drawn.args, dict(drawn.kwargs)) if isinstance(drawn, Keywords)
                        else (tuple(drawn), {}))
        hidden.append(Case(f"{HIDDEN_LABEL} {i + 1}", tuple(args), kwargs=kwargs))
    return list(exercise.cases) + hidden


def _rebuilt(outcome: dict) -> Exception:
    """An exception named like the student's, of the first builtin base it had (so a
    GeometryError still counts as the ValueError the exercise asks for)."""
    import builtins

    base = Exception
    for name in outcome.get("bases", []):
        candidate = getattr(builtins, name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    if base is NotImplementedError:
        return NotImplementedError()
    message = outcome.get("message", "")
    if outcome.get("line"):
        message = f"{message} [your {outcome['line']}]"
    name = outcome["raised"] if outcome["raised"].isidentifier() else "Error"
    try:
        return type(name, (base,), {"__module__": "builtins"})(message)
    except TypeError:  # a base whose constructor wants other arguments
        return type(name, (Exception,), {"__module__": "builtins"})(message)


class _Replay:
    """Stands in for the student's function: returns / raises what the worker recorded."""

    def __init__(self, outcomes: list[dict]):
        self.outcomes, self.calls = outcomes, 0

    def __call__(self, *args, **kwargs):
        index, self.calls = self.calls, self.calls + 1
        if index >= len(self.outcomes):
            raise RuntimeError("no result came back for this case")
        outcome = self.outcomes[index]
        if "value" in outcome:
            return outcome["value"]
        if "timeout" in outcome:
            raise TimeLimitExceeded(f"ran longer than {outcome['timeout']:g} s")
        raise _rebuilt(outcome)


def _hidden_line(exercise: Exercise, case: Case, line: str, outcome: dict | None) -> str:
    """A failing hidden case, told without its inputs or expected value."""
    hint = line.split(" Hint: ", 1)[1] if " Hint: " in line else ""
    what = "fails"
    if outcome and "raised" in outcome:
        what = f"raises {outcome['raised']}"
    elif outcome and "timeout" in outcome:
        what = f"runs longer than {outcome['timeout']:g} s"
    text = (f"{FAILED} {exercise.title}: a {case.label} (random inputs like the public ones) "
            f"{what}; the public cases pass.")
    return f"{text} Hint: {hint}" if hint else text


def grade_exercise(exercise: Exercise, cases: list[Case], outcomes: list[dict], points: float,
                   show_hidden_inputs: bool = False) -> ExerciseGrade:
    """Full points when every case matches the reference, else 0 with the first failing case."""
    if outcomes and outcomes[0].get("missing"):
        return ExerciseGrade(exercise.name, 0.0, points, False,
                             f"{FAILED} {exercise.title}: no function `{exercise.name}` found "
                             "in your notebooks (is its cell there and its name unchanged?)")
    replay = _Replay(outcomes)
    result: Verdict = verdict.verify(
        exercise.title, replay, exercise.reference, cases, answer=exercise.answer,
        mistakes=exercise.mistakes, refusal=exercise.refusal, parts=exercise.parts)
    line = result.line
    if not result.passed and replay.calls:
        failing = cases[min(replay.calls, len(cases)) - 1]
        if failing.label.startswith(HIDDEN_LABEL) and not show_hidden_inputs:
            index = replay.calls - 1
            line = _hidden_line(exercise, failing, line,
                                outcomes[index] if index < len(outcomes) else None)
    return ExerciseGrade(exercise.name, points if result.passed else 0.0, points, result.passed,
                         line)


_INCIDENTS = {
    "timeout": "ran past its time limit (an endless loop?) and was stopped",
    "memory": "used more memory than allowed and was stopped",
    "crashed": "ended the grading process (os._exit, a crash, a signal)",
    "not run": "was not run: the time for the whole notebook ran out before it",
}


def incident_grade(exercise: Exercise, incident: str, points: float) -> ExerciseGrade:
    """0 points for an exercise during which the sandbox had to step in (``incident``: one of
    timeout, memory, crashed, not run)."""
    return ExerciseGrade(exercise.name, 0.0, points, False,
                         f"{FAILED} {exercise.title}: your code {_INCIDENTS[incident]}")


def forbidden_grade(exercise: Exercise, uses: list[str], points: float) -> ExerciseGrade:
    """0 points: the by-hand exercise calls a reference or framework."""
    shown = ", ".join(uses[:3]) + (" ..." if len(uses) > 3 else "")
    return ExerciseGrade(exercise.name, 0.0, points, False,
                         f"{FAILED} {exercise.title}: uses {shown}; this exercise is by hand: "
                         "write it with NumPy yourself (no course_utils, torch, scipy)")
