#!/usr/bin/env bash
# Gradescope's autograder setup (this zip is built by `make autograder`,
# tools/build_autograder.py). Gradescope runs it once, as root, in /autograder/source, when it
# builds the image: a virtual environment in /autograder/venv with NumPy and the zip's own copy
# of course_utils (course-utils/; --no-deps: grading needs NumPy only, no torch).
#
# $GRADESCOPE_ROOT replaces /autograder; AUTOGRADER_DRY_RUN=1 prints the commands instead of
# running them (tests).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${GRADESCOPE_ROOT:-/autograder}"
VENV="$ROOT/venv"

run() {
    if [ -n "${AUTOGRADER_DRY_RUN:-}" ]; then echo "+ $*"; else "$@"; fi
}

PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    # Ubuntu 22.04's python3 is 3.10; course_utils needs 3.11 or later (tomllib)
    run apt-get update -q
    run apt-get install -y -q python3.11 python3.11-venv
    PYTHON=python3.11
fi
if ! run "$PYTHON" -m venv --clear "$VENV"; then
    # Debian and Ubuntu ship venv's pip separately (python3.X-venv)
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    run apt-get update -q
    run apt-get install -y -q "python$version-venv"
    run "$PYTHON" -m venv --clear "$VENV"
fi
run "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check "@NUMPY@"
run "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check --no-deps \
    "$HERE/course-utils"
# The sandbox runs the student's code under an unprivileged uid: it must reach the interpreter,
# NumPy and the grader's worker.py in the venv, never the hidden cases' seed.
run chmod a+x "$ROOT"
run chmod -R a+rX "$VENV"
if [ -f "$HERE/grading.toml" ]; then run chmod 600 "$HERE/grading.toml"; fi
run "$VENV/bin/python3" -m course_utils.grade --help >/dev/null
