"""Self-check quizzes and the conv-layer explorer, built from core ipywidgets only.

Colab renders nothing but the core widgets, so everything here is Text, Button, HTML,
IntSlider, ToggleButtons, VBox and HBox. The checking and explaining logic are plain
functions (`check_answer`, `explain`) so tests can drive them without a browser.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass
from fractions import Fraction

import ipywidgets as w

from course_utils.byhand.geometry import (
    GeometryError,
    conv_params,
    output_geometry,
    padding_pair,
    reached,
    window_starts,
)

CORRECT = "✓ Correct"
NOT_QUITE = "✗ Not quite"

_SUFFIXES = {"k": 1_000, "m": 1_000_000}
# An optional "~" or "≈" (the slide's "~65M"), digits, an exponent, a K/M suffix.
_NUMBER = re.compile(r"^([~≈]\s*)?([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)(?:e([-+]?\d+))?([km])?$",
                     re.I)
_MAX_EXPONENT = 400  # beyond this no quiz answer lies; 10**(10**9) would take forever to build
_MAX_LENGTH = 200  # a longer "answer" is pasted junk (and int() refuses > 4300 digits)
_MIN_FIGURES = 2  # a rounded answer keeps two significant figures: 35K for 34,848, not 0M


# ---------------------------------------------------------------------------------------------
# Quiz: the lecture's "Q:" prompts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: `correct` and the line shown under the answer box."""

    correct: bool
    message: str


@dataclass(frozen=True)
class _Number:
    """A typed number: its exact value, and how coarsely it is written if it is rounded."""

    value: Fraction
    rounded: bool  # written with K/M, an exponent or "~": it stands for a range of values
    half_width: Fraction  # '35K' stands for anything within 500 of 35,000; '800K' within 50K


def _parse_number(text: str) -> _Number | None:
    """'34,848' -> 34848 exactly; '35K' -> 35000 rounded (half width 500); junk -> None.

    Exact fractions, not floats: '1e309' is a (wrong) number, not an OverflowError.
    """
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", text.strip())
    match = _NUMBER.match(text)
    if not match:
        return None
    approx, digits, exponent, suffix = match.groups()
    power = int(exponent) if exponent else 0
    if abs(power) > _MAX_EXPONENT:  # check_answer turns this into a verdict
        raise OverflowError(f"{text} is beyond any quiz answer")
    scale = Fraction(10) ** power * (_SUFFIXES[suffix.lower()] if suffix else 1)
    value = Fraction(digits) * scale
    rounded = bool(approx or suffix or exponent)
    mantissa = digits.lstrip("+-")
    if "." in mantissa:
        last = -len(mantissa.split(".")[1])  # '34.8K': written to the hundreds
    else:
        # '800K' (the slides' 802,816) may be rounded at its last nonzero digit
        stripped = mantissa.rstrip("0")
        last = len(mantissa) - len(stripped) if stripped else 0
    return _Number(value, rounded, scale * Fraction(10) ** last / 2)


def _magnitude(x: Fraction) -> int:
    """m with 10**m <= |x| < 10**(m+1), exactly (no float: |x| may exceed 1e308)."""
    x = abs(x)
    m = len(str(x.numerator // x.denominator)) - 1
    while x < Fraction(10) ** m:
        m -= 1
    return m


def _rounds_to(value: Fraction, expected: Fraction) -> bool:
    """Is `value` the expected number rounded to two or more significant figures?

    Lecture: 34,848 -> 35K, 138,357,544 -> 138M, 3,211,264 -> 3.2M, 802,816 -> 800K. A rounding
    that swallows the value ('0M' for 34,848, '1e8' for 62,378,344) keeps none and is wrong.
    Ties may round either way: students are taught both conventions.
    """
    if expected == 0:
        return value == 0
    top = _magnitude(expected)
    for figures in range(_MIN_FIGURES, _MIN_FIGURES + 30):
        unit = Fraction(10) ** (top - figures + 1)
        if (value / unit).denominator == 1 and abs(value - expected) <= unit / 2:
            return True
    return False


def _parse_shape(text: str) -> tuple[Fraction, ...] | None:
    """'55x55x96', '55 x 55 x 96', '[55, 55, 96]', '55×55×96' -> (55, 55, 96)."""
    parts = [p for p in re.split(r"\s*[x×*,]\s*|\s+", text.strip("()[] ").lower()) if p]
    numbers = [_parse_number(p) for p in parts]
    if len(parts) < 2 or any(n is None for n in numbers):
        return None
    return tuple(n.value for n in numbers)


def _exact(number) -> Fraction:
    """An expected number (int, float, numpy scalar) as an exact fraction."""
    return Fraction(int(number)) if isinstance(number, numbers.Integral) else \
        Fraction(float(number))


def check_answer(given: str, answer, tolerance: float = 0.0) -> Feedback:
    """Lenient check of a typed answer against the expected number, shape or text.

    Numbers accept thousands separators and the slide's rounding ('34,848', '35K' for 34848,
    '62M' or '~62.4M' for 62,378,344): a rounded answer must keep at least two significant
    figures ('1k' for 760 is not an answer). Shapes accept any of 'x', '×', ',' or spaces
    between the sizes ('55 x 55 x 96'). Never raises: whatever is typed gets a verdict.
    """
    text = str(given).strip().rstrip("!.").strip()
    shown = text if len(text) <= 40 else text[:40] + "..."
    if not text:
        return Feedback(False, "Type an answer first.")
    if len(text) > _MAX_LENGTH:
        return Feedback(False, f"{NOT_QUITE}: expected a short answer, got {shown!r}")
    try:
        return _check(text, shown, answer, tolerance)
    except (ArithmeticError, ValueError, TypeError):
        # '1e99999', a NaN or inf expected value, a number too big to print: a verdict, not
        # a traceback in the middle of the lecture's notebook.
        return Feedback(False, f"{NOT_QUITE}: could not compare {shown!r} with the answer")


def _check(text: str, shown: str, answer, tolerance: float) -> Feedback:
    tol = _exact(tolerance)
    if isinstance(answer, tuple | list):
        shape = _parse_shape(text)
        if shape is None and len(answer) == 1:
            number = _parse_number(text)
            shape = None if number is None else (number.value,)
        if shape is None:
            return Feedback(False, f"{NOT_QUITE}: write the sizes like "
                                   f"{' x '.join(str(a) for a in answer[:2])} x ...")
        expected = [_exact(a) for a in answer]
        if len(shape) == len(answer) and all(
            abs(s - a) <= tol for s, a in zip(shape, expected, strict=True)
        ):
            return Feedback(True, CORRECT)
        if sorted(shape) == sorted(expected):
            return Feedback(False, f"{NOT_QUITE}: right numbers, wrong order "
                                   f"(the slides write width x height x depth).")
        return Feedback(False, NOT_QUITE)
    if isinstance(answer, numbers.Real) and not isinstance(answer, bool):
        expected = _exact(answer)
        parsed = _parse_number(text)
        if parsed is None:
            shape = _parse_shape(text)
            if shape is not None and abs(math.prod(shape) - expected) <= tol:
                return Feedback(True, f"{CORRECT} ({' x '.join(f'{s}' for s in shape)} = "
                                      f"{answer:,})")
            return Feedback(False, f"{NOT_QUITE}: expected a number, got {shown!r}")
        if abs(parsed.value - expected) <= tol:
            return Feedback(True, CORRECT)
        if (parsed.rounded and abs(parsed.value - expected) <= parsed.half_width
                and _rounds_to(parsed.value, expected)):
            return Feedback(True, CORRECT)
        return Feedback(False, NOT_QUITE)
    if text.casefold() == str(answer).strip().casefold():
        return Feedback(True, CORRECT)
    return Feedback(False, NOT_QUITE)


# ipywidgets saves a widget's text/plain (its repr) cut at 110 characters with "…": static
# renders (GitHub, nbviewer, untrusted notebooks) show only that. Our fallbacks stay shorter.
STATIC_LIMIT = 110
QUIZ_LIVE = "(answer in a live notebook to check it)"
EXPLORER_LIVE = "Conv explorer (move the sliders in a live notebook)"


def static_text(text: str, shorter: str) -> str:
    """``text`` if a static render shows it whole (under STATIC_LIMIT characters), else
    ``shorter`` (which must fit)."""
    if len(text) < STATIC_LIMIT:
        return text
    if len(shorter) >= STATIC_LIMIT:
        raise ValueError(f"static text of {len(shorter)} characters: {shorter!r}")
    return shorter


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
        return static_text(f"Q: {self.question}\n{QUIZ_LIVE}",
                           f"Q: (see the code above)\n{QUIZ_LIVE}")


def quiz(question: str, answer, tolerance: float = 0.0, explanation: str = "",
         hint: str = "") -> Quiz:
    """A self-check for one of the lecture's "Q:" prompts (output volume size? parameters?).

    `answer` is a number, a shape tuple such as (55, 55, 96) or a text; `explanation` is shown
    after a correct answer, `hint` after a wrong one.
    """
    return Quiz(question, answer, tolerance, explanation, hint)


# ---------------------------------------------------------------------------------------------
# Conv explorer: N, F, S, P sliders -> the slide's formula, output size and parameter count
# ---------------------------------------------------------------------------------------------

MODES = ("custom", "valid", "same", "full")
MAX_N, MAX_F, MAX_STRIDE = 32, 11, 5


@dataclass(frozen=True)
class Explanation:
    """What one setting of the conv layer does, as the explorer shows it."""

    fits: bool  # the filter fits exactly: the slide's formula gives a whole number
    size: int | None  # the output size frameworks use (floored), None if the filter is too big
    padding: tuple[int, int]  # zero padding (before, after) along each axis
    formula: str  # the slide's formula with the numbers substituted
    result: str  # one line: "Output: 5 x 5 x 10" or "doesn't fit! ..."
    params: int  # F*F*D1*K weights + K biases
    params_formula: str  # "(5*5*3)*10 weights + 10 biases = 760"

    @property
    def text(self) -> str:
        """The whole explanation as plain text (the fallback where widgets cannot render)."""
        return f"{self.formula}\n{self.result}\nParameters: {self.params_formula}"


def explain(n: int, f: int, stride: int = 1, padding: int | str = 0, d_in: int = 3,
            k: int = 10) -> Explanation:
    """The conv-layer summary slide for one setting: W2 = (W1 - F + 2P)/S + 1, D2 = K,
    (F*F*D1)*K weights + K biases. `padding` is an int or 'valid'/'same'/'full'.

    Never raises for sizes the sliders can reach: a filter that does not fit is explained.
    """
    params = conv_params(f, d_in, k)
    weights = f"({f}*{f}*{d_in})*{k} weights + {k} biases = {params:,}"
    try:
        before, after = padding_pair(padding, f)
        geo = output_geometry(n, f, stride, (before, after))
    except GeometryError as error:
        return Explanation(False, None, (0, 0), "W2 = (W1 - F + 2P)/S + 1", f"✗ {error}",
                           params, weights)
    # 'same' with an even F pads one more pixel after than before
    pads = "2P" if before == after else "P_before + P_after"
    formula = f"W2 = (W1 - F + {pads})/S + 1 = {geo.formula}"
    if geo.exact:
        result = f"Output: {geo.size} x {geo.size} x {k}"
    else:
        result = (f"doesn't fit! cannot apply a {f}x{f} filter on a {n}x{n} input with stride "
                  f"{stride} and padding {before}. Frameworks floor it to {geo.size} x "
                  f"{geo.size} x {k}, ignoring the last {geo.ignored} row(s)/column(s).")
    return Explanation(geo.exact, geo.size, (before, after), formula, result, params, weights)


def positions_svg(n: int, f: int, stride: int, padding: tuple[int, int],
                  width: int = 300) -> str:
    """An SVG of the padded input: padding grey, one dot per window position (= per output
    pixel), the first window orange, the last one blue, pixels no window reaches red."""
    before, after = padding
    size = n + before + after
    cell = max(4, min(24, width // max(size, 1)))
    starts = window_starts(n, f, stride, padding)
    covered = reached(n, f, stride, padding)  # the same along rows and columns
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size * cell + 2}" '
             f'height="{size * cell + 2}">']
    for r in range(size):
        for c in range(size):
            pad = not (before <= r < before + n and before <= c < before + n)
            hit = covered[r] and covered[c]
            color = "#d9d9d9" if pad else ("#ffffff" if hit else "#f4a6a6")
            parts.append(f'<rect x="{c * cell + 1}" y="{r * cell + 1}" width="{cell}" '
                         f'height="{cell}" fill="{color}" stroke="#999" stroke-width="0.5"/>')
    for r in starts:
        for c in starts:
            parts.append(f'<circle cx="{(c + f / 2) * cell + 1}" cy="{(r + f / 2) * cell + 1}" '
                         f'r="{max(1.5, cell / 6)}" fill="#333"/>')
    for start, color in ((starts[:1], "#ff7f0e"), (starts[-1:], "#1f77b4")):
        for s in start:
            parts.append(f'<rect x="{s * cell + 1}" y="{s * cell + 1}" width="{f * cell}" '
                         f'height="{f * cell}" fill="none" stroke="{color}" stroke-width="3"/>')
    return "".join(parts) + "</svg>"


class ConvExplorer(w.VBox):
    """Sliders for N, F, stride, padding (or valid/same/full), D1 and K; shows the window
    positions on the padded grid, the formula with the numbers, output size and parameters."""

    def __init__(self, n: int = 7, f: int = 3, stride: int = 1, padding: int = 0,
                 mode: str = "custom", d_in: int = 3, k: int = 10):
        style = {"description_width": "60px"}
        self.n = w.IntSlider(n, 1, MAX_N, description="N", style=style)
        self.f = w.IntSlider(f, 1, MAX_F, description="F", style=style)
        self.stride = w.IntSlider(stride, 1, MAX_STRIDE, description="stride", style=style)
        self.padding = w.IntSlider(padding, 0, MAX_F - 1, description="padding", style=style)
        self.mode = w.ToggleButtons(options=MODES, value=mode, description="mode",
                                    style=style)
        self.d_in = w.IntSlider(d_in, 1, 64, description="D1", style=style)
        self.k = w.IntSlider(k, 1, 128, description="K", style=style)
        self.drawing = w.HTML()
        self.formula = w.HTML()
        self.result = w.HTML()
        self.params = w.HTML()
        for widget, name in ((self.drawing, "drawing"), (self.formula, "formula"),
                             (self.result, "result"), (self.params, "params")):
            widget.add_class(f"conv-explorer-{name}")
        self.sliders = {"N": self.n, "F": self.f, "stride": self.stride,
                        "padding": self.padding, "D1": self.d_in, "K": self.k}
        self._busy = False
        for control in (*self.sliders.values(), self.mode):
            control.observe(self._update, names="value")
        controls = w.VBox([self.mode, *self.sliders.values()])
        super().__init__([w.HBox([controls, self.drawing]), self.formula, self.result,
                          self.params])
        self.add_class("conv-explorer")
        self._update()

    def _fit_ranges(self) -> None:
        # Sensible ranges: P <= F-1 and F <= N + 2P; the named modes fix P from F.
        if self.mode.value != "custom":
            self.padding.value = padding_pair(self.mode.value, self.f.value)[0]
        self.padding.disabled = self.mode.value != "custom"
        self.padding.max = max(0, self.f.value - 1)
        if self.mode.value in ("custom", "valid"):
            self.f.max = min(MAX_F, self.n.value + 2 * self.padding.value)
        else:
            self.f.max = MAX_F

    def _update(self, _change=None) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for _ in range(3):  # clamping one slider can move another: settle, then draw
                self._fit_ranges()
        finally:
            self._busy = False
        self.explanation = explain(*self.settings)
        e = self.explanation
        self.formula.value = f"<code>{html.escape(e.formula)}</code>"
        color = "green" if e.fits else "#b00020"
        self.result.value = f'<b style="color:{color}">{html.escape(e.result, quote=False)}</b>'
        self.params.value = f"Parameters: <code>{html.escape(e.params_formula)}</code>"
        self.drawing.value = (positions_svg(self.n.value, self.f.value, self.stride.value,
                                            e.padding) if e.size is not None else "")

    @property
    def settings(self) -> tuple[int, int, int, int | str, int, int]:
        """(N, F, stride, padding, D1, K) as `explain` takes them."""
        padding = self.padding.value if self.mode.value == "custom" else self.mode.value
        return (self.n.value, self.f.value, self.stride.value, padding, self.d_in.value,
                self.k.value)

    @property
    def output_text(self) -> str:
        """What the explorer shows, as plain text."""
        return self.explanation.text

    def __repr__(self) -> str:  # the text/plain fallback where widgets cannot render
        e, k = self.explanation, self.k.value
        if e.size is None:
            verdict = e.result.lstrip("✗ ")
        elif e.fits:
            verdict = f"output {e.size}x{e.size}x{k}, {e.params:,} parameters"
        else:
            verdict = f"doesn't fit, floored to {e.size}x{e.size}x{k}"
        arithmetic = e.formula.split(" = ", 2)[-1]  # "(7 - 3 + 2*0)/1 + 1 = 5"
        return static_text(f"{EXPLORER_LIVE}\n{arithmetic} -> {verdict}",
                           f"{EXPLORER_LIVE}\n{verdict}")


def conv_explorer(n: int = 7, f: int = 3, stride: int = 1, padding: int = 0,
                  mode: str = "custom", d_in: int = 3, k: int = 10) -> ConvExplorer:
    """The conv-layer summary slide as sliders: W2 = (W1 - F + 2P)/S + 1, D2 = K and
    (F*F*D1)*K + K parameters, with the window positions drawn on the padded input."""
    return ConvExplorer(n, f, stride, padding, mode, d_in, k)


__all__ = [
    "CORRECT", "EXPLORER_LIVE", "MODES", "NOT_QUITE", "QUIZ_LIVE", "STATIC_LIMIT",
    "ConvExplorer", "Explanation", "Feedback", "Quiz", "check_answer", "conv_explorer",
    "explain", "positions_svg", "quiz", "static_text",
]
