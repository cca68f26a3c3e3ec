"""Colab and Binder readiness: every notebook opens with its Colab badge and setup cell, both
built from the one repository URL in pyproject.toml; widgets are core ipywidgets only, plus
anywidget for the digit canvas; Binder builds from the root environment.yml (its contents are
checked in tests/test_packaging.py)."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / "tools" / "stamp_notebooks.py"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"].removesuffix("/").removesuffix(".git")
RELEASE = f"v{PYPROJECT['project']['version']}"  # the tag the setup cell installs
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SETUP_COMMENT = "# Colab only: install course_utils from the repository (does nothing elsewhere)."
COLAB_NOTE = "# Colab has all other dependencies; --no-deps leaves its Jupyter as it is."
CORE_WIDGET_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls",
                       "@jupyter-widgets/output"}
# The one third-party widget front end allowed: notebook 06's drawing canvas
# (course_utils.display.digit_canvas). Colab preinstalls anywidget and loads it through its custom
# widget manager, which anywidget itself enables; any other module Colab would not draw.
ANYWIDGET_MODULE = "anywidget"
ALLOWED_WIDGET_MODULES = CORE_WIDGET_MODULES | {ANYWIDGET_MODULE}

by_name = pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _expected_badge(name: str) -> str:
    owner_and_name = REPOSITORY.removeprefix("https://github.com/")
    return ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{owner_and_name}/blob/main/notebooks/"
            f"{name})")


def _stamp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(STAMP), *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/*.ipynb"


def test_repository_url_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY), (
        f"[project.urls] Repository = {REPOSITORY!r}: Colab opens notebooks from GitHub")


@by_name
def test_notebook_is_numbered_and_titled_with_its_number(notebook):
    number = re.fullmatch(r"(\d\d)_[a-z0-9_]+\.ipynb", notebook.name)
    assert number, f"{notebook.name}: expected notebooks/0N_name.ipynb"
    first = _cells(notebook)[0]
    assert first["cell_type"] == "markdown"
    title = _source(first).splitlines()[0]
    assert re.fullmatch(rf"# {number.group(1)} · \S.*", title), f"{notebook.name}: {title!r}"


def test_notebook_numbers_are_unique():
    numbers = [nb.name[:2] for nb in NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), numbers


@by_name
def test_notebook_shows_its_colab_badge_under_the_title(notebook):
    lines = _source(_cells(notebook)[0]).splitlines()
    assert len(lines) > 1 and lines[1] == _expected_badge(notebook.name), (
        f"{notebook.name}: run `python tools/stamp_notebooks.py`")


@by_name
def test_notebook_starts_with_the_colab_setup_cell(notebook):
    setup = _cells(notebook)[1]
    assert setup["cell_type"] == "code", f"{notebook.name}: cell 2 must be the setup cell"
    assert _source(setup) == (
        f"{SETUP_COMMENT}\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f"    {COLAB_NOTE}\n"
        f'    %pip install --quiet --no-deps torchinfo "course-utils @ git+{REPOSITORY}@{RELEASE}"')


class _RecordingShell:
    """Stands in for IPython: records the magics a cell runs instead of running them."""

    def __init__(self):
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        self.magics.append((name, line))


def _run_setup_cell(notebook: Path) -> list[tuple[str, str]]:
    python = TransformerManager().transform_cell(_source(_cells(notebook)[1]))
    shell = _RecordingShell()
    exec(compile(python, f"{notebook.name}[setup]", "exec"), {"get_ipython": lambda: shell})
    return shell.magics


@by_name
def test_setup_cell_does_nothing_outside_colab(notebook, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert _run_setup_cell(notebook) == []


@by_name
def test_setup_cell_installs_this_package_from_the_repository_on_colab(notebook, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    magics = _run_setup_cell(notebook)
    assert [name for name, _ in magics] == ["pip"]
    words = magics[0][1].split(maxsplit=4)
    # Only what Colab lacks: its own torch, ipywidgets and Jupyter server stay as they are.
    assert words[:4] == ["install", "--quiet", "--no-deps", "torchinfo"]
    requirement = Requirement(words[4].strip('"'))
    assert requirement.name == PYPROJECT["project"]["name"]
    assert requirement.url == f"git+{REPOSITORY}@{RELEASE}"  # pinned: main may move on


def test_stamp_check_passes_on_the_committed_notebooks():
    result = _stamp("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_stamp_badges_print_one_row_per_notebook():
    rows = _stamp("--badges").stdout.splitlines()
    assert rows == [f"| `{nb.name}` | {_expected_badge(nb.name)} |" for nb in NOTEBOOKS]


def test_readme_shows_a_colab_badge_per_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [nb.name for nb in NOTEBOOKS if _expected_badge(nb.name) not in readme]
    assert not missing, ("README.md lacks the Colab badge of " + ", ".join(missing)
                         + "; `python tools/stamp_notebooks.py --badges` prints them")


def _copy_with_repository(tmp_path: Path, url: str) -> tuple[Path, Path]:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\nversion = "3.1"\n[project.urls]\n'
                         f'Repository = "{url}"\n')
    notebook = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], notebook)
    return pyproject, notebook


def test_stamp_follows_a_new_repository_url_and_leaves_the_rest_alone(tmp_path):
    pyproject, notebook = _copy_with_repository(tmp_path, "https://github.com/someone/fork.git")
    before = _cells(notebook)

    stamped = _stamp(str(notebook), "--pyproject", str(pyproject))
    assert stamped.returncode == 0 and "stamped" in stamped.stdout, stamped.stderr
    after = _cells(notebook)
    assert "github/someone/fork/blob/main/notebooks/" in _source(after[0])
    assert '"course-utils @ git+https://github.com/someone/fork@v3.1"' in _source(after[1])
    assert REPOSITORY not in _source(after[0]) + _source(after[1])
    assert after[2:] == before[2:], "cells after the header must stay as they were"
    assert _source(after[0]).splitlines()[2:] == _source(before[0]).splitlines()[2:]

    again = _stamp(str(notebook), "--pyproject", str(pyproject), "--check")
    assert again.returncode == 0 and again.stdout == "", "a second stamp must change nothing"


def test_stamp_check_reports_a_stale_notebook_without_changing_it(tmp_path):
    pyproject, notebook = _copy_with_repository(tmp_path, "https://github.com/someone/fork")
    original = notebook.read_bytes()
    result = _stamp(str(notebook), "--pyproject", str(pyproject), "--check")
    assert result.returncode == 1 and f"stale: {notebook}" in result.stdout
    assert notebook.read_bytes() == original


def test_stamp_inserts_a_missing_setup_cell_with_a_fresh_id(tmp_path):
    _, notebook = _copy_with_repository(tmp_path, REPOSITORY)
    content = json.loads(notebook.read_text(encoding="utf-8"))
    del content["cells"][1]
    notebook.write_text(json.dumps(content), encoding="utf-8")

    assert _stamp(str(notebook)).returncode == 0
    cells = _cells(notebook)
    assert _source(cells[1]).startswith(SETUP_COMMENT)
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
    ids = [cell.get("id") for cell in cells]
    assert cells[1].get("id") and len(ids) == len(set(ids)), "nbformat 4.5 wants unique ids"
    assert len(cells) == len(content["cells"]) + 1


def test_stamp_refuses_a_notebook_without_a_title_with_a_clear_message(tmp_path):
    _, notebook = _copy_with_repository(tmp_path, REPOSITORY)
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content["cells"][0]["source"] = ["Some text\n"]
    notebook.write_text(json.dumps(content), encoding="utf-8")
    result = _stamp(str(notebook))
    assert result.returncode == 2
    assert "first cell must be markdown starting '# 0N · Title'" in result.stderr
    assert "Traceback" not in result.stderr


@by_name
def test_saved_widget_state_uses_core_ipywidgets_or_anywidget_only(notebook):
    """Colab ships ipywidgets 7.x and, of third-party widget front ends, anywidget only."""
    metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
    state = metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    modules = {model["model_module"] for model in state.get("state", {}).values()}
    assert modules <= ALLOWED_WIDGET_MODULES, f"{notebook.name}: {modules - ALLOWED_WIDGET_MODULES}"


def test_widgets_module_imports_only_ipywidgets_besides_the_standard_library():
    tree = ast.parse((ROOT / "course_utils" / "display" / "widgets.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "course_utils"}
    assert third_party == {"ipywidgets"}, third_party


def test_binder_builds_from_the_root_environment_yml():
    """repo2docker reads binder/ or .binder/ instead of the root when either exists, and
    these files select another build pack before environment.yml is looked at."""
    assert (ROOT / "environment.yml").is_file()
    shadowing = [name for name in ("binder", ".binder", "Dockerfile", "Project.toml",
                                   "JuliaProject.toml", "REQUIRE", "default.nix", "DESCRIPTION")
                 if (ROOT / name).exists()]
    assert not shadowing, f"repo2docker would not use environment.yml because of {shadowing}"
