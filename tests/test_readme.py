"""README.md: the "Train your own model" block runs as written and trains a model that is not the
task's network with the course's engine. The README stays a short page for a newcomer: the note
that the project has no public home yet comes first, every document under docs/ and
benchmarks/README.md is linked from it, and the links and module paths of all of them lead
somewhere that exists."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _mnist import needs_mnist

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 150
# The README's own page plus the documents its detail moved to.
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "benchmarks" / "README.md"]
PAGES = [README, *DOCS]


def own_model_block() -> str:
    text = README.read_text()
    section = re.search(r"^## [^\n]*your own model[^\n]*\n(.*?)(?=^## )", text, re.M | re.S | re.I)
    assert section, "README has a section whose heading contains 'your own model'"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    assert len(blocks) == 1, "one runnable python block"
    return blocks[0]


def test_the_block_defines_its_own_model_and_uses_the_engine():
    block = own_model_block()
    assert "class SmallNet(nn.Module)" in block and "model=SmallNet" in block
    assert "engine.train_all" in block and "build_model" not in block


@needs_mnist
def test_the_block_runs_in_quick_mode_and_prints_both_optimizers(tmp_path):
    script = tmp_path / "own_model.py"
    script.write_text(own_model_block())
    env = {**os.environ, "COURSE_QUICK": "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Adam (lr 1e-3)", "SGD (lr 0.01)"]
    for line in lines:
        parameters = int(re.search(r"([\d,]+) parameters", line).group(1).replace(",", ""))
        assert parameters == 8 * 9 + 8 + 8 * 13 * 13 * 10 + 10  # SmallNet, not the task's CNN
        accuracy = float(re.search(r"test accuracy ([\d.]+)%", line).group(1))
        assert 10 < accuracy <= 100


def test_readme_is_short_and_says_first_that_the_project_has_no_public_home_yet():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines; detail belongs in docs/ (at most {MAX_README_LINES})")
    assert "no public home yet" in "\n".join(lines[:10]).lower(), (
        "the note that the Colab badges do not resolve yet belongs at the top of README.md")


def test_readme_links_every_document():
    assert (ROOT / "docs").is_dir() and len(DOCS) > 1
    readme = README.read_text(encoding="utf-8")
    unlinked = [doc.relative_to(ROOT).as_posix() for doc in DOCS
                if f"]({doc.relative_to(ROOT).as_posix()}" not in readme]
    assert not unlinked, f"README.md does not link {unlinked}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces -> '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def _links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return [target for target in re.findall(r"\]\(([^)\s]+)\)", text)
            if not re.match(r"[a-z]+:", target)]  # http(s), mailto: not checked here


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_relative_links_lead_to_files_and_headings_that_exist(page):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, broken


def _module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _top_level_names(source: Path) -> set[str]:
    names = set()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _exists(dotted: str) -> bool:
    """Whether `course_utils.a.b[.name]` is a module of the checkout, or a top-level name of the
    longest module it starts with."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        if (module := _module_file(parts[:n])) is not None:
            return n == len(parts) or parts[n] in _top_level_names(module)
    return False


def test_the_module_path_check_knows_the_new_layout_from_the_old():
    assert _exists("course_utils.training.engine") and _exists("course_utils.training.engine.train")
    assert _exists("course_utils.architectures.Conv")  # re-exported by the package
    assert not _exists("course_utils.engine") and not _exists("course_utils.data.load_mnist")
    assert not _exists("course_utils.training.mnist.no_such_function")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_module_paths_in_the_docs_exist(page):
    """`course_utils.x.y[.name]` and `course_utils/x/y.py` name the package as it is laid out
    now (the flat modules of 0.1, e.g. `course_utils.engine`, are gone)."""
    text = page.read_text(encoding="utf-8")
    stale = [dotted for dotted in set(re.findall(r"\bcourse_utils(?:\.\w+)+", text))
             if not _exists(dotted)]
    stale += [path for path in set(re.findall(r"\bcourse_utils/[\w/.]*\w", text))
              if not (ROOT / path).exists()]
    assert not stale, f"{page.name} names what does not exist: {sorted(stale)}"
