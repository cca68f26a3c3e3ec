"""IPython start-up file of `make test-colab`'s kernels (tools/colab/lane.sh copies it into the
lane's IPYTHONDIR): makes each kernel look like a Colab kernel and checks its setup cell.

1. Imports the stand-in `google.colab` (tests/colab_stub), as Colab's kernel imports the real
   one, so `"google.colab" in sys.modules` holds and the setup cell takes its Colab branch.
2. Wraps `%pip` so that the setup cell's install is checked instead of ignored: IPython's
   `%pip` only prints pip's failure, the notebook would go on. A failing `%pip` raises here
   (nbval then fails that cell), and each call is appended to $COLAB_LANE_PIP_LOG, which
   lane.sh reads afterwards to prove that every notebook took the Colab branch.
The install itself is real: `%pip install ... "course-utils @ git+https://github.com/...@v<version>"`
runs pip, and lane.sh's git configuration (url.<release>.insteadOf) makes that clone come from
a bare copy of the checkout's HEAD tagged v<version>, not GitHub.
"""

import os
import shlex

import google.colab  # noqa: F401  (the stand-in: see tests/colab_stub)
from IPython import get_ipython

_original_pip = get_ipython().find_line_magic("pip")


def _checked_pip(line):
    user_ns = get_ipython().user_ns
    user_ns.pop("_exit_code", None)
    _original_pip(line)
    status = user_ns.get("_exit_code", 0)
    log = os.environ.get("COLAB_LANE_PIP_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{status}\t{os.getcwd()}\t{shlex.join(shlex.split(line))}\n")
    if status:
        raise RuntimeError(f"%pip {line} failed with exit status {status} (see pip's output)")


get_ipython().register_magic_function(_checked_pip, "line", "pip")
del _checked_pip
