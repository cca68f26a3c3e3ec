"""The gradable exercises: name -> what the notebook's own check uses (its public cases,
reference, answer converter, known mistakes) plus what grading adds (hidden cases, the
functions a by-hand exercise must not call, default points).

Nothing is copied from ``course_utils.checks``: each exercise is its notebook check's own
``Check`` (``byhand.conv2d_check()``, ...: name, reference, cases, answer converter, known
mistakes), so a change to a check's cases changes the grading with it. Runs in the grader
process only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_utils.checks import architectures as architecture_checks
from course_utils.checks import backprop as backprop_checks
from course_utils.checks import byhand as byhand_checks
from course_utils.checks.verdict import Case, Check
from course_utils.grade import hidden

__all__ = ["EXERCISES", "Exercise", "exercise_names"]

# Resolved import paths a by-hand exercise may not use: the package's references, frameworks,
# and dynamic imports that would hide them from this rule.
FRAMEWORKS = ("course_utils", "torch", "tensorflow", "keras", "jax", "scipy", "cv2", "skimage",
              "numpy.convolve", "numpy.correlate", "__import__", "importlib", "eval", "exec")


@dataclass(frozen=True)
class Exercise:
    """One exercise as the grader sees it.

    name: the function the student writes (``my_conv2d``); notebook: its notebook's number;
    title: the check's own name (shown in feedback); reference, cases, answer, mistakes,
    refusal, parts: the fields of its notebook check's ``Check``; hidden_case: ``rng -> args``
    or ``hidden.Keywords`` (one random case of the same kind); forbidden: resolved dotted
    names (prefixes) the function may not use; allowed: exceptions to ``forbidden``.
    """

    name: str
    notebook: str
    title: str
    reference: Callable
    cases: tuple[Case, ...]
    answer: Callable
    mistakes: tuple
    refusal: type[Exception]
    parts: tuple[str, ...]
    hidden_case: Callable[[np.random.Generator], tuple]
    forbidden: tuple[str, ...] = FRAMEWORKS
    allowed: tuple[str, ...] = ()
    points: float = 1.0


def _exercise(name: str, notebook: str, check: Check, hidden_case, **extra) -> Exercise:
    return Exercise(name=name, notebook=notebook, title=check.name, reference=check.reference,
                    cases=check.cases, answer=check.answer, mistakes=check.mistakes,
                    refusal=check.refusal, parts=check.parts, hidden_case=hidden_case, **extra)


def _build() -> dict[str, Exercise]:
    b, a, bp = byhand_checks, architecture_checks, backprop_checks
    table = [
        _exercise("my_conv2d", "01", b.conv2d_check(), hidden.conv2d),
        # the lesson is the flip: the course's conv2d may do the sliding
        _exercise("my_true_convolution", "01", b.true_convolution_check(),
                  hidden.true_convolution, allowed=("course_utils.byhand.ops.conv2d",)),
        _exercise("my_conv_volume", "01", b.conv_volume_check(), hidden.conv_volume),
        _exercise("my_max_pool", "02", b.max_pool_check(), hidden.max_pool),
        _exercise("my_pool", "02", b.pool_check(), hidden.pool),
        _exercise("my_output_size", "03", b.output_size_check(), hidden.output_size),
        _exercise("my_stack_sizes", "03", b.stack_sizes_check(), hidden.stack_sizes),
        _exercise("my_same_padding", "03", b.same_padding_check(), hidden.same_padding),
        _exercise("my_conv_params", "03", b.conv_params_check(), hidden.conv_params),
        # arithmetic on layer sizes: the package's tables (architectures.layer_table,
        # byhand.geometry) and torch are the forbidden references (FRAMEWORKS has both)
        _exercise("my_conv_layer", "04", a.conv_layer_check(), hidden.conv_layer),
        _exercise("my_vgg_line", "04", a.vgg_line_check(), hidden.vgg_line),
        _exercise("my_branch_macs", "04", a.branch_macs_check(), hidden.branch_macs),
        _exercise("my_receptive_field", "06", b.receptive_field_check(), hidden.receptive_field),
        _exercise("my_numerical_gradient", "08", bp.numerical_gradient_check(),
                  hidden.numerical_gradient),
        _exercise("my_conv_backward_single", "08", bp.conv_backward_single_check(),
                  hidden.conv_backward_single),
        _exercise("my_conv_backward", "08", bp.conv_backward_check(), hidden.conv_backward),
        _exercise("my_max_pool_backward", "08", bp.max_pool_backward_check(),
                  hidden.max_pool_backward),
    ]
    return {exercise.name: exercise for exercise in table}


EXERCISES: dict[str, Exercise] = _build()


def exercise_names() -> list[str]:
    """Every gradable exercise, in notebook order."""
    return list(EXERCISES)
