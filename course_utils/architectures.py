"""Architecture arithmetic: the layer types of the lecture's networks and what each one costs.

A network is described declaratively (``Network`` of ``Conv``, ``Pool``, ``FC``, ...). Each layer
type owns its behaviour: ``rows`` gives its line(s) of the AlexNet/VGG slides' table (output
volume [H x W x D], activations, parameters, multiply-adds) and ``torch_parts`` the PyTorch
modules it becomes, so a new layer type is one new class. Every output size comes from
``course_utils.geometry``: a layer that does not fit exactly (and is floored by the frameworks)
is flagged instead of hidden.

The arithmetic is pure Python; torch is imported only inside ``torch_parts`` and ``to_torch``, so
every table can be checked against real code. The networks themselves live in
``course_utils.networks``, the table's rendering in ``course_utils.tables``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import ClassVar

from course_utils import geometry
from course_utils.geometry import GeometryError
from course_utils.tables import LayerTable, Row, Shape

Padding = int | str | tuple[int, int]

# The activations a spec may name -> the torch.nn class each becomes, with its arguments.
ACTIVATIONS = {"relu": ("ReLU", {}), "tanh": ("Tanh", {}), "softmax": ("Softmax", {"dim": 1})}


# ---------------------------------------------------------------------------------------------
# 1. What every layer type provides
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """A layer of a spec: plain data plus its table rows and its PyTorch modules.

    ``torch_names`` names the modules of ``torch_parts`` one by one; they then become children
    of the network's ``nn.Sequential`` themselves (the programming task's Keras-style names
    conv1, relu1, pad2, ...). Without it the layer is one child named after its table row.
    """

    name: str | None = field(default=None, kw_only=True)
    torch_names: tuple[str, ...] = field(default=(), kw_only=True)

    prefix: ClassVar[str] = ""  # default row names: CONV1, POOL2, ... ("" -> the class name)

    def rows(self, shape: Shape, name: str, depth: int) -> list[Row]:
        """The table rows of this layer on an input of ``shape`` (composites add inner rows)."""
        raise NotImplementedError

    def torch_parts(self, shape: Shape) -> list:
        """The ``nn.Module``s this layer becomes on an input of ``shape``, in order."""
        raise NotImplementedError


def _who(layer: Layer) -> str:
    return type(layer).__name__ + (f" {layer.name}" if layer.name else "")


def _whole(layer: Layer, value, what: str, minimum: int = 1) -> None:
    """Refuse a size the slides' formulas cannot take, naming the layer: Conv(k=-5) would give
    -50 parameters, groups=0 a ZeroDivisionError, FC(-10) a negative weight count."""
    try:
        geometry.whole(value, what, minimum)
    except GeometryError as error:
        raise GeometryError(f"{_who(layer)}: {error}") from None


def _flag(layer: Layer, value, what: str) -> None:
    if not isinstance(value, bool):  # bias=0 or bias="no" would silently mean something
        raise ValueError(f"{_who(layer)}: {what} must be True or False, got {value!r}")


def _spatial(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise GeometryError(f"{what} needs an H x W x D volume, got the flat vector {shape}")
    return shape  # type: ignore[return-value]


def _act_text(act: str | None) -> str:
    if act is None:
        return ""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; use one of {tuple(ACTIVATIONS)}")
    return f", {act}"


def _nn():
    """torch.nn, imported on first use: the tables themselves need no torch."""
    import torch.nn

    return torch.nn


def _torch_act(kind: str | None):
    nn = _nn()
    if kind is None:
        return nn.Identity()
    cls, kwargs = ACTIVATIONS[kind]
    return getattr(nn, cls)(**kwargs)


def _act_parts(act: str | None) -> list:
    return [_torch_act(act)] if act else []


def _fit(n: int, f: int, stride: int, before: int, after: int) -> tuple[int, bool, str]:
    """Output size along one axis, whether it fits exactly, and the formula to show."""
    geo = geometry.output_geometry(n, f, stride, (before, after))
    formula = geo.formula if geo.exact else f"{geo.formula} -> floored to {geo.size}"
    return geo.size, geo.exact, formula


# ---------------------------------------------------------------------------------------------
# 2. The layer types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv(Layer):
    """K filters F x F, stride S, padding P: 'valid', 'same', 'full', an int or (before, after)."""

    k: int
    f: int
    stride: int = 1
    padding: Padding = 0
    act: str | None = None
    groups: int = 1  # AlexNet's two GPU towers: each filter sees D/groups input channels
    bias: bool = True

    prefix: ClassVar[str] = "CONV"

    def __post_init__(self):
        _whole(self, self.k, "k")
        _whole(self, self.f, "f")
        _whole(self, self.stride, "stride")
        _whole(self, self.groups, "the number of groups")
        _flag(self, self.bias, "bias")
        _act_text(self.act)
        try:  # 'same' at a stride other than 1 is refused when the table is built (pads)
            geometry.padding_pair(self.padding, self.f)
        except GeometryError as error:
            raise GeometryError(f"{_who(self)}: {error}") from None

    def pads(self) -> tuple[int, int]:
        """(before, after) zero padding; an even 'same' pads like TensorFlow (0, 1)."""
        if self.padding == "same" and self.stride != 1:
            raise GeometryError(
                f"'same' padding is defined here for stride 1 only (got stride {self.stride}); "
                "give the padding as an int or a (before, after) pair"
            )
        return geometry.padding_pair(self.padding, self.f)

    def rows(self, shape, name, depth):
        h, w, d = _spatial(shape, name)
        if d % self.groups or self.k % self.groups:
            raise GeometryError(f"{name}: depth {d} and K={self.k} must divide by groups")
        before, after = self.pads()
        ho, exact_h, fit = _fit(h, self.f, self.stride, before, after)
        wo, exact_w, _ = _fit(w, self.f, self.stride, before, after)
        weights = geometry.conv_params(self.f, d // self.groups, self.k, bias=False)
        pad = (self.padding if isinstance(self.padding, str)
               else f"pad {before}" if before == after else f"pad {before}/{after}")
        what = (f"{self.k} {self.f}x{self.f} /{self.stride} {pad}"
                + (f", {self.groups} groups" if self.groups > 1 else "") + _act_text(self.act))
        formula = f"({self.f}*{self.f}*{d // self.groups})*{self.k}"
        return [Row(name, what, (ho, wo, self.k), weights, self.k if self.bias else 0,
                    ho * wo * weights, fit, exact_h and exact_w, depth,
                    label=f"CONV{self.f}-{self.k}", weights_formula=formula)]

    def torch_parts(self, shape):
        nn = _nn()
        before, after = self.pads()
        parts = []
        if before != after:  # nn.Conv2d pads symmetrically: TensorFlow's even 'same' goes first
            parts.append(nn.ZeroPad2d((before, after, before, after)))
            before = 0
        parts.append(nn.Conv2d(shape[2], self.k, self.f, self.stride, before,
                               groups=self.groups, bias=self.bias))
        return parts + _act_parts(self.act)


@dataclass(frozen=True)
class Pool(Layer):
    """Max or average pooling, F x F at stride S (default S = F)."""

    f: int
    stride: int | None = None
    padding: int = 0
    kind: str = "max"

    prefix: ClassVar[str] = "POOL"

    def __post_init__(self):
        _whole(self, self.f, "f")
        if self.stride is not None:
            _whole(self, self.stride, "stride")
        _whole(self, self.padding, "padding", 0)
        if self.kind not in ("max", "avg"):
            raise ValueError(f"{_who(self)}: pool kind must be 'max' or 'avg', got {self.kind!r}")

    @property
    def step(self) -> int:
        return geometry.pool_stride(self.f, self.stride)

    def rows(self, shape, name, depth):
        h, w, d = _spatial(shape, name)
        if self.kind not in ("max", "avg"):
            raise ValueError(f"{name}: pool kind must be 'max' or 'avg', got {self.kind!r}")
        if self.padding > self.f // 2:  # torch refuses it: some windows would be all padding
            raise GeometryError(f"{name}: pool padding {self.padding} > F/2 leaves empty windows")
        ho, exact_h, fit = _fit(h, self.f, self.step, self.padding, self.padding)
        wo, exact_w, _ = _fit(w, self.f, self.step, self.padding, self.padding)
        pad = f" pad {self.padding}" if self.padding else ""
        return [Row(name, f"{self.kind} {self.f}x{self.f} /{self.step}{pad}", (ho, wo, d),
                    fit=fit, exact=exact_h and exact_w, depth=depth, label=f"POOL{self.f}")]

    def torch_parts(self, shape):
        cls = _nn().MaxPool2d if self.kind == "max" else _nn().AvgPool2d
        return [cls(self.f, self.step, self.padding)]


@dataclass(frozen=True)
class AdaptiveAvgPool(Layer):
    """Average pooling to a fixed H x W whatever the input (torchvision's AlexNet and VGG)."""

    size: tuple[int, int]

    def __post_init__(self):
        if not isinstance(self.size, tuple | list) or len(self.size) != 2:
            raise GeometryError(f"{_who(self)}: size must be (H, W), got {self.size!r}")
        for value in self.size:
            _whole(self, value, "the output size")

    def rows(self, shape, name, depth):
        _, _, d = _spatial(shape, name)
        return [Row(name, f"adaptive avg -> {self.size[0]}x{self.size[1]}", (*self.size, d),
                    depth=depth)]

    def torch_parts(self, shape):
        return [_nn().AdaptiveAvgPool2d(self.size)]


@dataclass(frozen=True)
class LRN(Layer):
    """AlexNet's local response normalisation (NORM1/NORM2): no parameters."""

    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0

    prefix: ClassVar[str] = "NORM"

    def __post_init__(self):
        _whole(self, self.size, "the number of neighbouring channels n")

    def rows(self, shape, name, depth):
        _spatial(shape, name)
        return [Row(name, f"local response norm (n={self.size})", shape, depth=depth)]

    def torch_parts(self, shape):
        return [_nn().LocalResponseNorm(self.size, self.alpha, self.beta, self.k)]


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation (ResNet: after every CONV): a scale and a shift per channel."""

    def rows(self, shape, name, depth):
        d = shape[-1]
        return [Row(name, "batch norm", shape, weights=d, biases=d, depth=depth)]

    def torch_parts(self, shape):
        nn = _nn()
        return [nn.BatchNorm2d(shape[2]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])]


@dataclass(frozen=True)
class Flatten(Layer):
    """H x W x D volume -> vector of H*W*D values."""

    def rows(self, shape, name, depth):
        # a view of its input, not a tensor of its own: not counted in memory
        return [Row(name, "flatten", (math.prod(shape),), depth=depth, stored=False)]

    def torch_parts(self, shape):
        return [_nn().Flatten()]


@dataclass(frozen=True)
class FC(Layer):
    """Fully connected layer with ``units`` neurons (flattens a volume input)."""

    units: int
    act: str | None = None
    bias: bool = True

    prefix: ClassVar[str] = "FC"

    def __post_init__(self):
        _whole(self, self.units, "the number of neurons")
        _flag(self, self.bias, "bias")
        _act_text(self.act)

    def rows(self, shape, name, depth):
        weights = math.prod(shape) * self.units
        formula = "*".join(str(n) for n in shape) + f"*{self.units}"
        return [Row(name, f"{self.units} neurons{_act_text(self.act)}", (self.units,),
                    weights, self.units if self.bias else 0, weights, depth=depth,
                    label="FC", weights_formula=formula)]

    def torch_parts(self, shape):
        nn = _nn()
        parts = [nn.Flatten()] if len(shape) == 3 else []
        parts.append(nn.Linear(math.prod(shape), self.units, bias=self.bias))
        return parts + _act_parts(self.act)


@dataclass(frozen=True)
class Activation(Layer):
    """A stand-alone ReLU, tanh or softmax."""

    kind: str

    def __post_init__(self):
        if self.kind is None:
            raise ValueError(f"{_who(self)}: unknown activation None; use one of "
                             f"{tuple(ACTIVATIONS)}")
        _act_text(self.kind)

    def rows(self, shape, name, depth):
        _act_text(self.kind)
        return [Row(name, self.kind, shape, depth=depth)]

    def torch_parts(self, shape):
        return [_torch_act(self.kind)]


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout with drop probability ``rate``: no parameters, no change of shape."""

    rate: float

    prefix: ClassVar[str] = "DROPOUT"

    def __post_init__(self):
        rate = self.rate
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"{_who(self)}: the dropout rate must be a number in [0, 1), "
                             f"got {rate!r}")

    def rows(self, shape, name, depth):
        if not 0 <= self.rate < 1:
            raise ValueError(f"{name}: dropout rate must be in [0, 1), got {self.rate}")
        return [Row(name, f"dropout {self.rate:g}", shape, depth=depth)]

    def torch_parts(self, shape):
        return [_nn().Dropout(self.rate)]


def _rows(layer: Layer, shape: Shape, default_name: str, depth: int) -> list[Row]:
    """The layer's rows, under its own name or ``default_name``."""
    if not isinstance(layer, Layer):
        raise TypeError(f"{default_name}: not a layer of course_utils.architectures: {layer!r}")
    return layer.rows(shape, layer.name or default_name, depth)


def _sequence_rows(layers, shape: Shape, prefix: str, depth: int) -> tuple[list[Row], Shape]:
    rows: list[Row] = []
    for i, layer in enumerate(layers, 1):
        new = _rows(layer, shape, f"{prefix}.{i}", depth)
        rows += new
        shape = new[0].shape
    return rows, shape


def _block_row(name: str, what: str, shape: Shape, inner: list[Row], depth: int) -> Row:
    own = [r for r in inner if r.depth == depth + 1]
    return Row(name, what, shape, sum(r.weights for r in own), sum(r.biases for r in own),
               sum(r.macs for r in own), exact=all(r.exact for r in inner), depth=depth)


@dataclass(frozen=True)
class Concat(Layer):
    """Branches applied to the same input, outputs stacked along depth (the inception module)."""

    branches: tuple[tuple, ...]

    def rows(self, shape, name, depth):
        inner: list[Row] = []
        outs = []
        for b, branch in enumerate(self.branches, 1):
            rows, out = _sequence_rows(branch, shape, f"{name}.b{b}", depth + 1)
            inner += rows
            outs.append(out if branch else shape)
        if len({out[:2] for out in outs}) != 1 or any(len(out) != 3 for out in outs):
            raise GeometryError(
                f"{name}: branches must keep the same H x W to be stacked, got {outs}")
        out_shape = (*outs[0][:2], sum(out[2] for out in outs))
        what = "concat of " + " + ".join(str(out[2]) for out in outs)
        return [_block_row(name, what, out_shape, inner, depth), *inner]

    def torch_parts(self, shape):
        from course_utils.torch_blocks import ConcatBlock

        return [ConcatBlock([_torch_sequence(branch, shape) for branch in self.branches])]


@dataclass(frozen=True)
class Residual(Layer):
    """ResNet's block: act(body(x) + shortcut(x)); an empty shortcut is the identity."""

    body: tuple
    shortcut: tuple = ()
    act: str | None = "relu"

    def rows(self, shape, name, depth):
        body, body_out = _sequence_rows(self.body, shape, f"{name}.body", depth + 1)
        short, short_out = _sequence_rows(self.shortcut, shape, f"{name}.shortcut", depth + 1)
        if body_out != short_out:
            raise GeometryError(
                f"{name}: body gives {body_out} but the shortcut gives {short_out}; "
                "add a projection shortcut (e.g. a 1x1 conv with the body's stride and depth)"
            )
        what = "x + F(x)" if not self.shortcut else "proj(x) + F(x)"
        return [_block_row(name, what + _act_text(self.act), body_out, body + short, depth),
                *body, *short]

    def torch_parts(self, shape):
        from course_utils.torch_blocks import ResidualBlock

        return [ResidualBlock(_torch_sequence(self.body, shape),
                              _torch_sequence(self.shortcut, shape), _torch_act(self.act))]


@dataclass(frozen=True)
class Network:
    """A whole network: name, input volume (H, W, D) and its layers in order."""

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple
    note: str = ""

    def __post_init__(self):
        shape = self.input_shape
        if not isinstance(shape, tuple | list) or len(shape) != 3:
            raise GeometryError(f"{self.name}: the input must be a volume (H, W, D), "
                                f"got {shape!r}")
        for value, what in zip(shape, ("the input height H", "the input width W",
                                       "the input depth D"), strict=True):
            try:
                geometry.whole(value, what)
            except GeometryError as error:
                raise GeometryError(f"{self.name}: {error}") from None


# ---------------------------------------------------------------------------------------------
# 3. The table
# ---------------------------------------------------------------------------------------------


def layer_table(network: Network) -> LayerTable:
    """The per-layer table of the AlexNet/VGG slides: output volume, memory, params, mult-adds."""
    h, w, d = network.input_shape
    shape: Shape = (h, w, d)
    rows = [Row("INPUT", "image", shape, label="INPUT")]
    counters: dict[str, int] = {}
    for layer in network.layers:
        kind = getattr(layer, "prefix", "") or type(layer).__name__.upper()
        counters[kind] = counters.get(kind, 0) + 1
        new = _rows(layer, shape, f"{kind}{counters[kind]}", 0)
        rows += new
        shape = new[0].shape
    return LayerTable(network, tuple(rows))


# ---------------------------------------------------------------------------------------------
# 4. The matching PyTorch module (torch imported lazily: the arithmetic above needs none)
# ---------------------------------------------------------------------------------------------


def _parts(layer: Layer, shape: Shape, name: str) -> tuple[list, tuple[str, ...]]:
    """A layer's modules and the names ``torch_names`` gives them (one each, or none)."""
    parts, names = layer.torch_parts(shape), layer.torch_names
    if names and len(names) != len(parts):
        raise ValueError(f"{name}: torch_names {names} must name each of its {len(parts)} "
                         f"modules {[type(p).__name__ for p in parts]}")
    return parts, names


def _add(model, parts: list, names: tuple[str, ...], name: str) -> None:
    """Append one layer's modules: as the children ``names``, or as one child ``name``."""
    if names:
        for child, part in zip(names, parts, strict=True):
            model.add_module(child, part)
    elif parts:
        model.add_module(name, parts[0] if len(parts) == 1 else _nn().Sequential(*parts))


def _torch_sequence(layers, shape: Shape):
    model = _nn().Sequential()
    for layer in layers:
        _add(model, *_parts(layer, shape, "layer"), str(len(model)))
        shape = _rows(layer, shape, "layer", 0)[0].shape
    return model


def to_torch(network: Network, logits: bool = True):
    """The spec as an ``nn.Sequential``: child i is layer i of the spec (row i+1 of the table),
    or the children its ``torch_names`` name.

    Input is NCHW, e.g. ``torch.zeros(1, D, H, W)``; layer names become the children's names.
    A final softmax (the slides draw it as the last layer) is left out unless ``logits=False``:
    the module ends in logits, as ``F.cross_entropy`` expects (it applies the softmax itself;
    a second one is the double-softmax mistake). Parameters are created in layer order, so
    under the same ``torch.manual_seed`` the same spec gives the same weights.
    """
    nn = _nn()
    rows = layer_table(network).top  # raises the readable GeometryError before torch does
    model = nn.Sequential()
    for i, layer in enumerate(network.layers):
        parts, names = _parts(layer, rows[i].shape, rows[i + 1].name)
        if logits and i == len(network.layers) - 1 and isinstance(parts[-1], nn.Softmax):
            parts, names = parts[:-1], names[:-1]  # its name, if any, goes with it
        children = names or (rows[i + 1].name,)
        if set(children) & set(model._modules) or len(set(children)) != len(children):
            raise ValueError(f"{network.name}: layer names must be unique; {children} "
                             f"(layer {rows[i + 1].name}) repeats one")
        _add(model, parts, names, rows[i + 1].name)
    return model
