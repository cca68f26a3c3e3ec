"""``make autograder``'s zip (tools/build_autograder.py) run as Gradescope runs it: unzipped into
a stand-in ``/autograder`` (``$GRADESCOPE_ROOT``), its ``run_autograder`` grading a solution
notebook with the zip's own copy of course_utils, results.json in Gradescope's format."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from course_utils.grade.synthetic import MAX_POOL_FROM_ZERO, notebook, with_function, write

ROOT = Path(__file__).resolve().parents[1]
BUILDER = ROOT / "tools" / "build_autograder.py"
TEST_FIELDS = {"name", "score", "max_score", "status", "output", "visibility"}


def _build(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILDER), "--out",
                           str(tmp_path / "dist" / "autograder.zip"), *extra],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """The built zip, unzipped where Gradescope puts it, run_autograder copied up as Gradescope
    does; the test's own settings file (seed 7, my_conv2d worth 2)."""
    tmp = tmp_path_factory.mktemp("gradescope")
    # the sandbox's unprivileged uid must reach the zip's worker.py: pytest's tmp folders are
    # private (700), Gradescope's /autograder is not (setup.sh makes sure)
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)
    config = tmp / "grading.toml"
    config.write_text("hidden_cases = 2\n[points]\nmy_conv2d = 2\n")
    built = _build(tmp, "--config", str(config), "--seed", "7")
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp / "dist" / "autograder.zip") as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # extractall drops the modes; Gradescope keeps them
        (root / "source" / name).chmod(modes[name] & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    yield root, names, modes
    shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, submission: dict) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    write(root / "submission" / "my notebook.ipynb", submission)
    (root / "results").mkdir()
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source" / "course-utils")}
    env.pop("COURSE_GRADE_SEED", None)
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _valid(results: dict) -> None:
    """Gradescope's results.json: a numeric score, tests with every field, statuses it knows."""
    assert isinstance(results["score"], int | float) and isinstance(results["output"], str)
    for test in results["tests"]:
        assert set(test) == TEST_FIELDS, test
        assert isinstance(test["score"], int | float) and isinstance(test["max_score"],
                                                                      int | float)
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
        assert 0 <= test["score"] <= test["max_score"]


def test_zip_layout_and_scripts(autograder):
    root, names, modes = autograder
    assert {"setup.sh", "run_autograder", "grading.toml"} <= set(names)
    assert "course-utils/pyproject.toml" in names
    assert "course-utils/course_utils/grade/worker.py" in names
    assert "course-utils/course_utils/display/digit_canvas.js" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    for name in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(root / "source" / name)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stderr
    toml = (root / "source" / "grading.toml").read_text()
    assert toml.startswith("seed = 7") and "my_conv2d = 2" in toml


def test_setup_installs_the_zips_own_copy(autograder):
    root, _, _ = autograder
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "AUTOGRADER_DRY_RUN": "1"}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("-m venv" in line and f"{root}/venv" in line for line in lines)
    assert any('"numpy>=' in line or "numpy>=" in line for line in lines)
    assert any("--no-deps" in line and line.endswith(f"{root}/source/course-utils")
               for line in lines), lines
    assert f"+ chmod 600 {root}/source/grading.toml" in lines
    assert f"+ chmod -R a+rX {root}/venv" in lines


def test_correct_notebook_gets_full_score(autograder):
    root, _, _ = autograder
    results = _run(root, notebook("01"))
    _valid(results)
    tests = {t["name"]: t for t in results["tests"]}
    assert len(tests) == 3 and tests["conv2d (my_conv2d)"]["max_score"] == 2
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 4
    assert all(t["status"] == "passed" for t in results["tests"])


def test_wrong_notebook_fails_with_its_hint_and_the_zips_package_runs(autograder):
    root, _, _ = autograder
    results = _run(root, with_function(notebook("02"), "my_max_pool", MAX_POOL_FROM_ZERO))
    _valid(results)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["max pooling (my_max_pool)"]["status"] == "failed"
    assert "start the maximum from the window itself" in tests["max pooling (my_max_pool)"][
        "output"]
    assert results["score"] == 1
    env = {**os.environ, "PYTHONPATH": str(root / "source" / "course-utils")}
    where = subprocess.run([sys.executable, "-c", "import course_utils; print(course_utils"
                            ".__file__)"], env=env, capture_output=True, text=True, cwd=root)
    assert where.stdout.strip().startswith(str(root / "source" / "course-utils"))


def test_a_grader_failure_still_leaves_a_result(autograder, tmp_path):
    root, _, _ = autograder
    broken = tmp_path / "autograder"
    (broken / "results").mkdir(parents=True)
    env = {**os.environ, "GRADESCOPE_ROOT": str(broken),
           "AUTOGRADER_PYTHON": str(tmp_path / "missing-python"), "PATH": "/nonexistent"}
    done = subprocess.run(["/bin/bash", str(root / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    results = json.loads((broken / "results" / "results.json").read_text())
    assert results["score"] == 0 and "autograder failed" in results["output"]


def test_bad_config_is_one_line(tmp_path):
    config = tmp_path / "g.toml"
    config.write_text("[points]\nmy_con2d = 1\n")
    built = _build(tmp_path, "--config", str(config))
    assert built.returncode == 2 and "unknown exercise" in built.stderr
    assert built.stderr.count("\n") == 1
    assert not (tmp_path / "dist" / "autograder.zip").exists()
