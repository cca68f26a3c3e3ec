"""Dependencies are declared once (pyproject.toml); environment.yml, Makefile and CI follow it."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_runtime_and_dev_dependencies_are_declared_with_lower_bounds_only():
    runtime = PYPROJECT["project"]["dependencies"]
    dev = PYPROJECT["project"]["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=!~\[ ]", spec)[0].lower() for spec in runtime}
    assert {"torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "jupyterlab",
            "tqdm", "torchinfo"} <= names
    assert {"pytest", "nbval", "hypothesis", "ruff"} <= {re.split(r"[<>=!~ ]", s)[0] for s in dev}
    for spec in runtime + dev:
        assert ">=" in spec and not re.search(r"<|==|~=", spec), f"{spec}: lower bounds only"


def test_environment_yml_installs_exactly_the_package_with_all_its_extras():
    text = (ROOT / "environment.yml").read_text()
    env = yaml.safe_load(text)
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in conda if d.startswith("python"))
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert python == f"python={minimum}", "environment.yml tests the oldest supported Python"
    assert sorted(conda) == sorted([python, "pip"]), "other packages belong in pyproject.toml"
    extras = ",".join(sorted(PYPROJECT["project"]["optional-dependencies"]))
    # A local requirement makes repo2docker (Binder) copy the repository in before it builds
    # the environment (CondaBuildPack._should_preassemble_env), so `-e .` works there too.
    assert pip == [f"-e .[{extras}]"]


def test_every_environment_yml_entry_says_what_it_is_for():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip().startswith("- "):
            assert "#" in line, f"uncommented entry: {line.strip()}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:.*\n(\t.*\n)*\t.*-m pytest", makefile, re.M)


def test_the_installed_package_carries_every_module_and_the_canvas_script():
    """The Colab lane installs the wheel (not editable): what the source tree has, it must have,
    every subpackage and the canvas' JavaScript (package data) included."""
    import course_utils

    installed = Path(course_utils.__file__).resolve().parent
    source = ROOT / "course_utils"

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for pattern in ("*.py", "*.js")
                for p in folder.rglob(pattern)}

    assert "display/digit_canvas.js" in files(source)
    missing = files(source) - files(installed)
    assert not missing, f"{installed} lacks {sorted(missing)}"
