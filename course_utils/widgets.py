"""Self-check quizzes and the conv-layer explorer, built from core ipywidgets only.

Colab renders nothing but the core widgets, so everything here is Text, Button, HTML,
IntSlider, ToggleButtons, VBox and HBox. The checking and explaining logic are plain
functions (`check_answer`, `explain`) so tests can drive them without a browser.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import ipywidgets as w

CORRECT = "✓ Correct"
NOT_QUITE = "✗ Not quite"

_SUFFIXES = {"k": 1_000, "m": 1_000_000}
_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)(?:e([-+]?\d+))?([km])?$", re.I)


# ---------------------------------------------------------------------------------------------
# Quiz: the lecture's "Q:" prompts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: `correct` and the line shown under the answer box."""

    correct: bool
    message: str


def _parse_number(text: str) -> tuple[float, float] | None:
    """'34,848' -> (34848, 0); '35K' -> (35000, 500): the value and the rounding it implies."""
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", text.strip())
    match = _NUMBER.match(text)
    if not match:
        return None
    digits, exponent, suffix = match.groups()
    scale = _SUFFIXES[suffix.lower()] if suffix else 1
    scale *= 10 ** int(exponent) if exponent else 1
    value = float(digits) * scale
    if not suffix and not exponent:
        return value, 0.0
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return value, 0.5 * scale * 10 ** (-decimals)  # '35K' stands for anything that rounds to it


def _parse_shape(text: str) -> tuple[float, ...] | None:
    """'55x55x96', '55 x 55 x 96', '[55, 55, 96]', '55×55×96' -> (55, 55, 96)."""
    parts = [p for p in re.split(r"\s*[x×*,]\s*|\s+", text.strip("()[] ").lower()) if p]
    numbers = [_parse_number(p) for p in parts]
    if len(parts) < 2 or any(n is None for n in numbers):
        return None
    return tuple(n[0] for n in numbers)


def check_answer(given: str, answer, tolerance: float = 0.0) -> Feedback:
    """Lenient check of a typed answer against the expected number, shape or text.

    Numbers accept thousands separators and the slide's rounding ('34,848', '35K' for 34848);
    shapes accept any of 'x', '×', ',' or spaces between the sizes ('55 x 55 x 96').
    """
    text = str(given).strip().rstrip("!.").strip()
    if not text:
        return Feedback(False, "Type an answer first.")
    if isinstance(answer, tuple | list):
        shape = _parse_shape(text)
        if shape is None and len(answer) == 1:
            number = _parse_number(text)
            shape = None if number is None else (number[0],)
        if shape is None:
            return Feedback(False, f"{NOT_QUITE}: write the sizes like "
                                   f"{' x '.join(str(a) for a in answer[:2])} x ...")
        if len(shape) == len(answer) and all(
            abs(s - a) <= tolerance for s, a in zip(shape, answer, strict=True)
        ):
            return Feedback(True, CORRECT)
        if sorted(shape) == sorted(float(a) for a in answer):
            return Feedback(False, f"{NOT_QUITE}: right numbers, wrong order "
                                   f"(the slides write width x height x depth).")
        return Feedback(False, NOT_QUITE)
    if isinstance(answer, int | float):
        parsed = _parse_number(text)
        if parsed is None:
            shape = _parse_shape(text)
            if shape is not None and math.isclose(math.prod(shape), answer):
                return Feedback(True, f"{CORRECT} ({' x '.join(f'{s:g}' for s in shape)} = "
                                      f"{answer:,})")
            return Feedback(False, f"{NOT_QUITE}: expected a number, got {text!r}")
        value, rounding = parsed
        if abs(value - answer) <= max(tolerance, rounding) + 1e-9 * abs(answer):
            return Feedback(True, CORRECT)
        return Feedback(False, NOT_QUITE)
    if text.casefold() == str(answer).strip().casefold():
        return Feedback(True, CORRECT)
    return Feedback(False, NOT_QUITE)


class Quiz(w.VBox):
    """A question, an answer box, a "Check" button and a feedback line."""

    def __init__(self, question: str, answer, tolerance: float = 0.0,
                 explanation: str = "", hint: str = ""):
        self.question, self.answer, self.tolerance = question, answer, tolerance
        self.explanation, self.hint = explanation, hint
        self.last: Feedback | None = None
        self.answer_box = w.Text(placeholder="your answer", description="Answer:",
                                 continuous_update=False)
        self.check_button = w.Button(description="Check", button_style="primary")
        self.feedback = w.HTML(value="")
        self.feedback.add_class("quiz-feedback")
        self.check_button.on_click(lambda _: self.check())
        self.answer_box.observe(lambda _: self.check(), names="value")  # Enter also checks
        super().__init__([w.HTML(f"<b>Q:</b> {html.escape(question)}"),
                          w.HBox([self.answer_box, self.check_button]), self.feedback])
        self.add_class("quiz")

    def check(self, given: str | None = None) -> Feedback:
        """Check `given` (default: what is typed in the box) and show the verdict."""
        if given is not None:
            self.answer_box.value = given
        self.last = check_answer(self.answer_box.value, self.answer, self.tolerance)
        extra = self.explanation if self.last.correct else self.hint
        color = "green" if self.last.correct else "#b00020"
        line = html.escape(self.last.message) + (f" — {html.escape(extra)}" if extra else "")
        self.feedback.value = f'<span style="color:{color}">{line}</span>'
        return self.last

    def __repr__(self) -> str:  # the text/plain fallback where widgets cannot render
        return f"Q: {self.question}\n(answer in a live notebook to check it)"


def quiz(question: str, answer, tolerance: float = 0.0, explanation: str = "",
         hint: str = "") -> Quiz:
    """A self-check for one of the lecture's "Q:" prompts (output volume size? parameters?).

    `answer` is a number, a shape tuple such as (55, 55, 96) or a text; `explanation` is shown
    after a correct answer, `hint` after a wrong one.
    """
    return Quiz(question, answer, tolerance, explanation, hint)
