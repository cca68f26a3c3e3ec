"""The lecture's networks as plain-data specs: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, ResNet
blocks and the programming task's CNN.

Each builder returns a ``Network`` of the layer types in ``course_utils.architectures.network``; its
``layer_table`` gives the slide's table and its ``to_torch`` the matching PyTorch module.
"""

from __future__ import annotations

from course_utils.architectures.layers import (
    FC,
    LRN,
    Activation,
    AdaptiveAvgPool,
    BatchNorm,
    Conv,
    Dropout,
    Flatten,
    Pool,
)
from course_utils.architectures.network import Concat, Network, Residual


def assignment_cnn() -> Network:
    """The lecture's programming task on MNIST 28x28x1: 1,191,338 parameters.

    The 2x2 'same' conv pads 0 before / 1 after like TensorFlow/Keras. The final softmax is in
    the table, as on the slide; ``to_torch`` leaves it out, so the module ends in logits for
    ``F.cross_entropy``. ``torch_names`` give ``to_torch`` the children of
    ``training.task.build_model`` (conv1, relu1, pad2, ...), created in the same order: under one
    ``torch.manual_seed`` both give the same weights.

    () -> Network: 28x28x1 -> (10,). The Programming Tasks slide; notebook 04, 'The
    programming task's CNN', and notebook 05, section 2 'The model: 1,191,338 parameters'.
    """
    return Network("Assignment CNN", (28, 28, 1), (
        Conv(64, 3, stride=2, padding="valid", act="relu", name="CONV1",
             torch_names=("conv1", "relu1")),
        Conv(32, 2, stride=1, padding="same", act="relu", name="CONV2",
             torch_names=("pad2", "conv2", "relu2")),
        Pool(2, stride=1, name="POOL1", torch_names=("pool",)),
        Dropout(0.35, name="DROPOUT1", torch_names=("dropout1",)),
        Flatten(name="FLATTEN", torch_names=("flatten",)),
        FC(256, act="tanh", name="FC1", torch_names=("dense1", "tanh")),
        Dropout(0.5, name="DROPOUT2", torch_names=("dropout2",)),
        FC(10, act="softmax", name="FC2", torch_names=("dense2", "softmax")),
    ), note="Programming task (last slide); 28x28x1 MNIST input")


def lenet5() -> Network:
    """LeNet-5 as on the slide: [CONV-POOL-CONV-POOL-CONV-FC], 5x5 convs /1, 2x2 pools /2, 32x32.

    Every C3 filter sees all 6 maps here (the 1998 paper wired only some of them).

    () -> Network: 32x32x1 -> (10,), 61,706 parameters.
    The LeNet-5 slide; notebook 04, 'LeNet-5 [LeCun et al., 1998]'.
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

    towers: 1 or 2 -> Network: 227x227x3 -> (1000,).
    The slide 'Full (simplified) AlexNet architecture'; notebook 04, 'The whole (simplified)
    AlexNet'.
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
    """``torchvision.models.alexnet``: 224 input, CONV1 64 filters pad 2, no NORM, 61,100,840.

    () -> Network: 224x224x3 -> (1000,).
    Notebook 04, 'The whole (simplified) AlexNet': torchvision's AlexNet beside the slide's.
    """
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

    conv2_stride: int -> Network: 227x227x3 -> (1000,).
    The ZFNet slide; notebook 04, 'ZFNet [Zeiler and Fergus, 2013]'.
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

    config: a key of VGG_CONFIGS -> Network: 224x224x3 -> (1000,) (softmax last).
    The VGGNet slide's 'ConvNet Configuration' table and Table 2, and for "D" the VGG16
    slide's listing; notebook 04, 'VGGNet' and 'VGG16 (configuration D), line by line'.
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

    c1 ... pool_proj: ints (a row of GoogLeNet's Table 1) -> Concat: (H, W, D) ->
    (H, W, c1 + c3 + c5 + pool_proj), or (H, W, c1 + c3 + c5 + D) naive.
    The GoogLeNet slide's 'Inception module' ("Why are there 1x1 convolutions?"); notebook 04,
    'GoogLeNet [Szegedy et al., 2014]'.
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

    () -> Network: 224x224x3 -> (1000,), 6,998,552 parameters.
    The GoogLeNet slide ("Only 5 million params!", "12X less params"); notebook 04,
    'GoogLeNet [Szegedy et al., 2014]'.
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

    d_in, d_out (default d_in), stride: ints -> Residual: (H, W, d_in) -> (H2, W2, d_out),
    H2 = floor((H - 1)/stride) + 1.
    The ResNet slides; notebook 04, 'ResNet [He et al., 2015]' (the basic block on 56x56x64).
    """
    d_out = d_out or d_in
    body = (Conv(d_out, 3, stride, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(d_out, 3, 1, 1, bias=False), BatchNorm())
    return Residual(body, _projection(d_in, d_out, stride), name=name)


def bottleneck_block(d_in: int, mid: int, d_out: int | None = None, stride: int = 1,
                     name: str | None = None) -> Residual:
    """ResNet-50's bottleneck: 1x1 conv down to ``mid``, 3x3 conv, 1x1 conv up to ``d_out``.

    d_in, mid, d_out (default 4 * mid), stride: ints -> Residual: (H, W, d_in) ->
    (H2, W2, d_out), H2 = floor((H - 1)/stride) + 1.
    The ResNet slide ("this trick is also used in GoogLeNet"); notebook 04, 'ResNet [He et
    al., 2015]' (the bottleneck on 56x56x256).
    """
    d_out = d_out or 4 * mid
    body = (Conv(mid, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(mid, 3, stride, 1, bias=False), BatchNorm(), Activation("relu"),
            Conv(d_out, 1, bias=False), BatchNorm())
    return Residual(body, _projection(d_in, d_out, stride), name=name)


def _projection(d_in: int, d_out: int, stride: int) -> tuple:
    if d_in == d_out and stride == 1:
        return ()
    return (Conv(d_out, 1, stride, bias=False), BatchNorm())


def vgg_config_table() -> str:
    """The VGG slide's "ConvNet Configuration" table from ``VGG_CONFIGS``: one column per
    configuration, one row per stage between max pools; ``*`` marks a layer the configuration
    it grows from does not have (the slide's bold): A-LRN and B from A,
    C from B, D from C, E from D.

    () -> str: one line per table row, columns 18 characters wide.
    The VGGNet slide's 'ConvNet Configuration' table; notebook 04, 'VGGNet [Simonyan and
    Zisserman, 2014]'.
    """
    names = list(VGG_CONFIGS)
    stages: dict[str, list[list[str]]] = {}
    for name in names:
        layers, current = [], []
        for item in VGG_CONFIGS[name]:
            if item == "M":
                layers.append(current)
                current = []
            elif item == "LRN":
                current.append("LRN")
            else:
                current.append(f"conv{item[0]}-{item[1]}")
        stages[name] = layers
    weight_layers = {n: sum(1 for i in VGG_CONFIGS[n] if isinstance(i, tuple)) + 3 for n in names}
    base = {"A-LRN": "A", "B": "A", "C": "B", "D": "C", "E": "D"}  # the paper's comparisons
    clean = {n: [list(stage) for stage in stages[n]] for n in names}
    for name, left in base.items():
        for old, new in zip(clean[left], stages[name], strict=True):
            for i, layer in enumerate(new):
                if i >= len(old) or old[i] != layer:
                    new[i] = "*" + layer
    width = 18
    lines = ["".join(n.ljust(width) for n in names).rstrip(),
             "".join(f"{weight_layers[n]} weight layers".ljust(width) for n in names).rstrip(),
             "input (224 x 224 RGB image)"]
    for stage in range(5):
        depth = max(len(stages[n][stage]) for n in names)
        for row in range(depth):
            cells = [stages[n][stage][row] if row < len(stages[n][stage]) else "" for n in names]
            lines.append("".join(c.ljust(width) for c in cells).rstrip())
        lines.append("maxpool")
    lines += ["FC-4096", "FC-4096", "FC-1000", "soft-max"]
    return "\n".join(lines)


__all__ = [
    "VGG_CONFIGS", "alexnet", "assignment_cnn", "bottleneck_block", "googlenet", "inception",
    "lenet5",
    "residual_block", "torchvision_alexnet", "vgg", "vgg_config_table", "zfnet",
]
