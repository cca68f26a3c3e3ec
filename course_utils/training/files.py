"""Safe file writes: a crash or Ctrl-C never leaves half a file where a result should be.

Every file the course writes (the verified MNIST cache, training histories, trained weights)
goes through :func:`write_atomic`: write a temporary file beside the target, then rename it
over the target, which the operating system does in one step.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``data`` (bytes, or a function that writes into the open binary file) to
    ``path`` through a temporary file and a rename; readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes | bytearray):
                out.write(data)
            else:
                data(out)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results and the cache are for every tool
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_json_atomic(path: str | os.PathLike, data: dict) -> Path:
    """``data`` as indented JSON, written with :func:`write_atomic`."""
    return write_atomic(path, json.dumps(data, indent=1).encode())


__all__ = ["write_atomic", "write_json_atomic"]
