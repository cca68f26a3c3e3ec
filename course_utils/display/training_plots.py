"""The programming task's results, drawn with matplotlib: loss curves, accuracy, the results
table, the confusion matrix and misread digits (notebook 05, ``python -m course_utils.assignment``).

Inputs are the plain history dicts of ``course_utils.training.results`` (lists of floats), keyed
by optimizer name.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from course_utils.architectures.table import text_table


def smooth(values, window: int = 100) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start): a readable per-step curve."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def plot_loss_curves(histories: dict[str, dict], window: int = 100):
    """The task's "plot their corresponding loss curves": per step (raw, faint, and smoothed)
    and per epoch (train solid, test dashed), all optimizers on shared axes."""
    fig, (steps_ax, epochs_ax) = plt.subplots(1, 2, figsize=(12, 4.2))
    lowest_average = np.inf
    for (name, h), color in zip(histories.items(), plt.cm.tab10.colors, strict=False):
        step_loss = np.asarray(h["step_loss"], dtype=float)
        x = np.arange(1, len(step_loss) + 1) / h["steps_per_epoch"]
        label = h.get("label", name)
        average = smooth(step_loss, window)
        lowest_average = min(lowest_average, average.min(initial=np.inf))
        steps_ax.plot(x, step_loss, color=color, alpha=0.15, linewidth=0.5)
        steps_ax.plot(x, average, color=color, label=label)
        epochs = np.arange(1, len(h["train_loss"]) + 1)
        epochs_ax.plot(epochs, h["train_loss"], "o-", color=color, label=f"{label} train")
        epochs_ax.plot(epochs, h["test_loss"], "s--", color=color, label=f"{label} test")
    steps_ax.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log",
                 title=f"per step (faint) and {window}-step average")
    epochs_ax.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log",
                  title="per epoch: train (mean of its steps) vs test")
    if np.isfinite(lowest_average) and lowest_average > 0:
        # single batches reach ~1e-5 on a log axis; the averages are what the eye should follow
        steps_ax.set_ylim(bottom=lowest_average / 5)
    for ax in (steps_ax, epochs_ax):
        ax.grid(True, which="both", alpha=0.3)
    steps_ax.legend()
    epochs_ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def plot_degradation(histories: dict[str, dict], window: int = 50):
    """ResNet's Figure 1 for MNIST: training loss per step (smoothed) and test error per epoch,
    one line per network of ``training.degradation`` (notebook 04)."""
    fig, (train_ax, test_ax) = plt.subplots(1, 2, figsize=(12, 4.2))
    for h, color in zip(histories.values(), plt.cm.tab10.colors, strict=False):
        step_loss = np.asarray(h["step_loss"], dtype=float)
        x = np.arange(1, len(step_loss) + 1) / h["steps_per_epoch"]
        train_ax.plot(x, smooth(step_loss, window), color=color, label=h["label"])
        epochs = np.arange(1, len(h["test_accuracy"]) + 1)
        test_error = 100 * (1 - np.asarray(h["test_accuracy"], dtype=float))
        test_ax.plot(epochs, test_error, "o-", color=color, label=h["label"])
    train_ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log",
                 title=f"training loss, {window}-step average")
    test_ax.set(xlabel="epoch", ylabel="test error (%)", yscale="log",
                title="test error after each epoch")
    test_ax.yaxis.set_major_formatter(ticker.ScalarFormatter())  # 2, 10, 50 rather than 10^1
    test_ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    for ax in (train_ax, test_ax):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_twin_curves(curves: dict[str, list[float]], window: int = 20, gap: bool = True):
    """Two runs' per-step losses overlaid (smoothed); with ``gap``, how far apart they are step by
    step (notebook 08: NumPy by hand vs PyTorch from the same weights and batches)."""
    (first, a), (second, b) = curves.items()
    fig, axes = plt.subplots(1, 2 if gap else 1, figsize=(12 if gap else 6.5, 4), squeeze=False)
    loss_ax = axes[0, 0]
    steps = np.arange(1, len(a) + 1)
    loss_ax.plot(steps, smooth(a, window), linewidth=4, alpha=0.5, label=first)
    loss_ax.plot(np.arange(1, len(b) + 1), smooth(b, window), "k--", linewidth=1, label=second)
    loss_ax.set(xlabel="step", ylabel="loss", yscale="log",
                title=f"training loss ({window}-step average)")
    if gap:
        # a log axis has no 0: identical steps are drawn at 1e-17, below float64's resolution
        difference = np.maximum(np.abs(np.asarray(a) - np.asarray(b)), 1e-17)
        axes[0, 1].semilogy(steps, difference, ".", markersize=3)
        axes[0, 1].set(xlabel="step", ylabel="|difference| (identical: 1e-17)",
                       ylim=(1e-18, max(1e-12, difference.max() * 10)),
                       title="how far apart, step by step")
    for ax in axes.flat:
        ax.grid(True, which="both", alpha=0.3)
    loss_ax.legend()
    fig.tight_layout()
    return fig


def plot_accuracy(histories: dict[str, dict]):
    """Test accuracy after every epoch, one line per optimizer."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, h in histories.items():
        epochs = np.arange(1, len(h["test_accuracy"]) + 1)
        ax.plot(epochs, 100 * np.asarray(h["test_accuracy"]), "o-", label=h.get("label", name))
    ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="MNIST test accuracy")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def results_table(histories: dict[str, dict]) -> str:
    """Final test loss, test accuracy, wall time, images/s and device, one row per optimizer."""
    header = ("optimizer", "epochs", "test loss", "test acc.", "wall time", "images/s", "device")
    rows = [header]
    for name, h in histories.items():
        rows.append((h.get("label", name), str(h["epochs_done"]), f"{h['test_loss'][-1]:.4f}",
                     f"{100 * h['test_accuracy'][-1]:.2f} %", f"{h['wall_time_s']:.0f} s",
                     f"{h['images_per_s']:,.0f}", h["device"]))
    return text_table(rows, rules_after=(0,), rule="columns")


def plot_confusion_matrix(confusion, title: str = "confusion matrix"):
    """Counts of [true digit, predicted digit]; the diagonal (correct) is left uncoloured so the
    mistakes stand out."""
    counts = np.asarray(confusion)
    mistakes = counts * (1 - np.eye(len(counts), dtype=counts.dtype))
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    image = ax.imshow(mistakes, cmap="Reds")
    for (row, col), value in np.ndenumerate(counts):
        ax.text(col, row, str(value), ha="center", va="center", fontsize=7,
                color="black" if row != col else "tab:blue")
    ticks = np.arange(len(counts))
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted digit", ylabel="true digit", title=title)
    fig.colorbar(image, ax=ax, label="mistakes")
    fig.tight_layout()
    return fig


def plot_misclassified(images, labels, predicted, max_images: int = 24, columns: int = 8,
                       title: str = "misclassified test digits"):
    """A grid of wrongly classified digits, each titled 'true -> predicted'."""
    images, labels, predicted = np.asarray(images), np.asarray(labels), np.asarray(predicted)
    shown = min(max_images, len(images))
    rows = max(1, -(-shown // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows + 0.4),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < shown:
            ax.imshow(images[i].reshape(28, 28), cmap="gray_r")
            ax.set_title(f"{labels[i]} \u2192 {predicted[i]}", fontsize=9, color="tab:red")
    fig.suptitle(f"{title} ({shown} of {len(images)}; true \u2192 predicted)")
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> None:
    """Save ``fig`` as PNG (parent folders created); the notebook still shows it."""

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")


__all__ = [
    "plot_accuracy", "plot_confusion_matrix", "plot_degradation", "plot_loss_curves",
    "plot_misclassified", "plot_twin_curves", "results_table", "save_figure", "smooth",
]
