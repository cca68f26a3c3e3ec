"""What a student's function returned, turned into plain numbers before any comparison, and
shown readably in a verdict.

A check never compares the student's object itself: ``as_array`` copies it into a plain
``float`` ndarray, ``as_int`` into a Python int, ``as_int_tree`` into nested tuples of ints. An
object whose ``__eq__`` always says True, an ndarray subclass with rigged comparisons, a string
that looks like a number or an exception returned instead of raised gains nothing: it is
converted or refused with a :class:`WrongType` whose message is the verdict's explanation.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

__all__ = [
    "SMALL_ARRAY", "WrongType", "as_array", "as_arrays", "as_int", "as_int_tree", "describe",
    "first_difference",
]

SMALL_ARRAY = 36  # arrays up to 6x6 are shown whole in a verdict; larger ones by shape


class WrongType(TypeError):
    """The student's result is not the kind of value the exercise asks for (the message says
    what came back and what is wanted)."""


def _kind(value) -> str:
    """'a str', 'a generator', 'a torch.Tensor': what a student recognises."""
    cls = type(value)
    module = cls.__module__
    name = cls.__name__
    if module not in ("builtins", "__main__"):
        name = f"{module.split('.')[0]}.{name}"
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _refuse_obvious(value, wanted: str) -> None:
    if value is None:
        raise WrongType(f"returned None; {wanted} (is a `return` missing?)")
    if isinstance(value, BaseException):
        raise WrongType(f"returned the exception {type(value).__name__}({value}) instead of "
                        f"raising it (`raise {type(value).__name__}(...)`)")
    if isinstance(value, str | bytes):
        raise WrongType(f"returned the text {value!r}; {wanted}, not text")
    if inspect.isgenerator(value) or inspect.isasyncgen(value):
        raise WrongType(f"returned a generator; {wanted} (wrap it in a list or np.array)")
    if type(value).__module__.startswith("torch"):
        raise WrongType(f"returned {_kind(value)}; {wanted} (NumPy only here: "
                        "`.detach().numpy()` converts a tensor)")


def as_array(value) -> np.ndarray:
    """A plain float ndarray copy of ``value`` (numbers, nested lists, arrays)."""
    wanted = "a NumPy array of numbers is expected"
    _refuse_obvious(value, wanted)
    try:
        array = np.array(value, dtype=float)  # a copy, and never a subclass (subok=False)
    except (TypeError, ValueError) as err:
        ragged = "inhomogeneous" in str(err) or "sequence" in str(err)
        why = " (rows of different lengths?)" if ragged else ""
        raise WrongType(f"returned {_kind(value)} that is not an array of numbers{why}; "
                        f"{wanted}") from None
    return array


def as_arrays(*names: str):
    """A converter for a tuple of arrays such as (dx, dw, db): each entry through ``as_array``."""
    def convert(value) -> tuple[np.ndarray, ...]:
        wanted = f"a tuple ({', '.join(names)}) is expected"
        _refuse_obvious(value, wanted)
        if not isinstance(value, tuple | list) or len(value) != len(names):
            raise WrongType(f"returned {_kind(value)}; {wanted}")
        return tuple(as_array(v) for v in value)
    return convert


def as_int(value) -> int:
    """A Python int: ints and NumPy integers only; 5.0, '5' and True are refused."""
    wanted = "a whole number (an int) is expected"
    _refuse_obvious(value, wanted)
    if isinstance(value, bool | np.bool_):
        raise WrongType(f"returned {value!r}, a bool; {wanted}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
        return int(value)
    if isinstance(value, numbers.Real):
        hint = " (use // for whole-number division, or int(...))"
        raise WrongType(f"returned {value!r} ({_kind(value)[2:].strip()}); {wanted}{hint}")
    raise WrongType(f"returned {_kind(value)}; {wanted}")


def as_int_tree(value):
    """Nested tuples of ints from nested lists/tuples/arrays of ints: ((55, 55, 96), 34944)."""
    if isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim > 0):
        return tuple(as_int_tree(v) for v in value)
    return as_int(value)


def describe(value) -> str:
    """An input or output on one line: small arrays whole, larger ones as their shape."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.size <= SMALL_ARRAY:
            numbers_ = np.array2string(value, separator=", ", max_line_width=10_000,
                                       precision=4, suppress_small=True)
            return " ".join(numbers_.split())
        shape = "x".join(map(str, value.shape))
        article = "an" if shape.startswith(("8", "11", "18")) else "a"
        return f"{article} {shape} array"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return " ".join(repr(value).split())


def first_difference(got: np.ndarray, expected: np.ndarray, tolerance: float = 1e-6) -> str:
    """Where two arrays first differ: their shapes, or the first position, both values and the
    3x3 neighbourhood of both around it when the arrays are too large to show whole."""
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}"
    wrong = ~np.isclose(got, expected, rtol=tolerance, atol=1e-9)
    if not wrong.any():
        return ""
    position = tuple(int(i) for i in np.argwhere(wrong)[0])
    text = (f"first difference at {list(position)}: expected "
            f"{describe(float(expected[position]))}, got {describe(float(got[position]))}")
    if expected.size > SMALL_ARRAY and got.ndim >= 2:
        window = tuple(slice(max(p - 1, 0), p + 2) for p in position)
        text += (f" (around it: expected {describe(expected[window])}, "
                 f"got {describe(got[window])})")
    return text
