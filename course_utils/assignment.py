"""The lecture's programming task from the command line: ``python -m course_utils.assignment``.

Trains the task's CNN on MNIST with Adam, Adadelta and SGD (10 epochs each, identical initial
weights) and writes, per optimizer, ``history_<name>.json`` (after every epoch) and
``weights_<name>.pt``, plus ``loss_curves.png``, ``accuracy.png``, ``confusion_<name>.png``,
``misclassified_<name>.png`` and ``results.txt`` into ``--out`` (default ``results/``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# torch's CPU generator keeps 32 bits of a seed: larger seeds would act as their low bits
MAX_SEED = 2**32 - 1


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be from 0 to {MAX_SEED:,} (torch's generators keep 32 bits), got {value}")
    return value


def output_folder(text: str) -> Path:
    """The --out folder, created if missing and checked writable before any work starts."""
    if not text.strip():
        raise ValueError("--out '': give a folder name (an empty one would write into the "
                         "working directory)")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {text}: that is a file, not a folder; name a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"--out {text}: cannot write there ({err.strerror or err}); name a "
                         "folder you can write to") from None
    return folder


def build_parser() -> argparse.ArgumentParser:
    from course_utils.training.fast_path import NAMED
    from course_utils.training.optimizers import OPTIMIZERS, TASK_OPTIMIZERS
    from course_utils.training.task import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_SEED,
        QUICK_TEST,
        QUICK_TRAIN,
    )

    parser = argparse.ArgumentParser(
        prog="python -m course_utils.assignment",
        description="The lecture's programming task: its MNIST CNN trained with Adam, "
                    "Adadelta and SGD; loss curves, histories and weights in --out.")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help="epochs per optimizer (default: 10, as the task says; 1 with "
                             "--quick)")
    parser.add_argument("--optimizers", nargs="+", choices=list(OPTIMIZERS),
                        default=list(TASK_OPTIMIZERS), metavar="NAME",
                        help=f"any of {', '.join(OPTIMIZERS)} "
                             f"(default: {' '.join(TASK_OPTIMIZERS)})")
    parser.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE,
                        help=f"mini-batch size (default: {DEFAULT_BATCH_SIZE}, Keras' default)")
    parser.add_argument("--device", default="auto",
                        help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    parser.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                        help="initial weights, data order and dropout (default: 0)")
    parser.add_argument("--out", default=None, metavar="FOLDER",
                        help="output folder (default: the checkout's results/, with --quick "
                             "results/quick/ so a smoke test never overwrites a full run); a "
                             "rerun with the same settings reuses the optimizers it finished")
    parser.add_argument("--fast-path", choices=["auto", *NAMED], default="auto",
                        help="auto: the device's fast path (default); plain: notebook 05's "
                             "loop; graphed / compiled: the CUDA step as a hand-captured graph "
                             "or compiled by torch.compile (CUDA only)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: first {QUICK_TRAIN} training / {QUICK_TEST} test "
                             "images, 1 epoch")
    return parser


def write_plots(histories: dict[str, dict], test_images, test_labels, out: Path) -> list[Path]:
    """The figures of notebook 05, saved as PNG next to the histories."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils.display import training_plots

    written = []

    def save(fig, name):
        training_plots.save_figure(fig, out / name)
        plt.close(fig)
        written.append(out / name)

    save(training_plots.plot_loss_curves(histories), "loss_curves.png")
    save(training_plots.plot_accuracy(histories), "accuracy.png")
    for name, h in histories.items():
        save(training_plots.plot_confusion_matrix(h["confusion"],
                                                  f"{h['label']}: confusion matrix"),
             f"confusion_{name}.png")
        wrong = h["misclassified"]["index"]
        save(training_plots.plot_misclassified(test_images[wrong], test_labels[wrong],
                                      h["misclassified"]["predicted"],
                                      title=f"{h['label']}: misclassified"),
             f"misclassified_{name}.png")
    return written


def main(argv: list[str] | None = None) -> int:
    """The CLI; Ctrl-C at any moment ends it with one line saying what was kept."""
    progress: dict = {}
    try:
        return _run(argv, progress)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {_what_was_kept(progress)}", file=sys.stderr)
        return 130


def _what_was_kept(progress: dict) -> str:
    out, optimizers, epochs = (progress.get(k) for k in ("out", "optimizers", "epochs"))
    if out is None or "started" not in progress:
        return "before training started; nothing was written"
    from course_utils.training import results

    done = {}
    for name in optimizers:
        path = results.history_path(out, name)
        if path.is_file() and path.stat().st_mtime >= progress["started"]:
            done[name] = results.load_history(path)["epochs_done"]
    if not done:
        return f"before any epoch finished; nothing new was saved in {out}/"
    kept = ", ".join(f"{name} {n}/{epochs} epochs" for name, n in done.items())
    return f"kept {kept} in {out}/history_*.json (a rerun reuses only completed optimizers)"


def _check_batch_size(parser, batch_size: int, train_size: int, device, engine) -> None:
    """Refuse a batch larger than the training set or than the memory its activations need."""
    if batch_size > train_size:
        parser.error(f"argument --batch-size: {batch_size:,} is more than the {train_size:,} "
                     f"training images; use at most {train_size:,}")
    need = batch_size * engine.training_bytes_per_image()
    free = engine.free_memory_bytes(device)
    if free is not None and need > free:
        fits = max(1, int(batch_size * free / need))
        parser.error(f"argument --batch-size: {batch_size:,} needs about {need / 1e9:.1f} GB "
                     f"for activations, {free / 1e9:.1f} GB are free; use at most {fits:,}")


def _run(argv: list[str] | None, progress: dict) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from course_utils.display import training_plots
    from course_utils.training import devices, engine, fast_path, loop, mnist, results, task

    try:
        out = output_folder(args.out) if args.out is not None else \
            output_folder(str(results.default_results_dir(quick=args.quick)))
    except ValueError as err:
        parser.error(str(err))
    try:
        device = devices.choose_device(args.device)
    except devices.DeviceUnavailableError as err:
        parser.error(str(err))
    if args.fast_path in fast_path.CUDA_ONLY and device.type != "cuda":
        parser.error(f"--fast-path {args.fast_path} needs a CUDA GPU; this run is on {device}")
    sizes = (task.QUICK_TRAIN, task.QUICK_TEST) if args.quick else (None, None)
    _check_batch_size(parser, args.batch_size, sizes[0] or mnist.TRAIN_IMAGES, device, engine)
    epochs = args.epochs or (1 if args.quick else 10)
    if args.quick and args.epochs:
        print(f"--quick with --epochs {args.epochs}: {args.epochs} epoch(s) on the quick subset")
    fast = fast_path.NAMED.get(args.fast_path, True)  # True: the device's default
    print(f"device: {devices.describe_device(device)}")
    if hint := devices.colab_gpu_hint(device):
        print(hint)

    try:
        train_data, test_data = mnist.load_datasets(device, *sizes)
    except mnist.MNISTNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{len(train_data):,} training / {len(test_data):,} test images, {epochs} epoch(s), "
          f"batch size {args.batch_size}, seed {args.seed} -> {out}/")

    progress.update(out=out, optimizers=args.optimizers, epochs=epochs, started=time.time())
    started = time.perf_counter()
    try:
        histories = engine.train_all(args.optimizers, train_data, test_data, epochs=epochs,
                                     batch_size=args.batch_size, seed=args.seed,
                                     out_dir=out, fast=fast, reuse_finished=True)
    except loop.NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    total = time.perf_counter() - started

    table = training_plots.results_table(histories)
    (out / "results.txt").write_text(table + f"\n\ntotal wall time: {total:.0f} s\n")
    images = test_data.images.cpu().numpy()[:, 0]
    write_plots(histories, images, test_data.labels.cpu().numpy(), out)
    print(f"\n{table}\n\ntotal wall time {total:.0f} s; histories, weights and plots in "
          f"{out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "build_parser", "main", "output_folder", "write_plots",
]
