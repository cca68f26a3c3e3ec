"""The per-layer table of the AlexNet and VGG slides: its rows, totals and renderings.

The rows (``layers.Row``: output volume, activations, weights, biases, multiply-adds) and the
``LayerTable`` that sums them, prints as text, renders as HTML or Markdown and writes the VGG
slide's listing. The rows themselves come from ``course_utils.architectures.network``; this module
only adds them up and shows them, in pure Python.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from course_utils.architectures.layers import BYTES_FP32, Row, Shape

if TYPE_CHECKING:  # only for the annotation: networks build tables, not the reverse
    from course_utils.architectures.network import Network

def text_table(rows: list[list[str]], *, right: frozenset[int] | set[int] = frozenset(),
               rules_after: tuple[int, ...] = (), rule: str = "line") -> str:
    """Rows of cells as aligned plain text, two spaces between columns: the one renderer of the
    course's text tables (the layer table, the optimizers' settings, the task's results).

    ``right``: columns aligned right (numbers). ``rules_after``: row indices followed by a rule,
    drawn as one ``line`` of dashes as wide as the first row or as dashes under each ``columns``.

    rows: list of rows of str cells, all of one length -> str (lines joined by newlines).
    The AlexNet/VGG slides' tables as notebook 04 prints them; notebook 05's optimizer settings
    and results.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        cells = [c.rjust(w) if j in right else c.ljust(w)
                 for j, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if i in rules_after:
            lines.append("-" * len(lines[0]) if rule == "line"
                         else "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def human(n: float, digits: int = 2) -> str:
    """Slide-style short number to ``digits`` significant figures: 150,528 -> '150K', 3.2M.

    n: float; digits: int -> str. The VGG16 slide's memory column ("224*224*64=3.2M");
    notebook 04, 'VGG16 (configuration D), line by line'.
    """
    if n == 0:
        return "0"
    rounded = round(n, digits - 1 - math.floor(math.log10(abs(n))))
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3), ("", 1)):
        if abs(rounded) >= size or not unit:
            return f"{rounded / size:g}{unit}"
    raise AssertionError("unreachable")


def human_bytes(n: int) -> str:
    """Bytes in binary units: 12,042,240 -> '11.5 MiB'.

    n: int (bytes) -> str. The VGG16 slide's memory column at 4 bytes per value; notebook 04,
    'Your turn: one line of the VGG16 slide'.
    """
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


@dataclass(frozen=True, repr=False)
class LayerTable:
    """The per-layer table of a network, with totals; prints as text, renders as HTML.

    network: Network; rows: tuple[Row, ...] (from ``layer_table``) -> totals params, weights,
    biases, macs, values, bytes (ints), ``output_shape`` ((H, W, D) or (N,)), ``listing()``.
    The AlexNet slide's listing and the VGG16 slide's table; notebook 04.
    """

    network: Network
    rows: tuple[Row, ...]
    show_inner: bool = field(default=False, compare=False)

    @property
    def top(self) -> tuple[Row, ...]:
        """The network's own layers (composite blocks as one row each)."""
        return tuple(r for r in self.rows if r.depth == 0)

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no layer named {name!r}; layers: {[r.name for r in self.top]}")

    @property
    def output_shape(self) -> Shape:
        return self.top[-1].shape

    @property
    def params(self) -> int:
        return sum(r.params for r in self.top)

    @property
    def weights(self) -> int:
        return sum(r.weights for r in self.top)

    @property
    def biases(self) -> int:
        return sum(r.biases for r in self.top)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.top)

    @property
    def values(self) -> int:
        """Activation values stored for one image in the forward pass (input included)."""
        return sum(r.values for r in self.top if r.stored)

    @property
    def bytes(self) -> int:
        return self.values * BYTES_FP32

    @property
    def inexact(self) -> tuple[Row, ...]:
        """Layers whose (N - F + 2P)/S + 1 is not whole: the framework floors them."""
        return tuple(r for r in self.rows if not r.exact and r.fit)

    def expanded(self) -> LayerTable:
        """The same table, also listing the layers inside inception/residual blocks."""
        return LayerTable(self.network, self.rows, show_inner=True)

    def _shown(self) -> list[Row]:
        return [r for r in self.rows if self.show_inner or r.depth == 0]

    def _cells(self, row: Row) -> list[str]:
        flag = "" if row.exact else " (!)"
        return ["  " * row.depth + row.name, row.what, row.shape_text + flag,
                f"{row.values:,}" if row.stored else "-", f"{row.params:,}", f"{row.weights:,}",
                f"{row.macs:,}"]

    HEADER = ("layer", "what", "output", "activations", "params", "weights only", "mult-adds")

    def _total_cells(self) -> list[str]:
        return ["TOTAL", "", "", f"{self.values:,}", f"{self.params:,}", f"{self.weights:,}",
                f"{self.macs:,}"]

    def _summary(self) -> str:
        lines = [
            f"{self.network.name}: {self.params:,} parameters ({human(self.params, 3)}; "
            f"{self.weights:,} weights + {self.biases:,} biases), "
            f"{self.macs:,} mult-adds ({human(self.macs, 3)}) per image,",
            f"activations {self.values:,} values = {human_bytes(self.bytes)} per image forward "
            f"(about x2 = {human_bytes(2 * self.bytes)} with the backward pass)",
        ]
        for row in self.inexact:
            lines.append(f"(!) {row.name} does not fit exactly: {row.fit}")
        return "\n".join(lines)

    def __str__(self) -> str:
        table = [list(self.HEADER)] + [self._cells(r) for r in self._shown()]
        table.append(self._total_cells())
        numbers = set(range(2, len(self.HEADER)))  # the output volume and every count
        return text_table(table, right=numbers, rules_after=(0, len(table) - 2)) + "\n" \
            + self._summary()

    def __repr__(self) -> str:  # the plain-text view where HTML is not rendered
        return str(self)

    def _repr_html_(self) -> str:
        def tr(cells: list[str], tag: str = "td") -> str:
            aligned = [f'<{tag} style="text-align:{"left" if j < 2 else "right"}">'
                       f"{html.escape(c)}</{tag}>" for j, c in enumerate(cells)]
            return "<tr>" + "".join(aligned) + "</tr>"

        body = [tr(self._cells(r)) for r in self._shown()]
        body.append(tr(self._total_cells(), "th"))
        summary = html.escape(self._summary()).replace("\n", "<br>")
        return (f"<table><thead>{tr(list(self.HEADER), 'th')}</thead><tbody>{''.join(body)}"
                f"</tbody></table><p>{summary}</p>")

    def listing(self) -> str:
        """The VGG slide's listing: one line per layer with its memory and weights formulas."""
        lines = []
        for row in self._shown():
            shape = "x".join(str(n) for n in (row.shape if len(row.shape) == 3
                                              else (1, 1, *row.shape)))
            memory = "*".join(str(n) for n in row.shape)
            memory = f"{memory}={human(row.values)}" if len(row.shape) > 1 else memory
            params = f"{row.weights_formula} = {row.weights:,}" if row.weights_formula else "0"
            lines.append(f"{row.label or row.name}: [{shape}]  memory: {memory}  params: {params}")
        lines.append(f"TOTAL memory: {human(self.values)} * 4 bytes ~= {human_bytes(self.bytes)}"
                     " / image (forward only; ~x2 with backward)")
        lines.append(f"TOTAL params: {human(self.weights, 3)} weights ({self.weights:,}) "
                     f"+ {self.biases:,} biases = {self.params:,}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The table as GitHub Markdown (for the README or a markdown cell)."""
        lines = ["| " + " | ".join(self.HEADER) + " |",
                 "|" + "|".join([":--", ":--"] + ["--:"] * 5) + "|"]
        lines += ["| " + " | ".join(self._cells(r)) + " |" for r in self._shown()]
        lines.append("| " + " | ".join(f"**{c}**" if c else "" for c in self._total_cells()) + " |")
        return "\n".join(lines)


__all__ = [
    "LayerTable", "human", "human_bytes", "text_table",
]
