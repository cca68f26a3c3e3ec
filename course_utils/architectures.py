"""Architecture arithmetic: the lecture's per-layer tables (output volume, memory, parameters).

A network is described declaratively (``Network`` of ``Conv``, ``Pool``, ``FC``, ...), and
``layer_table`` computes, layer by layer, what the AlexNet and VGG slides list: the output volume
[H x W x D], the activation memory, the parameters and the multiply-adds. Every output size comes
from ``course_utils.geometry``, so a layer that does not fit exactly (and is floored by the
frameworks) is flagged instead of hidden.

The arithmetic is pure Python. ``to_torch`` (which imports torch lazily) builds the matching
``nn.Module``, so every table can be checked against real code.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cache

from course_utils.geometry import GeometryError, output_geometry, padding_for

Shape = tuple[int, ...]  # (H, W, D) for a volume, (N,) after flattening
Padding = int | str | tuple[int, int]

ACTIVATIONS = ("relu", "tanh", "softmax")
BYTES_FP32 = 4

# ---------------------------------------------------------------------------------------------
# 1. The layers (a spec is plain data: frozen dataclasses)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """K filters F x F, stride S, padding P: 'valid', 'same', 'full', an int or (before, after)."""

    k: int
    f: int
    stride: int = 1
    padding: Padding = 0
    act: str | None = None
    groups: int = 1  # AlexNet's two GPU towers: each filter sees D/groups input channels
    bias: bool = True
    name: str | None = None


@dataclass(frozen=True)
class Pool:
    """Max or average pooling, F x F at stride S (default S = F)."""

    f: int
    stride: int | None = None
    padding: int = 0
    kind: str = "max"
    name: str | None = None


@dataclass(frozen=True)
class AdaptiveAvgPool:
    """Average pooling to a fixed H x W whatever the input (torchvision's AlexNet and VGG)."""

    size: tuple[int, int]
    name: str | None = None


@dataclass(frozen=True)
class LRN:
    """AlexNet's local response normalisation (NORM1/NORM2): no parameters."""

    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0
    name: str | None = None


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation (ResNet: after every CONV): a scale and a shift per channel."""

    name: str | None = None


@dataclass(frozen=True)
class Flatten:
    """H x W x D volume -> vector of H*W*D values."""

    name: str | None = None


@dataclass(frozen=True)
class FC:
    """Fully connected layer with ``units`` neurons (flattens a volume input)."""

    units: int
    act: str | None = None
    bias: bool = True
    name: str | None = None


@dataclass(frozen=True)
class Activation:
    """A stand-alone ReLU, tanh or softmax."""

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class Dropout:
    """Dropout with drop probability ``rate``: no parameters, no change of shape."""

    rate: float
    name: str | None = None


@dataclass(frozen=True)
class Concat:
    """Branches applied to the same input, outputs stacked along depth (the inception module)."""

    branches: tuple[tuple, ...]
    name: str | None = None


@dataclass(frozen=True)
class Residual:
    """ResNet's block: act(body(x) + shortcut(x)); an empty shortcut is the identity."""

    body: tuple
    shortcut: tuple = ()
    act: str | None = "relu"
    name: str | None = None


Layer = (Conv | Pool | AdaptiveAvgPool | LRN | BatchNorm | Flatten | FC | Activation | Dropout
         | Concat | Residual)


@dataclass(frozen=True)
class Network:
    """A whole network: name, input volume (H, W, D) and its layers in order."""

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple
    note: str = ""


# ---------------------------------------------------------------------------------------------
# 2. One layer's arithmetic
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: what a layer produces and what it costs."""

    name: str
    what: str
    shape: Shape
    weights: int = 0
    biases: int = 0
    macs: int = 0
    fit: str = ""  # the output-size formula with numbers; "" for layers that keep the size
    exact: bool = True  # False where the framework floors (N - F + 2P)/S + 1
    depth: int = 0  # 0: a layer of the network, 1+: inside a composite block
    stored: bool = True  # whether the output is a tensor of its own (counted in memory)
    label: str = ""  # the VGG slide's short name: CONV3-64, POOL2, FC
    weights_formula: str = ""  # (3*3*64)*128 for a conv, 7*7*512*4096 for a FC

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def values(self) -> int:
        """Activation values of this layer's output for one image."""
        out = 1
        for n in self.shape:
            out *= n
        return out

    @property
    def bytes(self) -> int:
        return self.values * BYTES_FP32

    @property
    def shape_text(self) -> str:
        return "x".join(str(n) for n in self.shape)


def _resolve_padding(conv: Conv) -> tuple[int, int]:
    """(before, after) zero padding of a conv; an even 'same' pads like TensorFlow (0, 1)."""
    p = conv.padding
    if isinstance(p, tuple):
        if len(p) != 2 or any(int(v) != v or v < 0 for v in p):
            raise GeometryError(f"asymmetric padding must be (before, after) >= 0, got {p!r}")
        return int(p[0]), int(p[1])
    if p == "same":
        if conv.stride != 1:
            raise GeometryError(
                f"'same' padding is defined here for stride 1 only (got stride {conv.stride}); "
                "give the padding as an int or a (before, after) pair"
            )
        if conv.f % 2 == 0:
            return (conv.f - 1) // 2, conv.f // 2
    if isinstance(p, bool) or not isinstance(p, int | str):
        raise GeometryError(f"padding must be an int, 'valid', 'same', 'full' or a pair, got {p!r}")
    both = padding_for(p, conv.f)
    return both, both


def _fit(n: int, f: int, stride: int, before: int, after: int) -> tuple[int, bool, str]:
    """Output size along one axis, whether it fits exactly, and the formula to show."""
    if before == after:
        geo = output_geometry(n, f, stride, before)
        formula = geo.formula
    else:  # asymmetric: the geometry of the explicitly padded input
        geo = output_geometry(n + before + after, f, stride, 0)
        formula = f"({n} - {f} + {before}+{after})/{stride} + 1 = {geo.value:g}"
    if not geo.exact:
        formula += f" -> floored to {geo.size}"
    return geo.size, geo.exact, formula


def _spatial(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise GeometryError(f"{what} needs an H x W x D volume, got the flat vector {shape}")
    return shape  # type: ignore[return-value]


def _act_text(act: str | None) -> str:
    if act is None:
        return ""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; use one of {ACTIVATIONS}")
    return f", {act}"


def _pad_text(conv: Conv, before: int, after: int) -> str:
    if isinstance(conv.padding, str):
        return conv.padding
    return f"pad {before}" if before == after else f"pad {before}/{after}"


def _rows(layer, shape: Shape, name: str, depth: int) -> list[Row]:
    """The rows one layer produces from an input of ``shape`` (composites add inner rows)."""
    if isinstance(layer, Conv):
        h, w, d = _spatial(shape, name)
        if d % layer.groups or layer.k % layer.groups:
            raise GeometryError(f"{name}: depth {d} and K={layer.k} must divide by groups")
        before, after = _resolve_padding(layer)
        ho, exact_h, fit = _fit(h, layer.f, layer.stride, before, after)
        wo, exact_w, _ = _fit(w, layer.f, layer.stride, before, after)
        weights = layer.f * layer.f * (d // layer.groups) * layer.k
        what = (f"{layer.k} {layer.f}x{layer.f} /{layer.stride} {_pad_text(layer, before, after)}"
                + (f", {layer.groups} groups" if layer.groups > 1 else "") + _act_text(layer.act))
        formula = f"({layer.f}*{layer.f}*{d // layer.groups})*{layer.k}"
        return [Row(name, what, (ho, wo, layer.k), weights, layer.k if layer.bias else 0,
                    ho * wo * weights, fit, exact_h and exact_w, depth,
                    label=f"CONV{layer.f}-{layer.k}", weights_formula=formula)]
    if isinstance(layer, Pool):
        h, w, d = _spatial(shape, name)
        stride = layer.stride or layer.f
        if layer.kind not in ("max", "avg"):
            raise ValueError(f"{name}: pool kind must be 'max' or 'avg', got {layer.kind!r}")
        if layer.padding > layer.f // 2:
            raise GeometryError(f"{name}: pool padding {layer.padding} > F/2 leaves empty windows")
        ho, exact_h, fit = _fit(h, layer.f, stride, layer.padding, layer.padding)
        wo, exact_w, _ = _fit(w, layer.f, stride, layer.padding, layer.padding)
        pad = f" pad {layer.padding}" if layer.padding else ""
        what = f"{layer.kind} {layer.f}x{layer.f} /{stride}{pad}"
        return [Row(name, what, (ho, wo, d), fit=fit, exact=exact_h and exact_w, depth=depth,
                    label=f"POOL{layer.f}")]
    if isinstance(layer, AdaptiveAvgPool):
        _, _, d = _spatial(shape, name)
        return [Row(name, f"adaptive avg -> {layer.size[0]}x{layer.size[1]}",
                    (*layer.size, d), depth=depth)]
    if isinstance(layer, LRN):
        _spatial(shape, name)
        return [Row(name, f"local response norm (n={layer.size})", shape, depth=depth)]
    if isinstance(layer, BatchNorm):
        d = shape[-1]
        return [Row(name, "batch norm", shape, weights=d, biases=d, depth=depth)]
    if isinstance(layer, Flatten):
        return [Row(name, "flatten", (_volume(shape),), depth=depth, stored=False)]
    if isinstance(layer, FC):
        n_in = _volume(shape)
        weights = n_in * layer.units
        formula = "*".join(str(n) for n in shape) + f"*{layer.units}"
        return [Row(name, f"{layer.units} neurons{_act_text(layer.act)}", (layer.units,),
                    weights, layer.units if layer.bias else 0, weights, depth=depth,
                    label="FC", weights_formula=formula)]
    if isinstance(layer, Activation):
        _act_text(layer.kind)
        return [Row(name, layer.kind, shape, depth=depth)]
    if isinstance(layer, Dropout):
        if not 0 <= layer.rate < 1:
            raise ValueError(f"{name}: dropout rate must be in [0, 1), got {layer.rate}")
        return [Row(name, f"dropout {layer.rate:g}", shape, depth=depth)]
    if isinstance(layer, Concat):
        return _concat_rows(layer, shape, name, depth)
    if isinstance(layer, Residual):
        return _residual_rows(layer, shape, name, depth)
    raise TypeError(f"{name}: not a layer of course_utils.architectures: {layer!r}")


def _volume(shape: Shape) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


def _sequence_rows(layers, shape: Shape, prefix: str, depth: int) -> tuple[list[Row], Shape]:
    rows: list[Row] = []
    for i, layer in enumerate(layers, 1):
        new = _rows(layer, shape, layer.name or f"{prefix}.{i}", depth)
        rows += new
        shape = new[0].shape
    return rows, shape


def _block_row(name: str, what: str, shape: Shape, inner: list[Row], depth: int) -> Row:
    own = [r for r in inner if r.depth == depth + 1]
    return Row(name, what, shape, sum(r.weights for r in own), sum(r.biases for r in own),
               sum(r.macs for r in own), exact=all(r.exact for r in inner), depth=depth)


def _concat_rows(block: Concat, shape: Shape, name: str, depth: int) -> list[Row]:
    inner: list[Row] = []
    outs = []
    for b, branch in enumerate(block.branches, 1):
        rows, out = _sequence_rows(branch, shape, f"{name}.b{b}", depth + 1)
        inner += rows
        outs.append(out if branch else shape)
    sizes = {out[:2] for out in outs}
    if len(sizes) != 1 or any(len(out) != 3 for out in outs):
        raise GeometryError(f"{name}: branches must keep the same H x W to be stacked, got {outs}")
    out_shape = (*outs[0][:2], sum(out[2] for out in outs))
    what = "concat of " + " + ".join(str(out[2]) for out in outs)
    return [_block_row(name, what, out_shape, inner, depth), *inner]


def _residual_rows(block: Residual, shape: Shape, name: str, depth: int) -> list[Row]:
    body, body_out = _sequence_rows(block.body, shape, f"{name}.body", depth + 1)
    short, short_out = _sequence_rows(block.shortcut, shape, f"{name}.shortcut", depth + 1)
    if body_out != short_out:
        raise GeometryError(
            f"{name}: body gives {body_out} but the shortcut gives {short_out}; "
            "add a projection shortcut (e.g. a 1x1 conv with the body's stride and depth)"
        )
    what = "x + F(x)" if not block.shortcut else "proj(x) + F(x)"
    return [_block_row(name, what + _act_text(block.act), body_out, body + short, depth),
            *body, *short]


# ---------------------------------------------------------------------------------------------
# 3. The whole table and its rendering
# ---------------------------------------------------------------------------------------------


def human(n: float, digits: int = 2) -> str:
    """Slide-style short number to ``digits`` significant figures: 150,528 -> '150K', 3.2M."""
    if n == 0:
        return "0"
    rounded = round(n, digits - 1 - math.floor(math.log10(abs(n))))
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3), ("", 1)):
        if abs(rounded) >= size or not unit:
            return f"{rounded / size:g}{unit}"
    raise AssertionError("unreachable")


def human_bytes(n: int) -> str:
    """Bytes in binary units: 12,042,240 -> '11.5 MiB'."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


@dataclass(frozen=True, repr=False)
class LayerTable:
    """The per-layer table of a network, with totals; prints as text, renders as HTML."""

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
        widths = [max(len(line[i]) for line in table) for i in range(len(self.HEADER))]
        left = {0, 1}
        out = []
        for i, line in enumerate(table):
            cells = [c.ljust(w) if j in left else c.rjust(w)
                     for j, (c, w) in enumerate(zip(line, widths, strict=True))]
            out.append("  ".join(cells).rstrip())
            if i == 0 or i == len(table) - 2:
                out.append("-" * len(out[0]))
        return "\n".join(out) + "\n" + self._summary()

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


def layer_table(network: Network) -> LayerTable:
    """The per-layer table of the AlexNet/VGG slides: output volume, memory, params, mult-adds."""
    h, w, d = network.input_shape
    rows = [Row("INPUT", "image", (h, w, d), label="INPUT")]
    shape: Shape = (h, w, d)
    counters: dict[str, int] = {}
    for layer in network.layers:
        kind = {"Conv": "CONV", "Pool": "POOL", "FC": "FC", "LRN": "NORM", "Dropout": "DROPOUT",
                }.get(type(layer).__name__, type(layer).__name__.upper())
        counters[kind] = counters.get(kind, 0) + 1
        new = _rows(layer, shape, layer.name or f"{kind}{counters[kind]}", 0)
        rows += new
        shape = new[0].shape
    return LayerTable(network, tuple(rows))


# ---------------------------------------------------------------------------------------------
# 4. The matching PyTorch module (torch imported lazily: the arithmetic above needs none)
# ---------------------------------------------------------------------------------------------


@cache
def _torch_blocks():
    import torch
    from torch import nn

    class ConcatBlock(nn.Module):
        """Branches on the same input, concatenated along channels (an inception module)."""

        def __init__(self, branches):
            super().__init__()
            self.branches = nn.ModuleList(branches)

        def forward(self, x):
            return torch.cat([branch(x) for branch in self.branches], dim=1)

    class ResidualBlock(nn.Module):
        """act(body(x) + shortcut(x)): with a zero body it passes x through unchanged."""

        def __init__(self, body, shortcut, act):
            super().__init__()
            self.body, self.shortcut, self.act = body, shortcut, act

        def forward(self, x):
            return self.act(self.body(x) + self.shortcut(x))

    return ConcatBlock, ResidualBlock


def _torch_act(kind: str | None):
    from torch import nn

    return {None: nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh}.get(
        kind, lambda: nn.Softmax(dim=1))()


def _torch_layer(layer, shape: Shape):
    """One spec layer -> one nn.Module (a Sequential where it needs several)."""
    from torch import nn

    if isinstance(layer, Conv):
        before, after = _resolve_padding(layer)
        parts = []
        if before != after:  # TensorFlow-style 'same' for an even filter
            parts.append(nn.ZeroPad2d((before, after, before, after)))
            before = 0
        parts.append(nn.Conv2d(shape[2], layer.k, layer.f, layer.stride, before,
                               groups=layer.groups, bias=layer.bias))
        if layer.act:
            parts.append(_torch_act(layer.act))
        return parts[0] if len(parts) == 1 else nn.Sequential(*parts)
    if isinstance(layer, Pool):
        cls = nn.MaxPool2d if layer.kind == "max" else nn.AvgPool2d
        return cls(layer.f, layer.stride or layer.f, layer.padding)
    if isinstance(layer, AdaptiveAvgPool):
        return nn.AdaptiveAvgPool2d(layer.size)
    if isinstance(layer, LRN):
        return nn.LocalResponseNorm(layer.size, layer.alpha, layer.beta, layer.k)
    if isinstance(layer, BatchNorm):
        return nn.BatchNorm2d(shape[2]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, FC):
        parts = [nn.Flatten()] if len(shape) == 3 else []
        parts.append(nn.Linear(_volume(shape), layer.units, bias=layer.bias))
        if layer.act:
            parts.append(_torch_act(layer.act))
        return parts[0] if len(parts) == 1 else nn.Sequential(*parts)
    if isinstance(layer, Activation):
        return _torch_act(layer.kind)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    concat_block, residual_block = _torch_blocks()
    if isinstance(layer, Concat):
        return concat_block([_torch_sequence(branch, shape)[0] for branch in layer.branches])
    if isinstance(layer, Residual):
        return residual_block(_torch_sequence(layer.body, shape)[0],
                              _torch_sequence(layer.shortcut, shape)[0], _torch_act(layer.act))
    raise TypeError(f"not a layer of course_utils.architectures: {layer!r}")


def _torch_sequence(layers, shape: Shape):
    from torch import nn

    modules = []
    for layer in layers:
        modules.append(_torch_layer(layer, shape))
        shape = _rows(layer, shape, "layer", 0)[0].shape
    return nn.Sequential(*modules), shape


def to_torch(network: Network):
    """The spec as an ``nn.Sequential``: child i is layer i of the spec (row i+1 of the table).

    Input is NCHW, e.g. ``torch.zeros(1, D, H, W)``; layer names become the children's names.
    """
    from torch import nn

    rows = layer_table(network).top  # raises the readable GeometryError before torch does
    names = [row.name for row in rows[1:]]
    if len(set(names)) != len(names):
        raise ValueError(f"{network.name}: layer names must be unique, got {names}")
    model = nn.Sequential()
    for i, layer in enumerate(network.layers):
        model.add_module(rows[i + 1].name, _torch_layer(layer, rows[i].shape))
    return model


# ---------------------------------------------------------------------------------------------
# 5. The lecture's networks
# ---------------------------------------------------------------------------------------------


def assignment_cnn() -> Network:
    """The lecture's programming task on MNIST 28x28x1: 1,191,338 parameters.

    The 2x2 'same' conv pads 0 before / 1 after like TensorFlow/Keras.
    """
    return Network("Assignment CNN", (28, 28, 1), (
        Conv(64, 3, stride=2, padding="valid", act="relu", name="CONV1"),
        Conv(32, 2, stride=1, padding="same", act="relu", name="CONV2"),
        Pool(2, stride=1, name="POOL1"),
        Dropout(0.35, name="DROPOUT1"),
        Flatten(name="FLATTEN"),
        FC(256, act="tanh", name="FC1"),
        Dropout(0.5, name="DROPOUT2"),
        FC(10, act="softmax", name="FC2"),
    ), note="Programming task (last slide); 28x28x1 MNIST input")


def lenet5() -> Network:
    """LeNet-5 as on the slide: [CONV-POOL-CONV-POOL-CONV-FC], 5x5 convs /1, 2x2 pools /2, 32x32.

    Every C3 filter sees all 6 maps here (the 1998 paper wired only some of them).
    """
    return Network("LeNet-5", (32, 32, 1), (
        Conv(6, 5, act="tanh", name="C1"),
        Pool(2, kind="avg", name="S2"),
        Conv(16, 5, act="tanh", name="C3"),
        Pool(2, kind="avg", name="S4"),
        Conv(120, 5, act="tanh", name="C5"),
        FC(84, act="tanh", name="F6"),
        FC(10, name="OUTPUT"),
    ), note="LeCun et al., 1998; tested on MNIST")


def alexnet(towers: int = 1) -> Network:
    """AlexNet as on the slide (227x227x3, simplified single tower, NORM1/NORM2): 62,378,344.

    ``towers=2`` is the paper's two-GPU net: CONV2, CONV4, CONV5 only see their own GPU's half
    of the maps (``groups=2``), which gives the paper's "60 million parameters".
    """
    return Network("AlexNet" + (" (paper, 2 GPUs)" if towers == 2 else ""), (227, 227, 3), (
        Conv(96, 11, stride=4, padding=0, act="relu", name="CONV1"),
        Pool(3, stride=2, name="POOL1"),
        LRN(name="NORM1"),
        Conv(256, 5, padding=2, act="relu", groups=towers, name="CONV2"),
        Pool(3, stride=2, name="POOL2"),
        LRN(name="NORM2"),
        Conv(384, 3, padding=1, act="relu", name="CONV3"),
        Conv(384, 3, padding=1, act="relu", groups=towers, name="CONV4"),
        Conv(256, 3, padding=1, act="relu", groups=towers, name="CONV5"),
        Pool(3, stride=2, name="POOL3"),
        FC(4096, act="relu", name="FC6"),
        FC(4096, act="relu", name="FC7"),
        FC(1000, name="FC8"),
    ), note="Krizhevsky et al. 2012")


def torchvision_alexnet() -> Network:
    """``torchvision.models.alexnet``: 224 input, CONV1 64 filters pad 2, no NORM, 61,100,840."""
    return Network("AlexNet (torchvision)", (224, 224, 3), (
        Conv(64, 11, stride=4, padding=2, act="relu", name="CONV1"),
        Pool(3, stride=2, name="POOL1"),
        Conv(192, 5, padding=2, act="relu", name="CONV2"),
        Pool(3, stride=2, name="POOL2"),
        Conv(384, 3, padding=1, act="relu", name="CONV3"),
        Conv(256, 3, padding=1, act="relu", name="CONV4"),
        Conv(256, 3, padding=1, act="relu", name="CONV5"),
        Pool(3, stride=2, name="POOL3"),
        AdaptiveAvgPool((6, 6), name="AVGPOOL"),
        Dropout(0.5, name="DROPOUT6"),
        FC(4096, act="relu", name="FC6"),
        Dropout(0.5, name="DROPOUT7"),
        FC(4096, act="relu", name="FC7"),
        FC(1000, name="FC8"),
    ), note="the 'one weird trick' single-tower variant")


def zfnet(conv2_stride: int = 2) -> Network:
    """ZFNet = the slide's AlexNet but CONV1 7x7 /2 and CONV3-5 with 512, 1024, 512 filters.

    The slide leaves out that Zeiler & Fergus also gave CONV2 stride 2 (``conv2_stride=2``):
    with the slide's changes alone the maps stay twice as large and FC6 explodes.
    """
    return Network(f"ZFNet (CONV2 stride {conv2_stride})", (227, 227, 3), (
        Conv(96, 7, stride=2, padding=0, act="relu", name="CONV1"),
        Pool(3, stride=2, name="POOL1"),
        LRN(name="NORM1"),
        Conv(256, 5, stride=conv2_stride, padding=2, act="relu", name="CONV2"),
        Pool(3, stride=2, name="POOL2"),
        LRN(name="NORM2"),
        Conv(512, 3, padding=1, act="relu", name="CONV3"),
        Conv(1024, 3, padding=1, act="relu", name="CONV4"),
        Conv(512, 3, padding=1, act="relu", name="CONV5"),
        Pool(3, stride=2, name="POOL3"),
        FC(4096, act="relu", name="FC6"),
        FC(4096, act="relu", name="FC7"),
        FC(1000, name="FC8"),
    ), note="Zeiler and Fergus, 2013")


# The VGG slide's table, column by column: (F, K) per conv, "M" per 2x2 max pool, "LRN".
VGG_CONFIGS: dict[str, tuple] = {
    "A": ((3, 64), "M", (3, 128), "M", (3, 256), (3, 256), "M",
          (3, 512), (3, 512), "M", (3, 512), (3, 512), "M"),
    "A-LRN": ((3, 64), "LRN", "M", (3, 128), "M", (3, 256), (3, 256), "M",
              (3, 512), (3, 512), "M", (3, 512), (3, 512), "M"),
    "B": ((3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), "M",
          (3, 512), (3, 512), "M", (3, 512), (3, 512), "M"),
    "C": ((3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), (1, 256), "M",
          (3, 512), (3, 512), (1, 512), "M", (3, 512), (3, 512), (1, 512), "M"),
    "D": ((3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), (3, 256), "M",
          (3, 512), (3, 512), (3, 512), "M", (3, 512), (3, 512), (3, 512), "M"),
    "E": ((3, 64), (3, 64), "M", (3, 128), (3, 128), "M",
          (3, 256), (3, 256), (3, 256), (3, 256), "M",
          (3, 512), (3, 512), (3, 512), (3, 512), "M",
          (3, 512), (3, 512), (3, 512), (3, 512), "M"),
}


def vgg(config: str = "D") -> Network:
    """VGG configuration A, A-LRN, B, C, D (VGG16) or E (VGG19) from the slide's table.

    3x3 convs stride 1 pad 1 (C's conv1 layers pad 0), 2x2 max pools stride 2, 224x224x3 input.
    """
    if config not in VGG_CONFIGS:
        raise ValueError(f"VGG configuration must be one of {list(VGG_CONFIGS)}, got {config!r}")
    layers: list = []
    for item in VGG_CONFIGS[config]:
        if item == "M":
            layers.append(Pool(2, stride=2))
        elif item == "LRN":
            layers.append(LRN())
        else:
            f, k = item
            layers.append(Conv(k, f, padding=(f - 1) // 2, act="relu"))
    layers += [FC(4096, act="relu"), FC(4096, act="relu"), FC(1000, act="softmax")]
    return Network(f"VGG {config}", (224, 224, 3), tuple(layers),
                   note="Simonyan and Zisserman, 2014")


def inception(c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int,
              bottleneck: bool = True, name: str | None = None) -> Concat:
    """GoogLeNet's inception module; ``bottleneck=False`` drops the 1x1 reductions (naive).

    The naive module's pool branch passes all input maps through, so its depth only grows.
    """
    if not bottleneck:
        return Concat((
            (Conv(c1, 1, act="relu"),),
            (Conv(c3, 3, padding=1, act="relu"),),
            (Conv(c5, 5, padding=2, act="relu"),),
            (Pool(3, stride=1, padding=1),),
        ), name=name)
    return Concat((
        (Conv(c1, 1, act="relu"),),
        (Conv(c3_reduce, 1, act="relu"), Conv(c3, 3, padding=1, act="relu")),
        (Conv(c5_reduce, 1, act="relu"), Conv(c5, 5, padding=2, act="relu")),
        (Pool(3, stride=1, padding=1), Conv(pool_proj, 1, act="relu")),
    ), name=name)


# GoogLeNet's Table 1: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj) per module.
GOOGLENET_INCEPTIONS: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet() -> Network:
    """GoogLeNet as in the paper's Table 1 (no auxiliary classifiers): nine inception modules.

    The stride-2 max pools pad 1 to give the paper's 56, 28, 14, 7 (the paper rounds up); like
    the stride-2 7x7 conv they do not fit exactly and are flagged.
    """
    def module(name: str) -> Concat:
        return inception(*GOOGLENET_INCEPTIONS[name], name=name)

    def pool(name: str) -> Pool:
        return Pool(3, stride=2, padding=1, name=name)

    return Network("GoogLeNet", (224, 224, 3), (
        Conv(64, 7, stride=2, padding=3, act="relu", name="CONV1"), pool("POOL1"),
        LRN(name="NORM1"),
        Conv(64, 1, act="relu", name="CONV2_REDUCE"),
        Conv(192, 3, padding=1, act="relu", name="CONV2"), LRN(name="NORM2"), pool("POOL2"),
        module("3a"), module("3b"), pool("POOL3"),
        module("4a"), module("4b"), module("4c"), module("4d"), module("4e"), pool("POOL4"),
        module("5a"), module("5b"),
        Pool(7, stride=1, kind="avg", name="AVGPOOL"), Dropout(0.4, name="DROPOUT"),
        FC(1000, act="softmax", name="FC"),
    ), note="Szegedy et al., 2014")


def residual_block(d_in: int, d_out: int | None = None, stride: int = 1,
                   name: str | None = None) -> Residual:
    """ResNet's basic block: 3x3 conv-BN-ReLU, 3x3 conv-BN, + x, ReLU (BN after every CONV).

    A change of depth or stride gets a 1x1 projection shortcut.
    """
    d_out = d_out or d_in
    body = (Conv(d_out, 3, stride, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(d_out, 3, 1, 1, bias=False), BatchNorm())
    return Residual(body, _projection(d_in, d_out, stride), name=name)


def bottleneck_block(d_in: int, mid: int, d_out: int | None = None, stride: int = 1,
                     name: str | None = None) -> Residual:
    """ResNet-50's bottleneck: 1x1 conv down to ``mid``, 3x3 conv, 1x1 conv up to ``d_out``."""
    d_out = d_out or 4 * mid
    body = (Conv(mid, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(mid, 3, stride, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(d_out, 1, bias=False), BatchNorm())
    return Residual(body, _projection(d_in, d_out, stride), name=name)


def _projection(d_in: int, d_out: int, stride: int) -> tuple:
    if d_in == d_out and stride == 1:
        return ()
    return (Conv(d_out, 1, stride, bias=False), BatchNorm())


BUILTIN = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "torchvision_alexnet": torchvision_alexnet,
    "zfnet": zfnet,
    "googlenet": googlenet,
    **{f"vgg_{c.lower()}": (lambda c=c: vgg(c)) for c in VGG_CONFIGS},
    "assignment_cnn": assignment_cnn,
}
