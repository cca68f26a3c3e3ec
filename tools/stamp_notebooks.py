"""(Re)write the Colab badge and setup cell of every notebook from ONE place: pyproject.toml.

The repository URL lives in `[project.urls] Repository`, the version in `[project] version`.
Every notebook starts with
  1. a markdown cell: `# 0N · Title`, then the "Open In Colab" badge line, then the intro;
  2. the setup code cell: on Colab it installs course_utils from that repository at the release
     tag `v<version>` (the package the notebook was written for, so a copy handed out this term
     keeps working when main moves on), elsewhere it does nothing.
This script rewrites the badge line and the setup cell from the URL and leaves every other cell,
and every output, byte for byte as it was. When the project moves, change the URL in
pyproject.toml and run:

    python tools/stamp_notebooks.py            # stamp notebooks/*.ipynb
    python tools/stamp_notebooks.py --check    # exit 1 and list the notebooks that are stale
    python tools/stamp_notebooks.py --badges   # the README's badge per notebook
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
NOTEBOOK_FOLDER = "notebooks"
COLAB_SHIELD = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_COMMENT = "# Colab only: install course_utils from the repository (does nothing elsewhere)."
# Colab ships every other dependency; installing ours with theirs would pull jupyterlab 4 and a
# newer jupyter_server into the runtime that serves the notebook.
COLAB_NOTE = "# Colab has all other dependencies; --no-deps leaves its Jupyter as it is."


class StampError(ValueError):
    """A notebook or pyproject.toml that the stamp cannot be applied to."""


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """`[project.urls] Repository` of pyproject.toml, without a trailing slash or .git."""
    urls = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("urls", {})
    if "Repository" not in urls:
        raise StampError(f"{pyproject}: no [project.urls] Repository")
    return re.sub(r"(\.git)?/*$", "", urls["Repository"])


def release_tag(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """`v` + `[project] version`: the tag an instructor pushes for a term (docs/release.md)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    if "version" not in project:
        raise StampError(f"{pyproject}: no [project] version")
    return f"v{project['version']}"


def github_path(url: str) -> str:
    """'https://github.com/owner/name' -> 'owner/name' (Colab opens notebooks from GitHub)."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url)
    if not match:
        raise StampError(f"Colab badges need a https://github.com/OWNER/NAME URL, got {url!r}")
    return match.group(1)


def colab_url(url: str, notebook: str) -> str:
    """Where Colab opens `notebook` (a file name in notebooks/) of the repository's main."""
    return (f"https://colab.research.google.com/github/{github_path(url)}/blob/{BRANCH}/"
            f"{NOTEBOOK_FOLDER}/{notebook}")


def badge_line(url: str, notebook: str) -> str:
    """The "Open In Colab" badge, as the second line of each notebook's first cell."""
    return f"[![Open In Colab]({COLAB_SHIELD})]({colab_url(url, notebook)})"


def setup_source(url: str, tag: str) -> str:
    """The setup cell: a no-op outside Colab; on Colab, pip-installs the package from `url` at
    release `tag`."""
    return (f"{SETUP_COMMENT}\n"
            "import sys\n"
            "\n"
            'if "google.colab" in sys.modules:\n'
            f"    {COLAB_NOTE}\n"
            f'    %pip install --quiet --no-deps torchinfo "course-utils @ git+{url}@{tag}"')


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)  # the list form Jupyter itself writes


def _free_cell_id(cells: list[dict]) -> str:
    taken = {cell.get("id") for cell in cells}
    candidates = ["colab-setup", *(f"colab-setup-{n}" for n in range(2, len(cells) + 3))]
    return next(candidate for candidate in candidates if candidate not in taken)


def stamp(notebook: dict, url: str, name: str, tag: str) -> dict:
    """`notebook` (nbformat JSON) with its badge and setup cell made current; cells after
    the header, and all outputs, untouched. A missing setup cell is inserted."""
    cells = notebook.get("cells", [])
    title = _text(cells[0]["source"]).splitlines() if cells else []
    if not cells or cells[0]["cell_type"] != "markdown" or not title or not re.match(
            r"# \d\d · \S", title[0]):
        raise StampError(f"{name}: the first cell must be markdown starting '# 0N · Title'")
    rest = title[1:]
    if rest and "colab-badge" in rest[0]:
        rest = rest[1:]  # the old badge, replaced below
    cells[0]["source"] = _lines("\n".join([title[0], badge_line(url, name), *rest]))

    source = setup_source(url, tag)
    if len(cells) > 1 and cells[1]["cell_type"] == "code" and \
            _text(cells[1]["source"]).startswith(SETUP_COMMENT):
        cells[1]["source"] = _lines(source)
    else:
        setup_cell = {"cell_type": "code", "execution_count": None, "metadata": {},
                      "outputs": [], "source": _lines(source)}
        if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) >= (4, 5):
            setup_cell["id"] = _free_cell_id(cells)  # nbformat 4.5 requires unique ids
        cells.insert(1, setup_cell)
    return notebook


def dump(notebook: dict) -> str:
    """The bytes Jupyter (nbformat) writes, so unchanged notebooks stay byte-identical."""
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def stamp_file(path: Path, url: str, tag: str, write: bool = True) -> bool:
    """Stamp one notebook file; True if it was (or, with write=False, would be) changed."""
    before = path.read_text(encoding="utf-8")
    after = dump(stamp(json.loads(before), url, path.name, tag))
    if after == before:
        return False
    if write:
        tmp = path.with_suffix(".stamping")
        tmp.write_text(after, encoding="utf-8")
        tmp.replace(path)  # atomic: an interrupted run never leaves half a notebook
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help=f"default: {NOTEBOOK_FOLDER}/*.ipynb")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is not stamped")
    parser.add_argument("--badges", action="store_true",
                        help="print a markdown badge per notebook (for README) and exit")
    args = parser.parse_args(argv)
    try:
        url, tag = repository_url(args.pyproject), release_tag(args.pyproject)
        notebooks = args.notebooks or sorted((ROOT / NOTEBOOK_FOLDER).glob("*.ipynb"))
        if args.badges:
            for path in notebooks:
                print(f"| `{path.name}` | {badge_line(url, path.name)} |")
            return 0
        stale = [path for path in notebooks
                 if stamp_file(path, url, tag, write=not args.check)]
    except (StampError, OSError, json.JSONDecodeError, KeyError) as error:
        print(f"stamp_notebooks: {error}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"{'stale' if args.check else 'stamped'}: {path}")
    if args.check and stale:
        print(f"run: python tools/stamp_notebooks.py  (repository: {url})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
