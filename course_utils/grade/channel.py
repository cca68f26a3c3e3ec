"""The data that crosses the sandbox's wall, both ways, as plain data only.

Out (grader -> worker): ``encode_cases`` turns each case's arguments into JSON plus named arrays
(for ``inputs.npz``). Back (worker -> grader): ``read_outcomes`` loads one exercise's result
files with ``allow_pickle=False`` and strict checks, and ``plain_value`` rebuilds a Python value
from the worker's encoding: numbers, bools, None, float/int/bool ndarrays, lists, tuples, and
stand-ins for text, exceptions and unknown objects. Anything else is garbage: ``BadResult``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from course_utils.grade.hidden import NAMED_CALLABLES

__all__ = ["BadResult", "encode_cases", "plain_value", "read_outcomes"]

MAX_RESULT_BYTES = 64 * 2**20  # a result file larger than this is garbage
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,59}")
_DTYPES = {np.dtype(np.float64), np.dtype(np.int64), np.dtype(bool)}


class BadResult(ValueError):
    """The worker's result for an exercise is missing, damaged or not plain data."""


def _encode(value, arrays: dict, prefix: str):
    if isinstance(value, np.ndarray):
        key = f"{prefix}_{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, prefix) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays, prefix) for v in value]
    if callable(value):
        return {"__callable__": NAMED_CALLABLES[value]}
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to the sandbox")


def encode_cases(name: str, cases, arrays: dict) -> list[dict]:
    """``[{"args": ..., "kwargs": ...}]`` for ``cases`` (``verdict.Case``); arrays are added
    to ``arrays`` under keys starting with ``name``."""
    return [{"args": _encode(list(case.args), arrays, f"{name}{i}"),
             "kwargs": {k: _encode(v, arrays, f"{name}{i}") for k, v in case.kwargs.items()}}
            for i, case in enumerate(cases)]


def _standin(kind: str, name: str):
    """An object of a class named like the student's (for the verdict's wording), inert."""
    clean = name if _NAME.fullmatch(name) else "object"
    cls = type(clean.split(".")[-1], (), {"__module__": "builtins", "__repr__":
                                          lambda self: f"<{kind} {clean}>"})
    return cls()


class _ReturnedText(str):
    """What the student returned as text (kept as text: the converters refuse it)."""


def plain_value(data, arrays: dict, depth: int = 0):
    """The Python value the worker's plain encoding stands for; ``BadResult`` on anything
    outside that encoding."""
    if depth > 40:
        raise BadResult("nested too deeply")
    if data is None or type(data) in (bool, int, float):
        return data
    if type(data) is list:
        return [plain_value(v, arrays, depth + 1) for v in data]
    if type(data) is dict and len(data) == 1:
        (tag, inner), = data.items()
        if tag == "__array__" and isinstance(inner, str) and inner in arrays:
            return arrays[inner]
        if tag == "__tuple__" and type(inner) is list:
            return tuple(plain_value(v, arrays, depth + 1) for v in inner)
        if tag == "__str__" and isinstance(inner, str):
            return _ReturnedText(inner)
        if tag == "__exception__" and isinstance(inner, str):
            return type(inner if _NAME.fullmatch(inner) else "Error", (Exception,), {})()
        if tag == "__object__" and isinstance(inner, str):
            return _standin("object", inner)
    raise BadResult(f"not plain data: {str(data)[:60]}")


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    if path.stat().st_size > MAX_RESULT_BYTES:
        raise BadResult("result arrays too large")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:  # noqa: BLE001 - any damage to the file is garbage
        raise BadResult(f"unreadable result arrays ({type(err).__name__})") from None
    for key, array in arrays.items():
        if array.dtype not in _DTYPES:
            raise BadResult(f"result array {key} has dtype {array.dtype}")
    return arrays


def _valid_outcome(outcome) -> bool:
    if type(outcome) is not dict or len(outcome) == 0:
        return False
    if "value" in outcome:
        return len(outcome) == 1
    if "raised" in outcome:
        return (isinstance(outcome["raised"], str) and isinstance(outcome.get("message", ""), str)
                and isinstance(outcome.get("line", ""), str)
                and isinstance(outcome.get("bases", []), list)
                and all(isinstance(b, str) for b in outcome.get("bases", [])))
    if "timeout" in outcome:
        return isinstance(outcome["timeout"], int | float)
    return outcome == {"missing": True}


def read_outcomes(out_dir: Path, name: str) -> list[dict] | None:
    """One exercise's outcomes, each ``{"value": python value}`` or the worker's record of an
    error / timeout / missing function; None when the worker never finished this exercise;
    ``BadResult`` when the files are damaged."""
    record = out_dir / f"{name}.json"
    if not record.is_file():
        return None
    if record.stat().st_size > MAX_RESULT_BYTES:
        raise BadResult("result file too large")
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadResult("result file is not JSON") from None
    outcomes = data.get("outcomes") if type(data) is dict else None
    if type(outcomes) is not list or not all(map(_valid_outcome, outcomes)):
        raise BadResult("result file does not have the expected form")
    arrays = _load_arrays(out_dir / f"{name}.npz")
    return [{"value": plain_value(o["value"], arrays)} if "value" in o else o for o in outcomes]
