"""Build the Gradescope autograder zip (``make autograder``): ``dist/autograder.zip``.

Gradescope's autograder specification: ``setup.sh`` and ``run_autograder`` at the zip's root;
Gradescope unzips it into ``/autograder/source``, runs ``setup.sh`` once when it builds the image
and ``run_autograder`` (copied to ``/autograder/run_autograder``) for every submission, which
writes ``/autograder/results/results.json``. The zip holds

- ``setup.sh``, ``run_autograder``: from ``tools/autograder/`` (``setup.sh`` installs NumPy and
  the copy below into ``/autograder/venv``; ``run_autograder`` runs
  ``python3 -m course_utils.grade --gradescope``);
- ``course-utils/``: the package's source as it is in this working tree (``pyproject.toml``,
  ``README.md``, ``LICENSE``, ``course_utils/`` without caches), so the zip needs nothing else;
- ``grading.toml``: the grading settings (``--config FILE``, checked like the grader checks
  it) with the hidden cases' ``seed``: the config's, ``--seed``, or a secret drawn here (printed
  once: keep it to reproduce the hidden cases).

    python tools/build_autograder.py [--out dist/autograder.zip] [--config FILE] [--seed N]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "tools" / "autograder"
SOURCE_DIR = "course-utils"  # the package's copy inside the zip
SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")
EXECUTABLE = 0o100755 << 16  # zip external attributes: a regular file, rwxr-xr-x
PLAIN = 0o100644 << 16

__all__ = ["build", "main", "package_files", "settings"]


def package_files(root: Path = ROOT) -> list[Path]:
    """The source files the zip carries, relative to ``root``: the project's metadata and every
    file under ``course_utils/`` except caches and compiled files."""
    files = [Path(name) for name in SOURCE_FILES]
    for path in sorted((root / "course_utils").rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
            files.append(relative)
    return files


def _numpy_requirement(root: Path) -> str:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return next(spec for spec in project["dependencies"] if spec.startswith("numpy"))


def settings(config: Path | None, seed: int | None) -> tuple[str, int]:
    """grading.toml's text and its seed: ``config``'s text (validated by the grader's own
    ``load_config``) with ``seed = N`` first unless it has one; ``seed`` (else a secret random
    one) fills it in."""
    sys.path.insert(0, str(ROOT))  # the grader's config reader, from this working tree
    from course_utils.grade.config import load_config

    text = config.read_text(encoding="utf-8") if config else ""
    loaded = load_config(config)
    if loaded.seed is not None:
        if seed is not None and seed != loaded.seed:
            raise ValueError(f"--seed {seed} differs from the seed in {config}")
        return text, loaded.seed
    seed = secrets.randbits(63) if seed is None else seed
    return f"seed = {seed}  # the hidden cases' seed (tools/build_autograder.py)\n{text}", seed


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = PLAIN) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = mode
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(out: Path, config: Path | None = None, seed: int | None = None,
          root: Path = ROOT) -> int:
    """Write the autograder zip to ``out``; returns the hidden cases' seed."""
    toml, seed = settings(config, seed)
    setup = (TEMPLATES / "setup.sh").read_text(encoding="utf-8")
    setup = setup.replace("@NUMPY@", _numpy_requirement(root))
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".part")
    with zipfile.ZipFile(temporary, "w") as archive:
        _add(archive, "setup.sh", setup.encode(), EXECUTABLE)
        _add(archive, "run_autograder", (TEMPLATES / "run_autograder").read_bytes(), EXECUTABLE)
        _add(archive, "grading.toml", toml.encode())
        for relative in package_files(root):
            _add(archive, f"{SOURCE_DIR}/{relative.as_posix()}", (root / relative).read_bytes())
    temporary.replace(out)
    return seed


def main(argv: list[str] | None = None) -> int:
    """The command line above; exit code 2 with one line on a bad config."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "autograder.zip")
    parser.add_argument("--config", type=Path, help="grading settings (TOML, docs/grading.md)")
    parser.add_argument("--seed", type=int, help="the hidden cases' seed (default: a secret)")
    args = parser.parse_args(argv)
    try:
        seed = build(args.out, args.config, args.seed)
    except (OSError, ValueError) as err:  # ConfigError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.out}: upload it as the assignment's autograder (Gradescope: Configure "
          f"Autograder > Zip file upload); hidden cases' seed {seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
