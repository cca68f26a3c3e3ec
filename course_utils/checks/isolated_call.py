"""Run a student's function on a worker thread, with a time limit.

Two things a check needs and a plain call cannot give: an accidental endless loop becomes a ✗
("ran longer than 10 s") instead of a hung notebook, and the student's code runs on a stack of
its own, so it cannot walk up into the checker's frames to read the expected answer (it is not
computed yet anyway: the student's call always comes first). A thread that overruns is asked to
stop by raising an exception inside it; plain Python loops stop at once, a long NumPy call at
its end. Points never depend on this: graded runs happen in a separate sandboxed process.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable

__all__ = ["TIME_LIMIT_S", "TimeLimitExceeded", "call_isolated"]

TIME_LIMIT_S = 10.0  # per call: every exercise's reference takes milliseconds


class TimeLimitExceeded(RuntimeError):
    """The student's function did not return within the time limit."""


class _Stop(BaseException):
    """Raised inside an overrunning worker (BaseException: a student's `except Exception`
    does not swallow it)."""


def _stop(thread: threading.Thread) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                               ctypes.py_object(_Stop))


def call_isolated(function: Callable, args: tuple = (), kwargs: dict | None = None,
                  seconds: float = TIME_LIMIT_S):
    """``function(*args, **kwargs)`` on a fresh thread; its value, or its exception re-raised
    here, or :class:`TimeLimitExceeded` after ``seconds``."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function(*args, **(kwargs or {}))
        except _Stop:
            outcome["stopped"] = True
        except BaseException as err:  # noqa: BLE001 - handed back to the caller as it is
            outcome["error"] = err

    worker = threading.Thread(target=run, name="student-code", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        _stop(worker)
        worker.join(1.0)
        raise TimeLimitExceeded(f"ran longer than {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
