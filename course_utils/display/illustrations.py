"""The lecture's pictures that a number does not replace, drawn from real computations: the
artificial neuron, one filter summing over a volume's channels (the "Illustration" slides), K
maps stacking into a volume, pooling's tolerance to a shifted digit, what stacked 3x3 windows
see (VGG) and the inception module (GoogLeNet). Matplotlib + NumPy."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from course_utils.byhand.geometry import receptive_fields
from course_utils.byhand.ops import conv2d

__all__ = [
    "inception_figure", "neuron_figure", "plot_shift_tolerance", "stack_figure",
    "stacked_windows_figure", "volume_figure",
]


def neuron_figure(inputs=(1.0, 0.5, -1.0), weights=(0.8, -0.4, 0.3), bias=0.1):
    """Slide 'Biological Neuron versus Artificial Neural Network' (notebook 01, section 1): inputs
    x_i, weights w_i on the connections, the sum plus a bias, a ReLU, the output
    y = f(sum_i w_i x_i + b), with the numbers of this example written in.

    inputs, weights: sequences of n floats; bias: float -> (figure, y)."""
    x, w = np.asarray(inputs, float), np.asarray(weights, float)
    total = float(x @ w + bias)
    y = max(total, 0.0)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    heights = np.linspace(2.4, 0.4, len(x))
    for xi, wi, h in zip(x, w, heights, strict=True):
        ax.add_patch(Circle((0.5, h), 0.25, color="#c6dbef"))
        ax.text(0.5, h, f"{xi:g}", ha="center", va="center")
        ax.add_patch(FancyArrowPatch((0.75, h), (2.75, 1.4), arrowstyle="-|>", mutation_scale=12))
        ax.text(0.95, h + (1.4 - h) * 0.12 + 0.1, f"w = {wi:g}", fontsize=9, color="tab:purple")
    ax.add_patch(Circle((3.1, 1.4), 0.35, color="#fdd0a2"))
    ax.text(3.1, 1.4, "Σ + b", ha="center", va="center")
    ax.add_patch(FancyArrowPatch((3.45, 1.4), (4.45, 1.4), arrowstyle="-|>", mutation_scale=12))
    ax.text(3.95, 1.55, f"{total:.2f}", ha="center", fontsize=9)
    ax.add_patch(Rectangle((4.45, 1.1), 0.9, 0.6, color="#c7e9c0"))
    ax.text(4.9, 1.4, "ReLU", ha="center", va="center")
    ax.add_patch(FancyArrowPatch((5.35, 1.4), (6.3, 1.4), arrowstyle="-|>", mutation_scale=12))
    ax.text(6.4, 1.4, f"y = {y:.2f}", va="center")
    ax.text(0.5, 2.9, "inputs $x_i$", ha="center")
    ax.set(xlim=(0, 7.3), ylim=(0, 3.2), aspect="equal",
           title=f"$y = f(\\sum_i w_i x_i + b)$, b = {bias:g}, f = ReLU")
    ax.axis("off")
    fig.tight_layout()
    return fig, y


def volume_figure(volume, one_filter, window: tuple[int, int] = (0, 0)):
    """The "Illustration" slides (notebook 01, section 5): a filter spans the volume's full
    depth; each channel is slid with its own slice of the filter, and the C partial maps add
    up to ONE activation map. The window at ``window`` (row, column) is outlined everywhere.

    volume: (C, H, W) array; one_filter: (C, F, F) array -> figure whose last panel is
    conv2d(volume, one_filter), an (H - F + 1, W - F + 1) map."""
    volume, one_filter = np.asarray(volume, float), np.asarray(one_filter, float)
    channels, f = len(volume), one_filter.shape[-1]
    partial = [conv2d(volume[c], one_filter[c]) for c in range(channels)]
    fig, axes = plt.subplots(channels, 4, figsize=(10, 2.4 * channels), squeeze=False)
    row, col = window
    titles = ("channel {c} of the input", "slice {c} of the filter", "channel {c} alone")
    for c in range(channels):
        panels = (volume[c], one_filter[c], partial[c])
        for k, (ax, data) in enumerate(zip(axes[c, :3], panels, strict=True)):
            ax.imshow(data, cmap="gray" if k == 0 else "RdBu_r")
            ax.set_title(titles[k].format(c=c), fontsize=9)
            ax.set_xticks([]), ax.set_yticks([])
        axes[c, 0].add_patch(Rectangle((col - 0.5, row - 0.5), f, f, fill=False,
                                       edgecolor="tab:orange", linewidth=2))
        axes[c, 2].add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False,
                                       edgecolor="tab:orange", linewidth=2))
        axes[c, 3].axis("off")
    total = conv2d(volume, one_filter)
    summed = axes[channels // 2, 3]
    summed.axis("on")
    summed.imshow(total, cmap="RdBu_r")
    summed.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="tab:orange",
                               linewidth=2))
    summed.set_title(f"= the sum of the {channels}: ONE map", fontsize=9)
    summed.set_xticks([]), summed.set_yticks([])
    fig.suptitle(f"a {f}x{f}x{channels} filter on a {volume.shape[1]}x{volume.shape[2]}x"
                 f"{channels} volume: {f * f * channels} products per position, summed", y=1.0)
    fig.tight_layout()
    return fig


def stack_figure(maps, gap: float = 0.18):
    """K activation maps stacking into the output volume (notebook 01, section 5): map k drawn
    behind map k - 1, shifted up and right, as the slides draw a volume.

    maps: (K, H, W) array -> figure."""
    maps = np.asarray(maps, float)
    k, h, w = maps.shape
    fig, ax = plt.subplots(figsize=(5, 4))
    for index in reversed(range(k)):
        dx, dy = index * gap * w, index * gap * h
        ax.imshow(maps[index], cmap="RdBu_r", extent=(dx, dx + w, dy, dy + h), zorder=k - index)
        ax.add_patch(Rectangle((dx, dy), w, h, fill=False, linewidth=1, zorder=k - index))
    ax.set(xlim=(-1, w * (1 + gap * (k - 1)) + 1), ylim=(-1, h * (1 + gap * (k - 1)) + 1),
           title=f"{k} filters -> {k} maps of {h}x{w}: a {h}x{w}x{k} volume")
    ax.axis("off")
    fig.tight_layout()
    return fig


def plot_shift_tolerance(shifts, similarity: dict[str, list[float]], examples=None):
    """Pooling's tolerance to small shifts, measured (notebook 02, section 1): the mean cosine
    similarity between digits and their shifted copies, raw and after pooling, per shift.

    shifts: sequence of n ints; similarity: name -> n floats; examples: optional list of
    (title, (H, W) array) shown to the left -> figure."""
    examples = examples or []
    fig, axes = plt.subplots(1, len(examples) + 1, figsize=(3 * len(examples) + 5, 3.2),
                             gridspec_kw={"width_ratios": [1] * len(examples) + [2]})
    axes = np.atleast_1d(axes)
    for ax, (title, image) in zip(axes, examples, strict=False):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    curve = axes[-1]
    for name, values in similarity.items():
        curve.plot(shifts, values, "o-", label=name)
    curve.set(xticks=list(shifts), xlabel="shift to the right (pixels)", ylim=(0, 1.05),
              ylabel="mean cosine similarity", title="how alike a digit and its shifted copy stay")
    curve.grid(True, alpha=0.3)
    curve.legend(fontsize=8)
    fig.tight_layout()
    return fig


def stacked_windows_figure(layers: int = 3, f: int = 3):
    """VGG's "only 3x3 CONV" (notebook 04): what one unit after ``layers`` stacked F x F convs
    (stride 1) sees of the input, layer by layer, with the sizes from
    ``geometry.receptive_fields`` (3, 5, 7 for three 3x3 layers: one 7x7 view).

    layers, f: ints -> (figure, list of receptive-field sizes)."""
    sizes = [field.size for field in receptive_fields([(f, 1, (0, 0))] * layers)]
    n = sizes[-1] + 2  # one pixel of margin around the outermost view
    fig, ax = plt.subplots(figsize=(4.6, 4.9))
    ax.imshow(np.zeros((n, n)), cmap="Greys", vmin=0, vmax=1)
    colors = plt.cm.viridis(np.linspace(0.15, 0.85, layers))
    for depth, (size, color) in enumerate(zip(sizes, colors, strict=True), 1):
        start = (n - size) / 2 - 0.5
        ax.add_patch(Rectangle((start, start), size, size, fill=False, lw=2.5, ec=color,
                               label=f"conv{depth}'s view: {size}x{size}"))
    ax.add_patch(Rectangle((n / 2 - 1, n / 2 - 1), 1, 1, color="tab:red",
                           label="the unit's centre"))
    ax.set(xticks=np.arange(-0.5, n), yticks=np.arange(-0.5, n), xticklabels=[], yticklabels=[],
           title=f"one unit after {layers} stacked {f}x{f} convs\nsees {sizes[-1]}x{sizes[-1]} "
                 "input pixels")
    ax.grid(True, color="lightgrey", lw=0.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=8)
    fig.tight_layout()
    return fig, sizes


def inception_figure(branches: dict[str, list[str]], input_label: str, output_label: str):
    """The inception module as the GoogLeNet paper draws it (Fig. 2b; notebook 04): branches
    side by side on the same input, their outputs concatenated along depth.

    branches: branch title -> its layers bottom-up; input_label, output_label: str -> figure."""
    box = dict(boxstyle="round,pad=0.35", fc="#eef3fb", ec="tab:blue")
    tall = max(len(layers) for layers in branches.values())
    fig, ax = plt.subplots(figsize=(2.6 * len(branches), 1.2 * tall + 2.6))
    xs = np.arange(len(branches)) * 2.6
    middle, top = xs.mean(), tall + 1.0
    ax.text(middle, 0, input_label, ha="center", va="center", fontsize=10, bbox=box)
    ax.text(middle, top + 0.8, output_label, ha="center", va="center", fontsize=10,
            bbox=dict(box, fc="#fdd0a2", ec="tab:orange"))
    bus_in, bus_out = 0.55, top + 0.2  # the input fans out, the outputs gather, on two lines
    ax.plot([middle, middle], [0.3, bus_in], color="black", lw=1)
    ax.plot([xs[0], xs[-1]], [bus_in, bus_in], color="black", lw=1)
    ax.plot([xs[0], xs[-1]], [bus_out, bus_out], color="black", lw=1)
    ax.annotate("", xy=(middle, top + 0.5), xytext=(middle, bus_out),
                arrowprops=dict(arrowstyle="->"))
    for x, (title, layers) in zip(xs, branches.items(), strict=True):
        ys = np.arange(1, len(layers) + 1) * (tall / len(layers))
        ax.annotate("", xy=(x, ys[0] - 0.3), xytext=(x, bus_in), arrowprops=dict(arrowstyle="->"))
        for i, (y, label) in enumerate(zip(ys, layers, strict=True)):
            ax.text(x, y, label, ha="center", va="center", fontsize=9, bbox=box)
            if i + 1 < len(layers):
                ax.annotate("", xy=(x, ys[i + 1] - 0.3), xytext=(x, y + 0.3),
                            arrowprops=dict(arrowstyle="->"))
        ax.plot([x, x], [ys[-1] + 0.3, bus_out], color="black", lw=1)
        ax.text(x + 0.08, (ys[-1] + bus_out) / 2 + 0.1, title, fontsize=8, color="grey")
    ax.set(xlim=(xs[0] - 1.4, xs[-1] + 1.4), ylim=(-0.6, top + 1.4))
    ax.axis("off")
    fig.tight_layout()
    return fig
