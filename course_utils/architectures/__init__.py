"""The lecture's networks as plain data (notebook 04): each layer type owns its row of the
slides' table and the PyTorch modules it becomes.

- ``layers``: Conv, Pool, FC, ... with the table's ``Row`` and ``Shape``.
- ``network``: ``Network``, the composite ``Concat`` (inception) and ``Residual`` blocks,
  ``layer_table`` and ``to_torch``.
- ``table``: the per-layer table rendered as text, HTML or Markdown.
- ``networks``: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, ResNet blocks and the task's CNN.
- ``torch_blocks``: the PyTorch modules of the composite blocks.
- ``gradient_by_depth``: the experiment behind ResNet's shortcuts.

The vocabulary a spec is written in is importable from here (``from course_utils import
architectures as arch``; ``arch.Conv(96, 11, stride=4)``). The arithmetic imports no torch;
torch is imported only when a spec becomes a module.
"""

from course_utils.architectures.layers import (
    FC,
    LRN,
    Activation,
    AdaptiveAvgPool,
    BatchNorm,
    Conv,
    Dropout,
    Flatten,
    Layer,
    Pool,
    Row,
    Shape,
)
from course_utils.architectures.network import (
    Concat,
    Network,
    Residual,
    layer_table,
    spatial_layers,
    to_torch,
)

__all__ = [
    "FC", "LRN", "Activation", "AdaptiveAvgPool", "BatchNorm", "Concat", "Conv", "Dropout",
    "Flatten", "Layer", "Network", "Pool", "Residual", "Row", "Shape", "layer_table",
    "spatial_layers", "to_torch",
]
