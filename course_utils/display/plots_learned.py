"""The figures of notebook 06 (what the network learned): filters, activation maps, receptive
fields, weight movement and saliency. Matplotlib only; every input is a NumPy array."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


def _kernel(ax, kernel, title: str = "", fontsize: int = 8) -> None:
    """One filter in red (positive) and blue (negative), symmetric around 0 like notebook 01."""
    limit = np.abs(kernel).max() or 1.0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=fontsize)
    ax.set_xticks([]), ax.set_yticks([])


def plot_filters_and_kernels(filters, kernels: dict, columns: int = 8, title: str = ""):
    """conv1's learned filters as a grid (left) beside the hand-made kernels (right)."""
    rows = -(-len(filters) // columns)
    fig = plt.figure(figsize=(11, 5.2), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.6, 1])
    grid = left.subplots(rows, columns)
    for index, ax in enumerate(grid.flat):
        if index < len(filters):
            _kernel(ax, filters[index], str(index), fontsize=7)
        else:
            ax.axis("off")
    left.suptitle(title or f"{len(filters)} learned 3x3 filters (conv1)")
    hand = right.subplots(-(-len(kernels) // 2), 2)
    for ax, (name, kernel) in zip(hand.flat, kernels.items(), strict=False):
        _kernel(ax, kernel, name)
    right.suptitle("hand-made kernels")
    return fig


def plot_matches(filters, kernels: dict, matches) -> plt.Figure:
    """Each hand kernel (top) above the learned filter most like it (bottom), with the
    similarity; ``matches`` as ``kernels.best_matches`` gives them."""
    fig, axes = plt.subplots(2, len(matches), figsize=(1.3 * len(matches), 3.2), squeeze=False)
    for column, (name, index, value) in enumerate(matches):
        _kernel(axes[0, column], kernels[name], name.replace(" (", "\n("), fontsize=7)
        _kernel(axes[1, column], filters[index], f"filter {index}\n{value:+.2f}", fontsize=8)
    fig.tight_layout()
    return fig


def plot_activation_maps(digit, maps: dict, count: int = 8):
    """The first ``count`` activation maps of each layer (one row per layer, one colour scale
    and colour bar per row) beside the digit they come from."""
    fig, axes = plt.subplots(len(maps), count + 1, figsize=(1.25 * (count + 1) + 0.8,
                                                            1.45 * len(maps)), squeeze=False)
    for row, (name, volume) in enumerate(maps.items()):
        axes[row, 0].imshow(digit, cmap="gray")
        axes[row, 0].set_title("digit" if row == 0 else "", fontsize=8)
        top = float(volume[:count].max()) or 1.0  # one scale per layer: maps compare
        for channel in range(count):
            image = axes[row, channel + 1].imshow(volume[channel], cmap="viridis", vmin=0,
                                                  vmax=top)
            axes[row, channel + 1].set_title(f"{name} #{channel}", fontsize=7)
        fig.colorbar(image, ax=axes[row, :].tolist(), fraction=0.02, pad=0.01)
        axes[row, 0].set_ylabel(f"{name}\n{volume.shape[1]}x{volume.shape[2]}x{len(volume)}",
                                fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    return fig


def plot_receptive_fields(digit, boxes: dict, colors=("tab:orange", "tab:green", "tab:red")):
    """The digit with the input pixels one unit of each layer sees; ``boxes`` maps a label to
    ((first row, last row), (first column, last column))."""
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.imshow(digit, cmap="gray")
    for (label, ((top, bottom), (left, right))), color in zip(boxes.items(), colors,
                                                                strict=False):
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
                               fill=False, edgecolor=color, linewidth=2, label=label))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set_xticks(range(0, digit.shape[1], 4)), ax.set_yticks(range(0, digit.shape[0], 4))
    return fig


def plot_weight_movement(movement: dict):
    """||W - W0|| / ||W0|| per layer (x) for each optimizer (bars), on a log scale."""
    labels = list(movement)
    layers = list(next(iter(movement.values())))
    width = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for i, label in enumerate(labels):
        ax.bar(np.arange(len(layers)) + i * width, [movement[label][k] for k in layers], width,
               label=label)
    ax.set_xticks(np.arange(len(layers)) + width * (len(labels) - 1) / 2, layers)
    ax.set_yscale("log")
    ax.set_ylabel("||W - W0|| / ||W0||")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_filter_grids(filters: dict, count: int = 16, columns: int = 8):
    """The first ``count`` conv1 filters of each network, one block of rows per network, all
    from the same initial filters (so filter i is comparable across blocks)."""
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows * len(filters), columns,
                             figsize=(1.0 * columns, 1.15 * rows * len(filters)), squeeze=False)
    for block, (label, weights) in enumerate(filters.items()):
        for index in range(rows * columns):
            ax = axes[block * rows + index // columns, index % columns]
            if index < count:
                _kernel(ax, weights[index], f"{index}", fontsize=7)
            else:
                ax.axis("off")
        axes[block * rows, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right")
    fig.tight_layout()
    return fig


def plot_misread(images, labels, probabilities: dict, saliency: dict):
    """Per misread digit (row): the digit, each network's probabilities for the ten digits,
    and each network's saliency map titled with its answer."""
    names = list(probabilities)
    fig, axes = plt.subplots(len(images), 2 + len(names),
                             figsize=(2.0 * (2 + len(names)) + 1.2, 2.0 * len(images)),
                             squeeze=False, gridspec_kw={"width_ratios": [1, 2] + [1] * len(names)})
    width = 0.8 / len(names)
    for row, (image, label) in enumerate(zip(images, labels, strict=True)):
        axes[row, 0].imshow(image, cmap="gray")
        axes[row, 0].set_title(f"true digit {label}", fontsize=8)
        bars = axes[row, 1]
        for i, name in enumerate(names):
            bars.bar(np.arange(10) + i * width, probabilities[name][row], width, label=name)
        bars.set_xticks(np.arange(10) + width * (len(names) - 1) / 2, range(10), fontsize=7)
        bars.set_ylim(0, 1)
        bars.tick_params(labelsize=7)
        for i, name in enumerate(names):
            p = probabilities[name][row]
            ax = axes[row, 2 + i]
            ax.imshow(saliency[name][row], cmap="hot")
            ax.set_title(f"{name.split(' ')[0]}: {p.argmax()} ({p.max():.2f})", fontsize=8)
    axes[0, 1].legend(fontsize=6, frameon=False, loc="upper left")
    axes[0, 1].set_title("probabilities", fontsize=8)
    for ax in np.delete(axes, 1, axis=1).flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig


__all__ = ["plot_activation_maps", "plot_filter_grids", "plot_filters_and_kernels",
           "plot_matches", "plot_misread", "plot_receptive_fields", "plot_weight_movement"]
