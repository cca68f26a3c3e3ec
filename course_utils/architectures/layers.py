"""The lecture's layer types as plain data, each owning its table rows and its PyTorch modules.

``Conv``, ``Pool``, ``FC``, ... (the AlexNet/VGG slides' vocabulary): ``rows`` gives the layer's
line of the per-layer table (output volume, activations, parameters, multiply-adds), computed
with ``course_utils.byhand.geometry``; ``torch_parts`` the modules it becomes. A new layer type is
one new class here. Composite blocks (inception, residual), whole networks, the table and
``to_torch`` are in ``course_utils.architectures.network``. torch is imported only inside
``torch_parts``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import ClassVar

from course_utils.byhand import geometry
from course_utils.byhand.geometry import GeometryError

Shape = tuple[int, ...]  # (H, W, D) for a volume, (N,) after flattening

BYTES_FP32 = 4


@dataclass(frozen=True)
class Row:
    """One line of the table: what a layer produces and what it costs. name, what: str; shape:
    the output, (H, W, D) or (N,); weights, biases, macs: ints. A line of the AlexNet slide's
    listing ("[55x55x96] CONV1 ...") and the VGG16 slide's table (memory, params); notebook 04."""

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
        return math.prod(self.shape)

    @property
    def bytes(self) -> int:
        return self.values * BYTES_FP32

    @property
    def shape_text(self) -> str:
        return "x".join(str(n) for n in self.shape)


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
    Notebook 04: the vocabulary of its specs (the AlexNet, VGG, GoogLeNet and ResNet slides).
    """

    name: str | None = field(default=None, kw_only=True)
    torch_names: tuple[str, ...] = field(default=(), kw_only=True)

    prefix: ClassVar[str] = ""  # default row names: CONV1, POOL2, ... ("" -> the class name)

    def rows(self, shape: Shape, name: str, depth: int) -> list[Row]:
        """The table rows of this layer on an input of ``shape`` (composites add inner rows):
        (H, W, D) or (N,) shape, str name, int depth (0 = top) -> list[Row], its own row first
        (whose ``shape`` is the output). Its line(s) of the AlexNet/VGG slides' table, notebook 04.
        """
        raise NotImplementedError

    def torch_parts(self, shape: Shape) -> list:
        """The ``nn.Module``s this layer becomes on an input of ``shape``, in order: (H, W, D)
        or (N,) -> list[nn.Module] on (batch, D, H, W) or (batch, N). Notebook 04 checks every
        slide's table against them."""
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


def activation_text(act: str | None) -> str:
    """The activation as the table's "what" column appends it: 'relu' -> ", relu", None -> "";
    str | None -> str, ValueError for another name. Notebook 04's layer tables (the Programming
    Tasks slide's activation=relu, tanh, softmax)."""
    if act is None:
        return ""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; use one of {tuple(ACTIVATIONS)}")
    return f", {act}"


def torch_nn():
    """torch.nn, imported on first use: the tables themselves need no torch.
    () -> the torch.nn module; only notebook 04's ``to_torch`` and ``torch_parts`` call it."""
    import torch.nn

    return torch.nn


def torch_activation(kind: str | None):
    """The ``torch.nn`` module of an activation a spec names: 'relu' | 'tanh' | 'softmax' | None
    -> nn.Module (Identity for None; softmax over dim 1 of (batch, N)). The Programming Tasks
    slide's activations; notebook 05, section 1 'From the Keras layer list to PyTorch'."""
    nn = torch_nn()
    if kind is None:
        return nn.Identity()
    cls, kwargs = ACTIVATIONS[kind]
    return getattr(nn, cls)(**kwargs)


def _act_parts(act: str | None) -> list:
    return [torch_activation(act)] if act else []


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
    """K filters F x F, stride S, padding P: 'valid', 'same', 'full', an int or (before, after).
    (H, W, D) -> (H2, W2, K), H2 = floor((H - F + before + after)/S) + 1; (F*F*D/groups)*K
    weights, K biases. The slide 'Summary. To summarize, the Conv Layer'; notebook 04."""

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
        activation_text(self.act)
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
                + (f", {self.groups} groups" if self.groups > 1 else "")
                + activation_text(self.act))
        formula = f"({self.f}*{self.f}*{d // self.groups})*{self.k}"
        return [Row(name, what, (ho, wo, self.k), weights, self.k if self.bias else 0,
                    ho * wo * weights, fit, exact_h and exact_w, depth,
                    label=f"CONV{self.f}-{self.k}", weights_formula=formula)]

    def torch_parts(self, shape):
        nn = torch_nn()
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
    """Max or average pooling, F x F at stride S (default S = F). (H, W, D) -> (H2, W2, D),
    H2 = floor((H - F + 2P)/S) + 1; no parameters. AlexNet's POOL1 slides (3x3 at stride 2,
    "Parameters: 0!"); notebook 02, section 4 'Pooling has no parameters', and notebook 04."""

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
        cls = torch_nn().MaxPool2d if self.kind == "max" else torch_nn().AvgPool2d
        return [cls(self.f, self.step, self.padding)]


@dataclass(frozen=True)
class AdaptiveAvgPool(Layer):
    """Average pooling to a fixed H x W whatever the input (torchvision's AlexNet and VGG).
    (H, W, D) -> (size[0], size[1], D), no parameters. Notebook 04, 'The whole (simplified)
    AlexNet': torchvision's AlexNet beside the slide's."""

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
        return [torch_nn().AdaptiveAvgPool2d(self.size)]


@dataclass(frozen=True)
class LRN(Layer):
    """AlexNet's local response normalisation (NORM1/NORM2): no parameters. (H, W, D) ->
    (H, W, D). The AlexNet slide's "NORM1: Normalization layer"; notebook 04."""

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
        # alpha is the paper's (AlexNet, Section 3.3: a / (k + alpha * sum of n squares)^beta);
        # PyTorch's LocalResponseNorm averages the squares instead of summing them, so it gets
        # alpha * n to compute the same thing.
        return [torch_nn().LocalResponseNorm(self.size, self.alpha * self.size, self.beta, self.k)]


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation (ResNet: after every CONV): a scale and a shift per channel.
    (H, W, D) or (N,) -> the same shape, 2 * D parameters (D = last axis). The ResNet slide's
    "Batch Normalization after every CONV layer"; notebook 04, the ResNet section."""

    def rows(self, shape, name, depth):
        d = shape[-1]
        return [Row(name, "batch norm", shape, weights=d, biases=d, depth=depth)]

    def torch_parts(self, shape):
        nn = torch_nn()
        return [nn.BatchNorm2d(shape[2]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])]


@dataclass(frozen=True)
class Flatten(Layer):
    """H x W x D volume -> vector of H*W*D values: (H, W, D) -> (H*W*D,), no parameters. The
    Programming Tasks slide's Flatten; notebook 05, section 2 and notebook 07, section 1."""

    def rows(self, shape, name, depth):
        # a view of its input, not a tensor of its own: not counted in memory
        return [Row(name, "flatten", (math.prod(shape),), depth=depth, stored=False)]

    def torch_parts(self, shape):
        return [torch_nn().Flatten()]


@dataclass(frozen=True)
class FC(Layer):
    """Fully connected layer with ``units`` neurons (flattens a volume input): (H, W, D) or
    (N,) -> (units,), prod(input shape) * units weights (the VGG16 slide's 7*7*512*4096) and
    ``units`` biases. The AlexNet slide's FC6-FC8; notebook 04."""

    units: int
    act: str | None = None
    bias: bool = True

    prefix: ClassVar[str] = "FC"

    def __post_init__(self):
        _whole(self, self.units, "the number of neurons")
        _flag(self, self.bias, "bias")
        activation_text(self.act)

    def rows(self, shape, name, depth):
        weights = math.prod(shape) * self.units
        formula = "*".join(str(n) for n in shape) + f"*{self.units}"
        return [Row(name, f"{self.units} neurons{activation_text(self.act)}", (self.units,),
                    weights, self.units if self.bias else 0, weights, depth=depth,
                    label="FC", weights_formula=formula)]

    def torch_parts(self, shape):
        nn = torch_nn()
        parts = [nn.Flatten()] if len(shape) == 3 else []
        parts.append(nn.Linear(math.prod(shape), self.units, bias=self.bias))
        return parts + _act_parts(self.act)


@dataclass(frozen=True)
class Activation(Layer):
    """A stand-alone ReLU, tanh or softmax: any shape -> the same shape, no parameters. The
    Programming Tasks slide's activations; notebook 04, the ResNet section (the blocks' ReLU)."""

    kind: str

    def __post_init__(self):
        if self.kind is None:
            raise ValueError(f"{_who(self)}: unknown activation None; use one of "
                             f"{tuple(ACTIVATIONS)}")
        activation_text(self.kind)

    def rows(self, shape, name, depth):
        activation_text(self.kind)
        return [Row(name, self.kind, shape, depth=depth)]

    def torch_parts(self, shape):
        return [torch_activation(self.kind)]


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout with drop probability ``rate``: no parameters, no change of shape (any shape ->
    the same). The Programming Tasks slide's "Dropout: rate=0.35"; notebook 05, 'Dropout rate =
    fraction dropped, in both frameworks'."""

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
        return [torch_nn().Dropout(self.rate)]


__all__ = [
    "ACTIVATIONS", "BYTES_FP32", "FC", "LRN", "Activation", "AdaptiveAvgPool", "BatchNorm",
    "Conv", "Dropout", "Flatten", "Layer", "Padding", "Pool", "Row", "Shape",
    "activation_text", "torch_activation", "torch_nn",
]
