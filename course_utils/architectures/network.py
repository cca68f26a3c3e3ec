"""Architecture arithmetic: the lecture's networks and what each layer costs.

A network is described declaratively (``Network`` of ``Conv``, ``Pool``, ``FC``, ... from
``course_utils.architectures.layers``, plus the composite ``Concat`` and ``Residual`` here). Each
layer type owns its behaviour: ``rows`` gives its line(s) of the AlexNet/VGG slides' table (output
volume [H x W x D], activations, parameters, multiply-adds) and ``torch_parts`` the PyTorch
modules it becomes, so a new layer type is one new class. Every output size comes from
``course_utils.byhand.geometry``: a layer that does not fit exactly (and is floored by the
frameworks) is flagged instead of hidden.

The arithmetic is pure Python; torch is imported only inside ``torch_parts`` and ``to_torch``, so
every table can be checked against real code. The networks themselves live in
``course_utils.architectures.networks``, the table's rendering in
``course_utils.architectures.table``.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.architectures.layers import (
    Conv,
    Layer,
    Pool,
    Row,
    Shape,
    activation_text,
    torch_activation,
    torch_nn,
)
from course_utils.architectures.table import LayerTable
from course_utils.byhand import geometry
from course_utils.byhand.geometry import GeometryError


def _default_names(layers) -> list[str]:
    """The table's name of each top-level layer without one: CONV1, CONV2, POOL1, FC1, ...
    (its type's ``prefix``, else its class name, numbered per kind)."""
    counters: dict[str, int] = {}
    names = []
    for layer in layers:
        kind = getattr(layer, "prefix", "") or type(layer).__name__.upper()
        counters[kind] = counters.get(kind, 0) + 1
        names.append(f"{kind}{counters[kind]}")
    return names


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
    """Branches applied to the same input, outputs stacked along depth (the inception module).

    (H, W, D) volume -> (H, W, D_1 + D_2 + ...), each branch's output depth; every branch must
    keep H x W (an empty branch passes the input on). The GoogLeNet slide's 'Inception
    module'; notebook 04, the GoogLeNet section.
    """

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
        from course_utils.architectures.torch_blocks import ConcatBlock

        return [ConcatBlock([_torch_sequence(branch, shape) for branch in self.branches])]


@dataclass(frozen=True)
class Residual(Layer):
    """ResNet's block: act(body(x) + shortcut(x)); an empty shortcut is the identity.

    (H, W, D) volume -> the body's output (H2, W2, D2), which the shortcut's must equal.
    The ResNet slides (skip connections); notebook 04, the ResNet section.
    """

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
        return [_block_row(name, what + activation_text(self.act), body_out, body + short, depth),
                *body, *short]

    def torch_parts(self, shape):
        from course_utils.architectures.torch_blocks import ResidualBlock

        return [ResidualBlock(_torch_sequence(self.body, shape),
                              _torch_sequence(self.shortcut, shape), torch_activation(self.act))]


@dataclass(frozen=True)
class Network:
    """A whole network: name, input volume (H, W, D) and its layers in order.

    name: str; input_shape: (H, W, D) ints; layers: tuple of ``Layer``; note: str.
    The lecture's architectures, slides 'LeNet-5' to 'ResNet' and 'Programming Tasks';
    notebook 04.
    """

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
    """The per-layer table of the AlexNet/VGG slides: output volume, memory, params, mult-adds.

    network: Network -> LayerTable: an INPUT row, then one row per layer (the rows inside a
    composite block at depth 1+). The AlexNet slide's full listing and the VGG16 slide's
    table; notebook 04 (every network) and notebook 05, section 2.
    """
    h, w, d = network.input_shape
    shape: Shape = (h, w, d)
    rows = [Row("INPUT", "image", shape, label="INPUT")]
    for layer, default in zip(network.layers, _default_names(network.layers), strict=True):
        new = _rows(layer, shape, default, 0)
        rows += new
        shape = new[0].shape
    return LayerTable(network, tuple(rows))


def spatial_layers(network: Network) -> dict[str, tuple[int, int, tuple[int, int]]]:
    """The windows of a plain network: (F, S, (before, after)) of each top-level conv and pool
    layer by its table name, what ``geometry.receptive_fields`` reads.

    network: Network -> dict[str, (F, S, (before, after))] of ints.
    Notebook 06, section 3 'Activation maps and receptive fields' (via ``task.map_windows``).
    """
    windows = {}
    for layer, default in zip(network.layers, _default_names(network.layers), strict=True):
        name = layer.name or default
        if isinstance(layer, Conv):
            windows[name] = (layer.f, layer.stride, layer.pads())
        elif isinstance(layer, Pool):
            windows[name] = (layer.f, layer.step, (layer.padding, layer.padding))
    return windows


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
        model.add_module(name, parts[0] if len(parts) == 1 else torch_nn().Sequential(*parts))


def _torch_sequence(layers, shape: Shape):
    model = torch_nn().Sequential()
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

    network: Network; logits: bool -> nn.Sequential mapping (batch, D, H, W) to the last
    layer's output, e.g. (batch, 1000) for AlexNet. Notebook 04 (each slide's parameter count
    checked against the module) and notebook 05, section 2 'The model: 1,191,338 parameters'.
    """
    nn = torch_nn()
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


__all__ = [
    "Concat", "Network", "Residual", "layer_table", "spatial_layers", "to_torch",
]
