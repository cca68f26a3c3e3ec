"""The sandboxed half of the grader: runs ONE student's notebook definitions and calls their
exercise functions on the inputs it is sent. Standard library and NumPy only; it never sees an
expected value and never imports course_utils itself (it is run by path: ``python -I worker.py``).

Usage: ``python -I worker.py JOB_DIR``. JOB_DIR holds

- ``request.json``: ``{"notebooks": [paths], "exercises": [{"name", "cases": [{"args",
  "kwargs"}]}], "call_limit_s": float, "limits": {...}}``; arguments are plain JSON where an
  ndarray is ``{"__array__": key}`` (a key of ``inputs.npz``), a tuple ``{"__tuple__": [...]}``
  and one of the course's test functions ``{"__callable__": name}``;
- ``inputs.npz``: the arrays (loaded with ``allow_pickle=False``).

It writes into JOB_DIR/out, each file atomically (temporary name, then ``os.replace``):

- ``load.json``: which code cells ran as definitions, which names were defined;
- ``<exercise>.started`` before an exercise, ``<exercise>.json`` (+ ``.npz``) after it: one
  outcome per case, ``{"value": plain}`` or ``{"raised": ..., "bases": [...], "message": ...,
  "line": ...}`` or ``{"timeout": seconds}``. A plain value uses the encoding above, plus
  ``{"__str__": text}``, ``{"__exception__": name}`` and ``{"__object__": type name}`` for what is
  not numbers. Nothing the student returned leaves this process except as such plain data.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import linecache
import os
import re
import resource
import signal
import sys
import traceback

import numpy as np

__all__ = ["CallTimeout", "call_case", "decode", "definitions", "load", "main"]

MAX_ELEMENTS = 5_000_000  # the largest array a result may hold
MAX_ITEMS = 100_000  # the most list items / depth-first nodes in one result
MAGIC = re.compile(r"^\s*[%!?]")


class CallTimeout(BaseException):  # noqa: N818 - BaseException: `except Exception` won't swallow it
    """The exercise call used more than its per-call CPU time (raised by SIGPROF: CPU time,
    so a busy machine does not make a correct solution time out)."""


def _on_alarm(signum, frame):
    raise CallTimeout()


# --- loading the student's definitions --------------------------------------------------------

def _strip_magics(source: str) -> str:
    """IPython lines (%magic, !shell, ?help) become blank lines, so the rest parses."""
    return "\n".join("" if MAGIC.match(line) else line for line in source.splitlines())


def _bound_name(alias: ast.alias, is_from: bool) -> str:
    return alias.asname or (alias.name if is_from else alias.name.split(".")[0])


def _annotations(node: ast.AST):
    """The annotations under ``node``: never evaluated here (this module's ``from __future__
    import annotations`` is inherited by ``compile``), so their names need no import."""
    for n in ast.walk(node):
        if isinstance(n, ast.arg) and n.annotation is not None:
            yield n.annotation
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.returns is not None:
            yield n.returns
        elif isinstance(n, ast.AnnAssign):
            yield n.annotation


def _used_names(nodes) -> set[str]:
    """The names the definitions use, annotations left out (``def numel(model: torch.nn.Module)``
    does not make ``import torch`` run)."""
    nodes = list(nodes)
    skip = {id(n) for node in nodes for a in _annotations(node) for n in ast.walk(a)}
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and id(n) not in skip}


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def definitions(notebook: dict) -> tuple[list[tuple[str, ast.Module]], dict]:
    """The top-level definitions of every code cell, in notebook order, as compiled-ready
    modules: functions, classes, literal constants, and the imports those use (an import whose
    name no definition uses never runs, so ``import torch`` costs nothing unless needed)."""
    kept, skipped, cells = [], 0, 0
    for index, cell in enumerate(notebook.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        cells += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):
            skipped += 1
            continue
        source = _strip_magics(source)
        filename = f"<cell {index}>"
        try:
            tree = ast.parse(source, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            skipped += 1
            continue
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                          | ast.Import | ast.ImportFrom) or (
                    isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                    and _is_literal(node.value)):
                kept.append((filename, node))
    used = _used_names(node for _, node in kept
                       if not isinstance(node, ast.Import | ast.ImportFrom))
    modules = []
    for filename, node in kept:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            node.names = [a for a in node.names
                          if _bound_name(a, isinstance(node, ast.ImportFrom)) in used]
            if not node.names:
                continue
        modules.append((filename, ast.Module(body=[node], type_ignores=[])))
    return modules, {"code_cells": cells, "skipped_cells": skipped}


def load(paths: list[str]) -> tuple[dict[str, dict], dict]:
    """One namespace per notebook; exercise name -> the namespace of the last notebook (in
    the order given) that defines it. Errors of single definitions are recorded, not fatal."""
    owner: dict[str, dict] = {}
    report: dict = {"notebooks": [], "errors": []}
    for path in paths:
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
        modules, counts = definitions(notebook)
        namespace: dict = {"__name__": "__student__", "__builtins__": builtins}
        for filename, module in modules:
            try:
                exec(compile(module, filename, "exec"), namespace)  # noqa: S102 - the sandbox
            except BaseException as err:  # noqa: BLE001 - one broken import/def, not all
                if isinstance(err, MemoryError | CallTimeout):
                    raise
                report["errors"].append(f"{filename}: {type(err).__name__}: {err}"[:300])
        defined = sorted(k for k, v in namespace.items() if callable(v) and k.startswith("my_"))
        for name in defined:
            owner[name] = namespace
        report["notebooks"].append({"path": os.path.basename(path), "defined": defined, **counts})
    return owner, report


# --- plain data in and out --------------------------------------------------------------------

_CALLABLES = {
    "np.max": np.max, "np.mean": np.mean, "np.min": np.min, "np.median": np.median,
    "rms": lambda window: float(np.sqrt(np.mean(np.square(window)))),
    "sum_of_squares": lambda x: float(np.sum(x ** 2)),
    "sum_of_cubes": lambda x: float(np.sum(x ** 3)),
    "wavy": lambda x: float(np.sum(np.sin(3 * x) * x)),
    "square_of_sum": lambda x: float(np.sum(x) ** 2),
}


def decode(value, arrays):
    """Arguments from their JSON form (see the module docstring)."""
    if isinstance(value, list):
        return [decode(v, arrays) for v in value]
    if isinstance(value, dict):
        if "__array__" in value:
            return np.array(arrays[value["__array__"]])
        if "__tuple__" in value:
            return tuple(decode(v, arrays) for v in value["__tuple__"])
        if "__callable__" in value:
            return _CALLABLES[value["__callable__"]]
        return {k: decode(v, arrays) for k, v in value.items()}
    return value


class _Plain:
    """Converts one result into plain JSON + arrays, with size limits."""

    def __init__(self, prefix: str):
        self.prefix, self.arrays, self.items = prefix, {}, 0

    def _array(self, array: np.ndarray):
        if array.size > MAX_ELEMENTS:
            return {"__object__": f"array of {array.size} numbers (too large)"}
        if array.dtype.kind == "b":
            array = np.array(array, dtype=bool)
        elif array.dtype.kind in "iu":
            array = np.array(array, dtype=np.int64)
        elif array.dtype.kind == "f":
            array = np.array(array, dtype=np.float64)
        elif array.dtype.kind == "O":
            return self.convert(array.tolist())
        else:
            return {"__object__": f"{array.dtype} array"}
        key = f"{self.prefix}_{len(self.arrays)}"
        self.arrays[key] = array
        return {"__array__": key}

    def convert(self, value, depth: int = 0):
        self.items += 1
        if self.items > MAX_ITEMS or depth > 32:
            return {"__object__": "value too large or too deeply nested"}
        kind = type(value)
        if value is None or kind in (bool, int, float):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, str | bytes):
            return {"__str__": str(value)[:200]}
        if isinstance(value, BaseException):
            return {"__exception__": type(value).__name__[:60]}
        if kind in (list, tuple):
            items = [self.convert(v, depth + 1) for v in value]
            return items if kind is list else {"__tuple__": items}
        name = getattr(kind, "__name__", "object")
        if not isinstance(name, str):
            name = "object"
        module = getattr(kind, "__module__", "")
        if isinstance(module, str) and module.startswith("torch"):
            return {"__object__": f"torch.{name}"[:60]}
        try:  # anything array-like (a subclass, __array__, __float__) becomes plain floats
            return self._array(np.array(value, dtype=float))
        except BaseException as err:  # noqa: BLE001 - student object; describe it instead
            if isinstance(err, CallTimeout | MemoryError):
                raise
            return {"__object__": name[:60]}


def _student_line(error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith("<cell")]
    if not frames:
        return ""
    frame = frames[-1]
    return f"line {frame.lineno}: {(frame.line or '').strip()}"[:200]


def call_case(function, case: dict, arrays, limit: float, plain: _Plain) -> dict:
    """One call of the student's function under the per-call limit; its outcome as plain data."""
    args = decode(case.get("args", []), arrays)
    kwargs = decode(case.get("kwargs", {}), arrays)
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        value = function(*args, **kwargs)
        return {"value": plain.convert(value)}
    except CallTimeout:
        return {"timeout": limit}
    except BaseException as err:  # noqa: BLE001 - the student's error, reported as data
        bases = [c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins"]
        return {"raised": type(err).__name__[:60], "bases": bases[:8],
                "message": str(err)[:300], "line": _student_line(err)}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


# --- the job ----------------------------------------------------------------------------------

def _write_atomic(path: str, write) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _json(path: str, data) -> None:
    _write_atomic(path, lambda f: f.write(json.dumps(data).encode()))


def _apply_limits(limits: dict) -> None:
    """Own resource limits, set before any student code runs (hard limits: no way back)."""
    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if which is not None and value:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(which, (int(value), int(value)))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a huge write fails instead of killing


def main(job_dir: str) -> int:
    with open(os.path.join(job_dir, "request.json"), encoding="utf-8") as file:
        request = json.load(file)
    out = os.path.join(job_dir, "out")
    os.makedirs(out, exist_ok=True)
    with np.load(os.path.join(job_dir, "inputs.npz"), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    _apply_limits(request.get("limits", {}))
    signal.signal(signal.SIGPROF, _on_alarm)
    owner, report = load(request["notebooks"])
    _json(os.path.join(out, "load.json"), report)
    limit = float(request.get("call_limit_s", 2.0))
    for exercise in request["exercises"]:
        name = exercise["name"]
        _json(os.path.join(out, f"{name}.started"), {})
        function = owner.get(name, {}).get(name)
        plain = _Plain(name)
        if function is None:
            outcomes = [{"missing": True}]
        else:
            outcomes = []
            for index, case in enumerate(exercise["cases"]):
                with open(os.path.join(out, f"{name}.started"), "w") as marker:
                    marker.write(str(index))  # progress: the runner's watchdog resets per case
                outcome = call_case(function, case, arrays, limit, plain)
                outcomes.append(outcome)
                if "timeout" in outcome:  # the verdict stops at the first failure anyway
                    break
        _write_atomic(os.path.join(out, f"{name}.npz"),
                      lambda f, arrays_=plain.arrays: np.savez(f, **arrays_))
        _json(os.path.join(out, f"{name}.json"), {"outcomes": outcomes})
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1]))  # no atexit handlers a student registered
