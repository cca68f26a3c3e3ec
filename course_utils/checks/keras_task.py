"""The checks of notebook 07's exercises: the slide's layer list as a Keras model
(``my_keras_model``, against ``keras_task.build_keras_model``), and a PyTorch ``Linear`` weight
after ``nn.Flatten`` as a Keras ``Dense`` kernel (``keras_task.dense_kernel`` is the reference).
Each ``check_*`` prints one line; ``verify_*`` returns the verdict (tests).

The model check builds the student's model on a thread of its own with the time limit, reads it
as plain data there (``keras_mistakes.model_facts``) and compares it with the slide's list: the
input, the kinds of layers, each layer's settings, the parameter count, each difference with the
hint for its usual mistake. Then the proof: notebook 05's seed-0 PyTorch weights go into the
student's model and seeded images must give the PyTorch network's probabilities.

The dense-kernel cases start with a dense layer that follows no feature map (a plain transpose)
and then feature maps whose channels, height and width all differ, so that a missing column
reordering, a reordering in the wrong direction, height and width swapped, and a reshape where a
transpose belongs all give other numbers. No Keras needed for that one (NumPy in and out).
"""

from __future__ import annotations

import copy
import functools
import random
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from course_utils import keras_task
from course_utils.checks import keras_mistakes
from course_utils.checks.isolated_call import TIME_LIMIT_S, TimeLimitExceeded, call_isolated
from course_utils.checks.verdict import (
    FAILED,
    PASSED,
    Case,
    Mistake,
    Verdict,
    not_implemented,
    report,
    short,
    verify,
)
from course_utils.keras_task import dense_kernel
from course_utils.training import engine, loop, task

TRANSPOSE_HINT = ("Keras' Dense kernel is (inputs, units), PyTorch's Linear weight (units, "
                  "inputs): transpose it (.T); a reshape keeps the numbers in the wrong order")
FLATTEN_HINT = ("nn.Flatten reads the map as (c, h, w), Keras' Flatten as (h, w, c): reshape "
                "the weight to (units, c, h, w), move c last, flatten back, then transpose")


def _weight(seed: int, units: int, inputs: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((units, inputs)).round(3)


def dense_kernel_cases() -> list[Case]:
    """(weight, flattened_from): the task's two dense layers and small maps of unequal sides."""
    return [
        Case("the task's dense2: (10, 256), no feature map before it",
             (_weight(1, 10, 256), None)),
        Case("the task's dense1: (256, 4608) after Flatten of (32, 12, 12)",
             (_weight(2, 256, 32 * 12 * 12), (32, 12, 12))),
        Case("3 units after a 2x3x4 map (c=2, h=3, w=4)", (_weight(3, 3, 24), (2, 3, 4))),
        Case("one channel (1x4x5): both flatten orders agree", (_weight(4, 2, 20), (1, 4, 5))),
    ]


def _reordered(w, flattened_from, axes=(0, 2, 3, 1), read_as=None):
    """The weight's columns moved from the (c, h, w) flatten order by ``axes`` (the right ones:
    (0, 2, 3, 1), channels last), reading the columns as ``read_as`` (default (c, h, w))."""
    w = np.asarray(w)
    if flattened_from is None:
        return w
    c, h, width = flattened_from
    shape = {"chw": (c, h, width), "hwc": (h, width, c)}[read_as or "chw"]
    return w.reshape(len(w), *shape).transpose(axes).reshape(len(w), -1)


# (weight, flattened_from) -> kernel: one slip each
DENSE_KERNEL_MISTAKES = [
    Mistake(lambda w, chw: np.asarray(w).T, FLATTEN_HINT),
    Mistake(lambda w, chw: _reordered(w, chw).reshape(np.shape(w)[1], np.shape(w)[0]),
            TRANSPOSE_HINT),
    Mistake(lambda w, chw: _reordered(w, chw), TRANSPOSE_HINT),
    Mistake(lambda w, chw: _reordered(w, chw, (0, 3, 2, 1)).T,
            "the Keras order is (h, w, c): rows, then columns, then channels (not w, h, c)"),
    Mistake(lambda w, chw: _reordered(w, chw, (0, 3, 1, 2), read_as="hwc").T,
            "reorder from PyTorch's (c, h, w) to Keras' (h, w, c), not the other way round"),
]


def verify_dense_kernel(student: Callable) -> Verdict:
    """A ``Linear`` weight (and the (c, h, w) it was flattened from, or None) -> the Keras
    ``Dense`` kernel that gives the same outputs on channels-last inputs."""
    return verify("dense kernel", student, dense_kernel, dense_kernel_cases(),
                  mistakes=DENSE_KERNEL_MISTAKES)


def check_dense_kernel(student: Callable) -> None:
    """Notebook 07's exercise: the flatten order between PyTorch and Keras."""
    report(verify_dense_kernel(student))


MODEL = "my_keras_model"
PROOF_TOLERANCE = 1e-5  # float32 through the same arithmetic in another order
_PACKAGE = Path(__file__).resolve().parents[1]


class WrongModel(TypeError):
    """The student's function returned something other than a Keras model."""


def _kind(value) -> str:
    """'a list', 'a dict', 'a numpy.ndarray': what came back, as a student names it."""
    cls = type(value)
    name = cls.__name__ if cls.__module__ == "builtins" else (
        f"{cls.__module__.split('.')[0]}.{cls.__name__}")
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _not_a_model(value, keras) -> str:
    """Why ``value`` is not the Keras model the exercise asks for, in a student's words."""
    wanted = "a keras.Sequential model is expected"
    if value is None:
        return f"returned None; {wanted} (is a `return` missing?)"
    if isinstance(value, str | bytes):
        return f"returned the text {short(value, 40)}; {wanted}, not text"
    if isinstance(value, list | tuple):
        entries = f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
        return (f"returned {_kind(value)} of {entries}; {wanted}: wrap the layers, "
                "keras.Sequential([...])")
    if isinstance(value, type):
        return f"returned the class {value.__name__}, not a model; {wanted}"
    if isinstance(value, keras.layers.Layer):  # before torch: on its backend, a torch Module
        return f"returned one layer ({type(value).__name__}); {wanted}, all layers in a list"
    if isinstance(value, torch.nn.Module):
        return (f"returned a PyTorch module ({type(value).__name__}); this exercise is Keras: "
                "keras.Sequential([...]) of keras.layers")
    return f"returned {_kind(value)}; {wanted}"


def _facts_of(student: Callable, keras) -> tuple:
    """On the student's thread: build the model and read it as plain data there."""
    model = student()
    if not isinstance(model, keras.Model):
        raise WrongModel(_not_a_model(model, keras))
    return model, keras_mistakes.model_facts(model, keras)


def _outputs(model, weights: list, images: np.ndarray) -> np.ndarray:
    """On the student's thread: the PyTorch weights copied in, the probabilities as plain
    float numbers."""
    keras_task.copy_torch_weights(weights, model)
    return np.array(keras_task.probabilities(model, images), dtype=float)


@functools.cache
def _slide():
    """The slide's list as facts, and the proof's data: notebook 05's seed-0 weights (NumPy),
    16 seeded images and the PyTorch network's probabilities for them. Built once, drawing
    nothing from the student's random generators (Keras' initialisers use Python's) and
    numbering no layer names of the notebook's."""
    state = random.getstate()
    try:  # on a thread of its own: Keras numbers layer names per thread, the notebook's stay
        reference = call_isolated(lambda: keras_mistakes.model_facts(
            keras_task.build_keras_model(), keras_task.import_keras()), seconds=60)
    finally:
        random.setstate(state)
    with torch.random.fork_rng(devices=[]):
        net = task.build_model()
    net.load_state_dict(engine.initial_state(seed=0))
    images = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = loop.predict_proba(net, images).double().numpy()
    return reference, keras_task.torch_weights(net), images.numpy(), expected


def _your_line(error: BaseException) -> str:
    """Where the student's code failed: the last frame outside this package and the installed
    libraries (Keras raises deep inside itself)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not Path(f.filename).resolve().is_relative_to(_PACKAGE)
              and "-packages/" not in f.filename and "/threading.py" not in f.filename]
    if not frames or not frames[-1].line:
        return ""
    return f" in your line {frames[-1].lineno}: {frames[-1].line}"


def _text(error: BaseException, width: int) -> str:
    """An error's message on one line, cut to ``width``."""
    text = " ".join(str(error).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _fail(what: str, hint: str = "") -> Verdict:
    return Verdict(False, f"{FAILED} {MODEL}: {what}." + (f" Hint: {hint}" if hint else ""))


def verify_keras_model(student: Callable, *, time_limit: float = TIME_LIMIT_S) -> Verdict:
    """Notebook 07, section 1: ``student()`` must return the slide's layer list as a Keras
    model (channels-last 28x28x1 input, ending in the slide's softmax): the same layers and
    settings as ``keras_task.build_keras_model()``, 1,191,338 parameters, and with notebook
    05's PyTorch weights copied in, the PyTorch network's probabilities."""
    keras = keras_task.import_keras()  # outside the time limit: a first import takes seconds
    try:
        model, facts = call_isolated(_facts_of, (student, keras), {}, time_limit)
    except NotImplementedError:
        return not_implemented(MODEL)
    except TimeLimitExceeded as err:
        return _fail(f"{MODEL}() {err} (an endless loop?); building the slide's model takes "
                     "a fraction of a second")
    except WrongModel as err:
        return _fail(f"your function {err}")
    except Exception as err:  # noqa: BLE001 - the student's error, shown as theirs
        return _fail(f"{MODEL}() raised {type(err).__name__}: {_text(err, 150)}"
                     f"{_your_line(err)}", keras_mistakes.crash_hint(str(err)))
    # the slide's facts and outputs are read only from here on, after the student's code
    reference, weights, images, expected = _slide()
    difference = keras_mistakes.first_difference(facts, reference)
    if difference:
        return _fail(*difference)
    try:
        got = call_isolated(_outputs, (model, copy.deepcopy(weights), images.copy()), {},
                            time_limit)
    except TimeLimitExceeded as err:
        return _fail(f"16 images through your model {err} (an endless loop in a layer?)")
    except Exception as err:  # noqa: BLE001 - a layer of the student's own, shown as theirs
        return _fail(f"with notebook 05's weights copied in, 16 images raised "
                     f"{type(err).__name__}: {_text(err, 100)}{_your_line(err)}")
    gap = float(np.abs(got - expected).max()) if got.shape == expected.shape else np.inf
    if not gap < PROOF_TOLERANCE:
        return _fail(f"with notebook 05's seed-0 weights copied in, its probabilities for 16 "
                     f"images differ from the PyTorch network's (largest difference {gap:.3g})",
                     keras_mistakes.TABLE_HINT)
    return Verdict(True, f"{PASSED} {MODEL}: the slide's {len(facts.layers)} layers, "
                         f"{facts.params:,} parameters, and notebook 05's outputs with its "
                         "weights")


def check_keras_model(student: Callable) -> None:
    """Notebook 07's first exercise: the slide's layer list in Keras."""
    report(verify_keras_model(student))


def yours_or_reference(student: Callable):
    """Notebook 07, section 1: the Keras model the rest of the notebook runs on: a fresh
    ``student()`` once its check passes, else ``keras_task.build_keras_model()`` (so the
    notebook runs to the end with the exercise open); one line says which."""
    if verify_keras_model(student).passed:
        print(f"your model: {MODEL} has passed its check, the rest of the notebook runs on it")
        return student()
    print(f"the reference stands in: your {MODEL}'s check has not passed")
    return keras_task.build_keras_model()


__all__ = [
    "DENSE_KERNEL_MISTAKES", "MODEL", "check_dense_kernel", "check_keras_model",
    "dense_kernel_cases", "verify_dense_kernel", "verify_keras_model", "yours_or_reference",
]
