"""The by-hand rule: an exercise's function (and every notebook function or class it calls)
may not use the package's references, a framework or a dynamic import. Static, on the same
definitions the worker runs (``worker.definitions``); the grader never executes student code.
"""

from __future__ import annotations

import ast

from course_utils.grade.worker import definitions

__all__ = ["forbidden_uses"]


def _imports(nodes) -> dict[str, str]:
    """Bound name -> dotted path of every import among ``nodes``."""
    table = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    table[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    table[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                table[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return table


def _dotted(node: ast.AST) -> tuple[str, str] | None:
    """(root name, 'root.attr.attr') of a Name/Attribute chain; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, ".".join([node.id, *reversed(parts)])


def _uses(root: ast.AST, table: dict[str, str]):
    """(resolved dotted name, line) of every name, attribute chain and import under ``root``."""
    local = dict(table)
    local.update(_imports(n for n in ast.walk(root) if isinstance(n, ast.Import | ast.ImportFrom)))
    for node in ast.walk(root):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for path in _imports([node]).values():
                yield path, node.lineno
        elif isinstance(node, ast.Attribute | ast.Name):
            chain = _dotted(node)
            if chain:
                first, text = chain
                resolved = local[first] + text[len(first):] if first in local else text
                yield resolved, node.lineno


def _matches(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden_uses(notebook: dict | None, function: str, forbidden, allowed=(),
                   modules: list | None = None) -> list[str]:
    """'torch.nn.functional.conv2d (line 4)' for each forbidden use reachable from
    ``function`` in ``notebook`` (a parsed .ipynb, or its ``worker.definitions`` given as
    ``modules``); [] when clean or not defined."""
    if modules is None:
        modules, _ = definitions(notebook)
    nodes = [module.body[0] for _, module in modules]
    table = _imports(nodes)
    defined = {n.name: n for n in nodes
               if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    if function not in defined:
        return []
    found, queue, seen = [], [function], set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        for resolved, line in _uses(defined[name], table):
            if resolved in defined and resolved not in seen:
                queue.append(resolved)
            elif _matches(resolved, forbidden) and not _matches(resolved, allowed):
                found.append(f"{resolved} (line {line})")
    # `F.conv2d` is also a use of `F`: report the longest chain of each line only
    return sorted(use for use in set(found)
                  if not any(other != use and other.startswith(use.split(" (")[0] + ".")
                             and other.endswith(use[use.index(" ("):]) for other in found))
