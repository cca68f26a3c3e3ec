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


def test_environment_yml_installs_exactly_what_pyproject_declares():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in conda if d.startswith("python"))
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert python == f"python={minimum}", "environment.yml tests the oldest supported Python"
    assert sorted(conda) == sorted([python, "pip"]), "other packages belong in pyproject.toml"
    declared = PYPROJECT["project"]["dependencies"] + [
        spec for extra in PYPROJECT["project"]["optional-dependencies"].values() for spec in extra]
    assert sorted(pip) == sorted(declared), "environment.yml and pyproject.toml drifted apart"


def test_binder_installs_the_package_after_the_environment():
    # repo2docker builds environment.yml before the repository is copied in, so the package
    # itself can only be installed by postBuild (jupyterhub/repo2docker#1265).
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    commands = [line for line in post_build.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert "python -m pip install --no-deps -e ." in commands


def test_every_environment_yml_entry_says_what_it_is_for():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip().startswith("- "):
            assert "#" in line, f"uncommented entry: {line.strip()}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:.*\n(\t.*\n)*\t.*-m pytest", makefile, re.M)
