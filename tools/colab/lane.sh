#!/usr/bin/env bash
# make test-colab: the unit tests and every notebook (nbval, quick mode) in Colab's runtime.
#
# .venv-colab: Colab's Python (3.13) when this machine has it, Colab's package versions
# (tools/colab/constraints.txt, from googlecolab/backend-info), course_utils installed the way
# the notebooks' setup cell installs it on Colab (`pip install --no-deps torchinfo <package>`,
# here from the checkout), and a stand-in `google.colab` in every notebook kernel, so the setup
# cell runs its real `%pip install ... git+https://github.com/...`; git's url.insteadOf turns
# that clone into a clone of this checkout and GIT_ALLOW_PROTOCOL=file refuses any other.
# Options: COLAB_PYTHON=/path/to/python3.13 picks the interpreter; arguments go to pytest;
# `tools/colab/lane.sh --which-python` only prints the interpreter it would use.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
VENV="$ROOT/.venv-colab"
BIN="$VENV/bin"
HERE="$ROOT/tools/colab"
CONSTRAINTS="$HERE/constraints.txt"
COLAB_PY="3.13"   # os-info.txt of the backend-info commit that constraints.txt names
start=$(date +%s)
say() { echo "colab lane: $*"; }
pip_() { "$BIN/python" -m pip --disable-pip-version-check "$@"; }

# --- 1. The interpreter: Colab's Python if there is one, else loudly the default python3.
works() { [ -n "$1" ] && "$1" -c 'import sys, venv' >/dev/null 2>&1; }
is_colab_py() { [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$COLAB_PY" ]; }
python=""
if [ -n "${COLAB_PYTHON:-}" ]; then
    works "$COLAB_PYTHON" || { echo "COLAB_PYTHON=$COLAB_PYTHON does not run" >&2; exit 2; }
    python="$COLAB_PYTHON"
else
    for candidate in "$(command -v "python$COLAB_PY" || true)" \
            $(ls -d "$HOME"/.pyenv/versions/"$COLAB_PY"*/bin/python"$COLAB_PY" 2>/dev/null | sort -rV) \
            "/usr/bin/python$COLAB_PY" "/usr/local/bin/python$COLAB_PY"; do
        # `command -v` may find a pyenv shim that only says "command not found": run it.
        if works "$candidate" && is_colab_py "$candidate"; then python="$candidate"; break; fi
    done
fi
if [ -z "$python" ]; then
    python="$(command -v python3)"
    echo "################################################################################" >&2
    echo "colab lane: NO Python $COLAB_PY FOUND (PATH, ~/.pyenv/versions/$COLAB_PY*)." >&2
    echo "colab lane: FALLING BACK TO $python ($("$python" -V 2>&1)), NOT COLAB'S PYTHON." >&2
    echo "colab lane: results say nothing about Python $COLAB_PY; set COLAB_PYTHON to fix." >&2
    echo "################################################################################" >&2
fi
say "interpreter $python ($("$python" -V 2>&1))"
if [ "${1:-}" = "--which-python" ]; then exit 0; fi  # only say which interpreter it would use

# --- 2. The environment, rebuilt when the interpreter, constraints or requirements change.
# (comment lines do not count: rewording the constraints' header rebuilds nothing)
key="$("$python" -c 'import sys; print(sys.version)' | tr -d '\n') $(cat "$CONSTRAINTS" \
    "$HERE/requirements.txt" "$ROOT/pyproject.toml" | grep -v '^#' | cksum)"
if [ ! -x "$BIN/python" ] || [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$key" ]; then
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    pip_ install --quiet --upgrade pip
    torch_pins=$(grep -E '^(torch|torchvision)==' "$CONSTRAINTS" | tr '\n' ' ')
    # Colab's torch is the +cpu build from PyTorch's CPU index; PyPI's is the CUDA build.
    t0=$(date +%s)
    if "$BIN/python" -c 'import urllib.request as u; u.urlopen("https://download.pytorch.org/whl/cpu/torch/", timeout=5)' \
            >/dev/null 2>&1; then
        say "installing $torch_pins from https://download.pytorch.org/whl/cpu (as Colab)"
        # shellcheck disable=SC2086
        pip_ install --quiet --index-url https://download.pytorch.org/whl/cpu $torch_pins \
            -c "$CONSTRAINTS"
    else
        say "download.pytorch.org unreachable: installing $torch_pins from PyPI (CUDA build, ~2.4 GB)"
        # shellcheck disable=SC2086
        pip_ install --quiet $torch_pins -c "$CONSTRAINTS"
    fi
    say "torch installed in $(( $(date +%s) - t0 )) s"
    pip_ install --quiet -r "$HERE/requirements.txt" -c "$CONSTRAINTS"
    echo "$key" > "$VENV/.installed"
fi

# --- 3. course_utils as the setup cell installs it on Colab (--no-deps, plus torchinfo, which
# Colab lacks), from this checkout, not editable: the tests import the installed copy.
pip_ install --quiet --no-deps --force-reinstall "$ROOT"
pip_ install --quiet --no-deps torchinfo
"$BIN/python" -P - <<'PY'
import importlib.metadata as md, sys, course_utils
names = ["torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "ipython", "ipykernel",
         "jupyter_client", "tqdm", "torchinfo", "keras", "pytest", "nbval", "course-utils"]
print("colab lane: Python", sys.version.split()[0], "|",
      ", ".join(f"{n} {md.version(n)}" for n in names))
assert "site-packages" in course_utils.__file__, course_utils.__file__
PY

# --- 4. Unit tests (not the browser test) and every notebook under nbval, quick mode.
rm -rf "$VENV/ipython" && mkdir -p "$VENV/ipython/profile_default/startup"
cp "$HERE/ipython_startup.py" "$VENV/ipython/profile_default/startup/00-colab-lane.py"
repository="$("$BIN/python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["urls"]["Repository"].rstrip("/").removesuffix(".git"))')"
# The setup cell installs the release tag the notebooks are stamped with (v + pyproject's version,
# tools/stamp_notebooks.py). Until an instructor pushes that tag, a bare copy of this checkout's
# HEAD carrying it stands in for the release.
tag="$("$BIN/python" -c 'import tomllib; print("v" + tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
release="$VENV/release.git"
rm -rf "$release" && git clone --quiet --bare "$ROOT" "$release"
git -C "$release" tag --force "$tag" HEAD >/dev/null
pip_log="$VENV/pip-calls.log"
: > "$pip_log"
status=0
# -P: sys.path without the checkout, so `course_utils` is the installed copy, as on Colab.
# What differs on Colab runs here; what never runs on Colab is left to `make test`: the browser
# tests drive JupyterLab, which Colab does not have (it draws widgets itself), and the command
# line and benchmark scripts run in the project's own environment (`make assignment`,
# `make bench`), not in a notebook (docs/colab.md), and so does an instructor's grading of a
# class (`make grade`, sandboxes on the instructor's machine, docs/grading.md).
PYTHONPATH="$ROOT/tests/colab_stub${PYTHONPATH:+:$PYTHONPATH}" \
IPYTHONDIR="$VENV/ipython" \
COLAB_LANE_PIP_LOG="$pip_log" \
GIT_CONFIG_COUNT=2 \
GIT_CONFIG_KEY_0="url.$release.insteadOf" GIT_CONFIG_VALUE_0="$repository" \
GIT_CONFIG_KEY_1="safe.directory" GIT_CONFIG_VALUE_1="*" \
GIT_ALLOW_PROTOCOL=file \
COURSE_QUICK="${COURSE_QUICK:-1}" \
    "$BIN/python" -P -m pytest -p no:cacheprovider --ignore-glob='tests/test_browser*.py' \
        --ignore-glob='tests/test_grade_*.py' \
        --ignore=tests/test_assignment_cli.py --ignore=tests/test_full_task.py \
        --ignore=tests/test_train_speed.py --durations=15 "$@" \
    || status=$?

# --- 5. Every notebook must have taken the Colab branch and installed without error.
if [ "$#" -eq 0 ]; then
    # both editions run under nbval: the solution notebooks and the student copies
    notebooks=$(ls notebooks/*.ipynb student/*.ipynb 2>/dev/null | wc -l)
    calls=$(grep -c 'git+' "$pip_log" || true)
    if [ "$calls" -ne "$notebooks" ] || grep -qv '^0	' "$pip_log"; then
        say "FAIL: expected $notebooks successful setup-cell installs, the log says:"
        cat "$pip_log"
        status=1
    else
        say "$calls notebooks took the Colab branch; their %pip install ran from $ROOT"
    fi
fi
say "done in $(( $(date +%s) - start )) s (exit $status)"
exit "$status"
