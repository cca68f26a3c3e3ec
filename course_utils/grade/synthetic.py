"""Synthetic submissions for the grader's tests and benchmark: the course's notebooks (solution
edition: every exercise right; student edition: every exercise open) with single functions
replaced, e.g. by an honest mistake or by one of the attacks the sandbox must withstand.

Needs a source checkout (the ``notebooks/`` and ``student/`` folders next to the package).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import course_utils

__all__ = ["ATTACKS", "NOTEBOOKS", "notebook", "with_function", "write"]

REPOSITORY = Path(course_utils.__file__).resolve().parents[1]
NOTEBOOKS = {"01": "01_convolution_by_hand", "02": "02_pooling", "03": "03_spatial_arithmetic",
             "04": "04_classic_architectures", "06": "06_what_the_network_learned",
             "08": "08_backprop_by_hand"}


def notebook(number: str, edition: str = "notebooks") -> dict:
    """Notebook ``number`` ("01") of ``edition`` ("notebooks": solutions, "student": open)."""
    path = REPOSITORY / edition / f"{NOTEBOOKS[number]}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def with_function(nb: dict, name: str, source: str) -> dict:
    """A copy of ``nb`` whose cell defining ``name`` holds ``source`` instead."""
    copy = json.loads(json.dumps(nb))
    pattern = re.compile(rf"^def {re.escape(name)}\(", re.MULTILINE)
    for cell in copy["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and pattern.search(text):
            cell["source"] = source
            return copy
    raise KeyError(f"no cell defines {name}")


def write(path: Path, nb: dict) -> Path:
    """Save ``nb`` as ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


# An honest mistake: the maximum starts from 0 (wrong on windows of negative numbers).
MAX_POOL_FROM_ZERO = '''
def my_max_pool(x, size, stride):
    x = np.asarray(x, dtype=float)
    rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            best = 0
            for v in x[i * stride:i * stride + size, j * stride:j * stride + size].ravel():
                best = max(best, v)
            out[i, j] = best
    return out
'''

# Attacks on notebook 01's my_conv2d (notebook 01 has three exercises: the other two must
# still be graded). ``{canary}`` / ``{submissions}`` are filled in by the tests.
ATTACKS = {
    "stack_walk": '''
import sys
def my_conv2d(image, kernel, stride=1, padding=0):
    frame, found = sys._getframe(1), None
    while frame is not None:
        for value in frame.f_locals.values():
            if isinstance(value, np.ndarray) and value.ndim == 2 and value is not image:
                found = value
        frame = frame.f_back
    return found if found is not None else np.zeros((1, 1))
''',
    "always_equal": '''
class Anything:
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
def my_conv2d(image, kernel, stride=1, padding=0):
    return Anything()
''',
    "patch_checker": '''
import numpy
def my_conv2d(image, kernel, stride=1, padding=0):
    numpy.allclose = lambda *a, **k: True
    numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)
    numpy.array_equal = lambda *a, **k: True
    for module in list(sys.modules.values()):
        if hasattr(module, "_equal"):
            module._equal = lambda *a: True
    return numpy.zeros((1, 1))
import sys
''',
    "os_exit": '''
import os
def my_conv2d(image, kernel, stride=1, padding=0):
    os._exit(0)
''',
    "endless_loop": '''
def my_conv2d(image, kernel, stride=1, padding=0):
    while True:
        pass
''',
    "stubborn_loop": '''
def my_conv2d(image, kernel, stride=1, padding=0):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
''',
    "memory_bomb": '''
def my_conv2d(image, kernel, stride=1, padding=0):
    hoard = []
    while True:
        hoard.append(np.ones(2**27))
''',
    "fork_bomb": '''
import os
def my_conv2d(image, kernel, stride=1, padding=0):
    while True:
        try:
            os.fork()
        except OSError:
            pass
''',
    "garbage_channel": '''
import os, sys
def my_conv2d(image, kernel, stride=1, padding=0):
    sys.stdout.write("\\x00garbage" * 100000)
    for name in os.listdir("out"):
        with open(os.path.join("out", name), "wb") as f:
            f.write(b"\\x80\\x04garbage{not json")
    with open("out/my_conv2d.json", "w") as f:
        f.write('{"outcomes": [{"value": 51.0}]}')
    return 51.0
''',
    "delete_files": '''
import os, shutil
def my_conv2d(image, kernel, stride=1, padding=0):
    for target in ({canary!r}, {submissions!r}):
        try:
            shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
        except OSError:
            pass
    for name in os.listdir("."):
        shutil.rmtree(name, ignore_errors=True) if os.path.isdir(name) else os.remove(name)
    return np.zeros((1, 1))
''',
    "reference_call": '''
from course_utils.byhand import ops
def my_conv2d(image, kernel, stride=1, padding=0):
    return ops.conv2d(image, kernel, stride=stride, padding=padding)
''',
    "torch_call": '''
import torch
import torch.nn.functional as F
def my_conv2d(image, kernel, stride=1, padding=0):
    out = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None],
                   stride=stride, padding=padding)
    return out[0, 0].numpy()
''',
    "probe": '''
import os, socket
def my_conv2d(image, kernel, stride=1, padding=0):
    try:
        socket.create_connection(("10.255.255.1", 80), timeout=0.5)
        network = "open"
    except OSError as err:
        network = type(err).__name__
    try:
        seen = sorted(os.listdir({submissions!r}))
    except OSError as err:
        seen = type(err).__name__
    raise RuntimeError(f"uid={{os.getuid()}} network={{network}} submissions={{seen}}")
''',
}
