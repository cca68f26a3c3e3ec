"""The lecture's figures, drawn with matplotlib (no torch here: notebooks 01-03 import fast).

Section 1 draws the slides' grids (convolution and pooling by hand, padding, sliding windows);
section 2 the architecture figures of notebook 04. The task's results are drawn by
``course_utils.display.training_plots``.
"""

from __future__ import annotations

import hashlib
import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from course_utils.byhand.geometry import output_geometry, padding_pair, reached, window_starts
from course_utils.byhand.ops import avg_pool2d, conv2d, max_pool2d, pad2d

# ---------------------------------------------------------------------------------------------
# 1. Slide figures: numeric grids, windows, padding, animation
# ---------------------------------------------------------------------------------------------

# Frames of a window sliding over a grid: convolution (kernel) or pooling (max/avg).
# Colours: the window orange, zero padding grey and hatched, output cells filled in blue.
WINDOW_COLOR = "#ff7f0e"
PAD_COLOR = "#d9d9d9"
OUT_COLOR = "#c6dbef"


def draw_grid(ax, values, *, window=None, padding: int = 0, title: str = "",
              shown=None, fmt: str = "{:g}", cell_color: str = "white") -> None:
    """A numeric grid as on the slides: `window` = (row, col, height, width) outlined,
    the outer `padding` rings drawn as zero padding, cells outside `shown` left blank."""
    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            is_pad = min(r, c, rows - 1 - r, cols - 1 - c) < padding
            visible = shown is None or shown[r, c]
            face = PAD_COLOR if is_pad else (cell_color if visible else "white")
            ax.add_patch(plt.Rectangle((c, r), 1, 1, facecolor=face, edgecolor="#888",
                                       hatch="//" if is_pad else None, lw=0.8))
            if visible:
                ax.text(c + 0.5, r + 0.5, fmt.format(values[r, c]), ha="center",
                        va="center", fontsize=9, color="#666" if is_pad else "black")
    if window is not None:
        r, c, h, w = window
        ax.add_patch(plt.Rectangle((c, r), w, h, fill=False, edgecolor=WINDOW_COLOR, lw=3))
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(rows + 0.1, -0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def _sliding_steps(x, kernel, pool: int | None, op: str, stride: int, padding):
    """The padded input, the output and, per output cell, (row, col, top, left, explanation)
    with (top, left) the window's corner in the padded input."""
    x = np.asarray(x, dtype=float)
    if kernel is not None:
        f = np.asarray(kernel).shape[0]
        before, after = padding_pair(padding, f)
        out = conv2d(x, kernel, stride=stride, padding=(before, after))
    else:
        f, before, after = pool, 0, 0
        out = (max_pool2d if op == "max" else avg_pool2d)(x, pool, stride)
    padded = pad2d(x, (before, after))
    tops = window_starts(x.shape[0], f, stride, (before, after))
    lefts = window_starts(x.shape[1], f, stride, (before, after))
    steps = []
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            window = padded[top:top + f, left:left + f]
            if kernel is not None:
                terms = " + ".join(f"{a:g}*{b:g}" for a, b in
                                   zip(window.ravel(), np.ravel(kernel), strict=True))
                text = f"{terms} = {out[i, j]:g}"
            else:
                text = f"{op}({', '.join(f'{v:g}' for v in window.ravel())}) = {out[i, j]:g}"
            steps.append((i, j, top, left, text))
    return padded, f, before, out, steps


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def sliding_figure(x, kernel=None, *, pool: int | None = None, op: str = "max",
                   stride: int = 1, padding=0, step: int = 0, fig=None):
    """One step of the slide's "slide over the image, computing dot products":
    input with the window highlighted, the kernel (or pool size), the output filling in.

    Lecture: the 5x5 image with the 3x3 kernel -> 51 at step 0; max pool 2x2/2 -> [[9,7],[8,6]].
    """
    padded, f, pad, out, steps = _sliding_steps(x, kernel, pool, op, stride, padding)
    i, j, top, left, text = steps[step]
    shown = np.zeros(out.shape, bool)
    shown.ravel()[:step + 1] = True
    panels = 3 if kernel is not None else 2
    if fig is None:
        fig = plt.figure(figsize=(2.6 * panels, 2.9))
    fig.clear()
    axes = fig.subplots(1, panels, gridspec_kw={"width_ratios": [padded.shape[1], f,
                                                                 out.shape[1]][-panels:]}
                        if kernel is not None else None)
    draw_grid(axes[0], padded, window=(top, left, f, f), padding=pad,
              title=f"input{f' (padding {pad})' if pad else ''}, stride {stride}")
    if kernel is not None:
        draw_grid(axes[1], kernel, title="kernel", cell_color="#fdd0a2")
    label = "feature map" if kernel is not None else f"{op} pool {f}x{f}"
    draw_grid(axes[-1], out, shown=shown, cell_color=OUT_COLOR, title=label,
              window=(i, j, 1, 1))
    fig.suptitle(_wrap(f"step {step + 1}/{len(steps)}: {text}"), fontsize=8, y=0.08,
                 va="bottom")
    fig.subplots_adjust(bottom=0.2, top=0.88, wspace=0.25)
    return fig


def filmstrip(x, kernel=None, *, pool: int | None = None, op: str = "max", stride: int = 1,
              padding=0, steps=None, dpi: int = 60, cell: float | None = None):
    """Static overview of the sliding window (a PNG that GitHub's notebook view shows too):
    the window and the output after each of `steps` (default: every step, at most 9).
    `cell` (inches per grid cell, drawn at 100 dpi) enlarges small grids to a readable size."""
    padded, f, pad, out, all_steps = _sliding_steps(x, kernel, pool, op, stride, padding)
    steps = list(range(min(9, len(all_steps)))) if steps is None else list(steps)
    if cell is None:
        figsize = (1.3 * len(steps), 2.6)
    else:
        dpi = 100
        figsize = ((cell * padded.shape[1] + 0.25) * len(steps),
                   cell * (padded.shape[0] + out.shape[0]) + 0.7)
    fig, axes = plt.subplots(2, len(steps), figsize=figsize, dpi=dpi,
                             gridspec_kw={"height_ratios": [padded.shape[0], out.shape[0]]})
    axes = np.asarray(axes).reshape(2, -1)
    for col, step in enumerate(steps):
        i, j, top, left, _ = all_steps[step]
        shown = np.zeros(out.shape, bool)
        shown.ravel()[:step + 1] = True
        draw_grid(axes[0, col], padded, window=(top, left, f, f), padding=pad,
                  title=f"step {step + 1}")
        draw_grid(axes[1, col], out, shown=shown, cell_color=OUT_COLOR, window=(i, j, 1, 1))
    fig.tight_layout()
    return fig


def sliding_animation(x, kernel=None, *, pool: int | None = None, op: str = "max",
                      stride: int = 1, padding=0, dpi: int = 55, interval: int = 900):
    """The window sliding step by step as a matplotlib animation; `.to_jshtml()` plays it in
    JupyterLab and Colab without a kernel (see `show_sliding`)."""
    *_, steps = _sliding_steps(x, kernel, pool, op, stride, padding)
    fig = plt.figure(figsize=(7.5 if kernel is not None else 5, 2.9), dpi=dpi)

    def frame(step):
        sliding_figure(x, kernel, pool=pool, op=op, stride=stride, padding=padding,
                       step=step, fig=fig)

    anim = animation.FuncAnimation(fig, frame, frames=len(steps), interval=interval)
    plt.close(fig)
    return anim


def animation_html(anim, default_mode: str = "once") -> str:
    """The animation as a self-contained HTML/JS player (`to_jshtml`), with the random element
    id matplotlib draws replaced by a hash of the frames: re-running a notebook leaves no diff."""
    player = anim.to_jshtml(default_mode=default_mode)
    random_ids = set(re.findall(r"anim([0-9a-f]{32})", player))
    stable_id = hashlib.sha1(re.sub(r"[0-9a-f]{32}", "", player).encode()).hexdigest()[:32]
    for random_id in random_ids:
        player = player.replace(random_id, stable_id)
    return player


def show_sliding(x, kernel=None, *, pool: int | None = None, op: str = "max", stride: int = 1,
                 padding=0, steps=None, cell: float | None = None) -> None:
    """Display the sliding window twice: a static filmstrip (GitHub's static view shows it) and
    a player with play/step buttons (JupyterLab, Colab: runs once the notebook is trusted).
    `steps` and `cell` go to `filmstrip` (which steps, how large)."""
    from IPython.display import HTML, display

    strip = filmstrip(x, kernel, pool=pool, op=op, stride=stride, padding=padding, steps=steps,
                      cell=cell)
    display(strip)
    plt.close(strip)
    player = animation_html(sliding_animation(x, kernel, pool=pool, op=op, stride=stride,
                                              padding=padding))
    display(HTML(player))


def window_positions(n: int, f: int, stride: int = 1, padding: int = 0, ax=None,
                     outline: str = "all"):
    """All window positions along a row of the padded N x N input, as on the
    "closer look at spatial dimensions" slides; pixels no window reaches are marked red.
    ``outline="ends"`` outlines only the first and last window and marks every window by a
    numbered dot at its centre (one dot per output pixel): overlapping windows stay readable.

    Lecture: 7x7 input, 3x3 filter: stride 1 -> 5, stride 2 -> 3, stride 3 -> doesn't fit.
    """
    geo = output_geometry(n, f, stride, padding)
    size = n + 2 * padding
    if ax is None:
        _, ax = plt.subplots(figsize=(0.32 * size + 0.6, 0.32 * size + 0.9))
    covered = reached(n, f, stride, padding)  # the same along rows and columns
    for r in range(size):
        for c in range(size):
            is_pad = min(r, c, size - 1 - r, size - 1 - c) < padding
            face = PAD_COLOR if is_pad else ("white" if covered[r] and covered[c] else "#f4a6a6")
            ax.add_patch(plt.Rectangle((c, r), 1, 1, facecolor=face, edgecolor="#999",
                                       hatch="//" if is_pad else None, lw=0.6))
    if outline not in ("all", "ends"):
        raise ValueError(f"outline must be 'all' or 'ends', got {outline!r}")
    starts = window_starts(n, f, stride, padding)
    for k, start in enumerate(starts):
        if outline == "ends":
            ax.plot(start + f / 2, f / 2, "o", color=plt.cm.tab10(k % 10), ms=11)
            ax.text(start + f / 2, f / 2, str(k + 1), ha="center", va="center", fontsize=7,
                    color="white")
            if 0 < k < len(starts) - 1:
                continue
        inset = 0.08 + 0.06 * (k % 3)
        ax.add_patch(plt.Rectangle((start + inset, inset), f - 2 * inset, f - 2 * inset,
                                   fill=False, edgecolor=plt.cm.tab10(k % 10), lw=2))
    verdict = f"{geo.size}x{geo.size} output" if geo.exact else "doesn't fit!"
    ax.set_title(f"N={n}, F={f}, S={stride}, P={padding}\n{geo.formula}\n{verdict}", fontsize=9)
    ax.set_xlim(-0.1, size + 0.1)
    ax.set_ylim(size + 0.1, -0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# ---------------------------------------------------------------------------------------------
# 2. Architecture figures (notebook 04): plain numbers in, no torch
# ---------------------------------------------------------------------------------------------

PARAMS_COLOR = "tab:purple"
MEMORY_COLOR = "tab:green"


def plot_params_vs_memory(networks: dict[str, list[tuple[str, int, int]]]):
    """Per layer, its share of the network's parameters against its share of the activation
    memory (values stored for one image): one panel per network, from ``(name, params, values)``
    rows. Where the parameters live and where the memory lives are different layers."""
    fig, axes = plt.subplots(len(networks), 1, figsize=(10, 3.3 * len(networks)), squeeze=False)
    for ax, (title, rows) in zip(axes[:, 0], networks.items(), strict=True):
        names = [r[0] for r in rows]
        params = np.array([r[1] for r in rows], dtype=float)
        values = np.array([r[2] for r in rows], dtype=float)
        x = np.arange(len(rows))
        ax.bar(x - 0.2, 100 * params / params.sum(), 0.4, color=PARAMS_COLOR,
               label=f"parameters (total {params.sum() / 1e6:.1f}M)")
        ax.bar(x + 0.2, 100 * values / values.sum(), 0.4, color=MEMORY_COLOR,
               label=f"activation memory (total {values.sum() / 1e6:.1f}M values / image)")
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
        ax.set(ylabel="% of the network", title=title)
        ax.legend(fontsize=8, loc="upper center")
    fig.tight_layout()
    return fig


def plot_branch_costs(branches: dict[str, tuple[int, int]], title: str = ""):
    """Multiply-adds per branch of a module, without and with 1x1 bottlenecks:
    ``{branch: (naive, reduced)}``, with both totals in the legend."""
    names = list(branches)
    naive = np.array([branches[n][0] for n in names], dtype=float) / 1e6
    reduced = np.array([branches[n][1] for n in names], dtype=float) / 1e6
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.bar(x - 0.2, naive, 0.4, color="tab:red", label=f"naive: {naive.sum():.0f}M in all")
    ax.bar(x + 0.2, reduced, 0.4, color="tab:blue", label=f"with 1x1: {reduced.sum():.0f}M in all")
    for xi, (a, b) in enumerate(zip(naive, reduced, strict=True)):
        ax.text(xi - 0.2, a, f"{a:.0f}M", ha="center", va="bottom", fontsize=8)
        ax.text(xi + 0.2, b, f"{b:.0f}M", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names)
    ax.set(ylabel="multiply-adds (millions)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def _block_column(ax, x: float, layers: list[str], title: str, skip: str | None):
    """One block drawn bottom-up: input, a box per layer, the '+' where the shortcut joins."""
    box = dict(boxstyle="round,pad=0.35", fc="#eef3fb", ec="tab:blue")
    ys = np.arange(len(layers)) + 1.0
    top = ys[-1] + 1 if layers else 1.0
    ax.annotate("", xy=(x, ys[0] - 0.3 if layers else top), xytext=(x, 0.2),
                arrowprops=dict(arrowstyle="->"))
    ax.text(x, 0.0, "x", ha="center", va="center", fontsize=11)
    for i, (y, label) in enumerate(zip(ys, layers, strict=True)):
        ax.text(x, y, label, ha="center", va="center", fontsize=9, bbox=box)
        if i + 1 < len(layers):
            ax.annotate("", xy=(x, y + 0.7), xytext=(x, y + 0.3), arrowprops=dict(arrowstyle="->"))
    ax.annotate("", xy=(x, top - 0.22), xytext=(x, ys[-1] + 0.3), arrowprops=dict(arrowstyle="->"))
    if skip is not None:
        ax.text(x, top, "+", ha="center", va="center", fontsize=13,
                bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec="black"))
        side = x + 1.15
        ax.plot([x, side, side], [0.25, 0.25, top], color="tab:orange", lw=2)
        ax.annotate("", xy=(x + 0.18, top), xytext=(side, top),
                    arrowprops=dict(arrowstyle="->", color="tab:orange", lw=2))
        ax.text(side + 0.08, (top + 0.25) / 2, skip, rotation=90, va="center", fontsize=9,
                color="tab:orange")
        ax.text(x, top + 0.7, "ReLU(F(x) + x)", ha="center", fontsize=10)
    else:
        ax.text(x, top + 0.1, "H(x)", ha="center", fontsize=10)
    ax.text(x + 0.3, top + 1.4, title, ha="center", fontsize=11, weight="bold")


def plot_blocks(blocks: dict[str, tuple[list[str], str | None]]):
    """Block diagrams side by side: ``{title: (layer labels bottom-up, shortcut label or None)}``.
    A block with a shortcut label gets the identity path around its layers into a '+'."""
    fig, ax = plt.subplots(figsize=(3.6 * len(blocks), 5))
    height = 0
    for i, (title, (layers, skip)) in enumerate(blocks.items()):
        _block_column(ax, 3.6 * i, layers, title, skip)
        height = max(height, len(layers) + 3)
    ax.set_xlim(-1.6, 3.6 * (len(blocks) - 1) + 2)
    ax.set_ylim(-0.5, height)
    ax.axis("off")
    fig.tight_layout()
    return fig


def plot_gradient_by_depth(depths, plain, residual):
    """Gradient norm at the first layer against depth, plain and residual stacks (log scale)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.semilogy(depths, plain, "o-", color="tab:red", label="plain: h = tanh(W h)")
    ax.semilogy(depths, residual, "o-", color="tab:blue", label="residual: h = h + tanh(W h)")
    ax.set(xlabel="depth (blocks)", ylabel="|gradient| at layer 1",
           title="how much gradient reaches the first layer")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


__all__ = [
    "MEMORY_COLOR", "OUT_COLOR", "PAD_COLOR", "PARAMS_COLOR", "WINDOW_COLOR", "animation_html",
    "draw_grid", "filmstrip", "plot_blocks", "plot_branch_costs", "plot_gradient_by_depth",
    "plot_params_vs_memory", "show_sliding", "sliding_animation", "sliding_figure",
    "window_positions",
]
