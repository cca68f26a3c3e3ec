"""A stand-in for Colab's `google.colab`, for `make test-colab` only (tools/colab/lane.sh).

On Colab the kernel imports `google.colab` at start-up, so `"google.colab" in sys.modules` is
how our notebooks' setup cell and `course_utils.training.devices.colab_gpu_hint` recognise it. The
lane puts this folder's parent on PYTHONPATH and tools/colab/ipython_startup.py imports this module
in every notebook kernel (never in the pytest process: the unit tests check the non-Colab
branch). Nothing of Colab's real API is imitated; a notebook that reaches for it fails loudly.
"""

STAND_IN = True  # lets a test tell this module from the real one


def __getattr__(name: str):
    raise AttributeError(
        f"google.colab.{name}: the test lane's stand-in (tests/colab_stub) has no {name!r}; "
        "course_utils and the notebooks must not depend on Colab's own API")
