"""The package's layers, read from the source (no import runs): which module may import what.

docs/architecture.md draws them: ``byhand`` at the bottom (NumPy, never torch), then
``architectures``, ``training``, and on top ``checks`` and ``display``; imports point down only.
One static walk over every module's ``import`` statements replaces the subprocess probes that
used to import each module and look for torch in ``sys.modules``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import course_utils

PACKAGE = Path(course_utils.__file__).resolve().parent

# What the by-hand layer may import at module level, besides the standard library and itself.
BYHAND_ALLOWED = {"numpy", "matplotlib", "ipywidgets"}
# Modules a notebook imports before any torch is needed (notebooks 01-04 start in a second).
TORCH_FREE = [
    "course_utils.byhand.geometry", "course_utils.byhand.ops", "course_utils.byhand.kernels",
    "course_utils.byhand.canvas_to_mnist", "course_utils.architectures",
    "course_utils.architectures.networks", "course_utils.architectures.table",
    "course_utils.checks.verdict", "course_utils.checks.byhand",
    "course_utils.checks.architectures", "course_utils.display.plots",
    "course_utils.display.plots_learned", "course_utils.display.widgets",
    "course_utils.display.illustrations",
    "course_utils.display.training_plots", "course_utils.training.mnist",
]
HEAVY = {"torch", "torchvision", "keras", "tensorflow"}
# Which layers a layer may import from (its own included), at any depth of the code.
MAY_IMPORT = {
    "byhand": {"byhand"},
    "architectures": {"byhand", "architectures"},
    "training": {"byhand", "architectures", "training"},
    "keras_task": {"byhand", "architectures", "training"},
    "checks": {"byhand", "architectures", "training", "checks", "keras_task"},
    "display": {"byhand", "architectures", "training", "display"},
    "assignment": {"byhand", "architectures", "training", "display"},
    "grade": {"byhand", "architectures", "training", "keras_task", "checks", "grade"},
}


def module_names() -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(
        node.test)


def imports(source: str, module: str, known: set[str], *, top_level: bool) -> set[str]:
    """The modules ``source`` imports: course_utils modules by full name (a ``from package import
    module`` counts as the module), others by their top-level name. ``top_level``: only what
    runs at import time (not inside functions, not under ``if TYPE_CHECKING``)."""
    found: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and top_level:
                continue
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names
                             if f"{node.module}.{a.name}" in known)
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(source).body)
    return {name if name.startswith("course_utils") else name.split(".")[0] for name in found}


def reached(start: str, sources: dict[str, str]) -> set[str]:
    """Everything importing ``start`` runs, parent packages included (module level only)."""
    known = set(sources)
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in sources:
            parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
            todo += parents + sorted(imports(sources[name], name, known, top_level=True))
    return seen


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in module_names().items()}


def test_there_are_at_least_four_subpackages():
    subpackages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(subpackages) >= 4, subpackages


BYHAND = [m for m in module_names() if m.startswith("course_utils.byhand")]


@pytest.mark.parametrize("module", BYHAND)
def test_the_by_hand_layer_needs_only_numpy_and_matplotlib(module, sources):
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    outside = {name for name in reached(module, sources)
               if not name.startswith("course_utils")
               and name not in stdlib | BYHAND_ALLOWED}
    assert not outside, f"{module} imports {sorted(outside)}: the by-hand layer is NumPy only"
    upward = {name for name in reached(module, sources) if name.startswith("course_utils.")
              and not name.startswith("course_utils.byhand")}
    assert not upward, f"{module} imports {sorted(upward)} from a layer above it"


@pytest.mark.parametrize("module", TORCH_FREE)
def test_the_modules_notebooks_01_to_04_import_need_no_torch(module, sources):
    heavy = reached(module, sources) & HEAVY
    assert not heavy, f"importing {module} imports {sorted(heavy)}"


@pytest.mark.parametrize("module", ["course_utils.keras_task", "course_utils.checks.keras_task"])
def test_keras_is_imported_only_when_a_function_needs_it(module, sources):
    assert "keras" not in reached(module, sources)


def test_a_planted_import_of_torch_is_caught(sources):
    planted = dict(sources)
    planted["course_utils.byhand.ops"] = "import torch\n" + sources["course_utils.byhand.ops"]
    assert "torch" in reached("course_utils.display.plots", planted)
    planted = dict(sources)  # deeper: a module the by-hand layer reaches through another
    planted["course_utils.byhand.geometry"] = sources["course_utils.byhand.geometry"].replace(
        "from __future__ import annotations", "from __future__ import annotations\n"
        "from torch import nn", 1)
    assert "torch" in reached("course_utils.byhand.ops", planted)
    assert "torch" not in reached("course_utils.byhand.ops", sources)


def test_the_graders_worker_needs_only_the_standard_library_and_numpy(sources):
    """The worker runs inside the sandbox beside the student's code: nothing of the course (no
    reference answers) and no torch is imported there."""
    worker = "course_utils.grade.worker"  # run by its path (python -I), so no parent package
    direct = imports(sources[worker], worker, set(sources), top_level=False)
    assert {name.split(".")[0] for name in direct} <= set(sys.stdlib_module_names) | {"numpy"}, \
        direct


def test_a_function_level_import_is_not_a_module_level_one():
    source = "def f():\n    import torch\n\nif TYPE_CHECKING:\n    import keras\n"
    assert imports(source, "m", set(), top_level=True) == set()
    assert imports(source, "m", set(), top_level=False) == {"torch"}  # TYPE_CHECKING never runs


@pytest.mark.parametrize("module", sorted(module_names()))
def test_imports_point_down_the_layers(module, sources):
    layer = module.split(".")[1] if "." in module else None
    if layer not in MAY_IMPORT:
        return  # the root package's __init__
    used = {name.split(".")[1] for name in imports(sources[module], module, set(sources),
                                                    top_level=False)
            if name.startswith("course_utils.")}
    assert used <= MAY_IMPORT[layer], \
        f"{module} ({layer}) imports from {sorted(used - MAY_IMPORT[layer])}"


def test_no_module_imports_another_modules_private_names(sources):
    offenders = []
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "course_utils"):
                offenders += [f"{module}: {a.name} from {node.module}" for a in node.names
                              if a.name.startswith("_") and a.name != "__version__"]
    assert not offenders, offenders


def test_no_import_cycle_between_modules(sources):
    known = set(sources)
    graph = {m: {n for n in imports(s, m, known, top_level=True) if n in known and n != m
                 and not m.startswith(n + ".")}  # a module's own package runs first anyway
             for m, s in sources.items()}
    state: dict[str, int] = {}

    def cycle_from(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path + [node, nxt]
            if nxt not in state and (found := cycle_from(nxt, path + [node])):
                return found
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = cycle_from(module, [])
            assert found is None, " -> ".join(found)


def test_every_module_names_its_public_surface(sources):
    missing = [m for m, s in sources.items() if "__all__" not in s
               and not m.endswith("__main__")]
    assert not missing, f"no __all__ in {missing}"


def test_no_module_is_over_450_lines():
    long = {p.name: n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 460}
    assert not long, long
