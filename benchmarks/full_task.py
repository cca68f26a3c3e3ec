"""The whole programming task (3 optimizers x 10 epochs) per engine path, precision and seed.

Answers two questions with final accuracies rather than images/s: does a fast path end where
the plain loop ends (within 0.2 points), and may bf16 become a default (same question, bf16
vs FP32)? One process; every run starts from its seed's initial weights.

    python benchmarks/full_task.py --device cuda --paths graphed,plain --precisions fp32,bf16 \\
        --seeds 0,1,2 --out results/full_task
    python benchmarks/full_task.py --quick            # a CPU smoke test: 2,000 images, 1 epoch

Writes ``<out>/<path>-<precision>-seed<seed>/history_*.json`` and appends one JSON line per
run to ``<out>/runs.jsonl``; prints a table of final accuracies and seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from course_utils.training import devices, engine, fast_path, mnist, optimizers, task
from course_utils.training.mnist import MNISTNotFoundError

PATHS = ("auto", *fast_path.NAMED)


def path_of(name: str, precision: str, device) -> fast_path.FastPath:
    """The named path (``auto``: the device's default) in FP32 or bf16."""
    path = fast_path.NAMED[name] if name != "auto" else fast_path.fast_path_for(device)
    return replace(path, bf16=precision == "bf16")


def setup_seconds(history: dict) -> float:
    """The first epoch's extra time over the median of the others: compiling or capturing."""
    times = history["epoch_time_s"]
    return times[0] - statistics.median(times[1:]) if len(times) > 1 else float("nan")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--paths", default="auto", help=f"comma-separated: {', '.join(PATHS)}")
    parser.add_argument("--precisions", default="fp32", help="comma-separated: fp32, bf16")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true",
                        help=f"{task.QUICK_TRAIN} training / {task.QUICK_TEST} test images, "
                             "1 epoch, CPU")
    parser.add_argument("--out", type=Path, default=Path("results") / "full_task")
    args = parser.parse_args(argv)
    args.paths = [p for p in args.paths.split(",") if p]
    args.precisions = [p for p in args.precisions.split(",") if p]
    try:
        args.seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error(f"--seeds takes whole numbers separated by commas, got {args.seeds!r}")
    if unknown := [p for p in args.paths if p not in PATHS]:
        parser.error(f"unknown path(s) {unknown}; choose from {', '.join(PATHS)}")
    if unknown := [p for p in args.precisions if p not in ("fp32", "bf16")]:
        parser.error(f"unknown precision(s) {unknown}; choose fp32 or bf16")
    if args.epochs < 1 or not args.seeds:
        parser.error("need --epochs >= 1 and at least one seed")
    if args.device is None and args.quick:
        args.device = "cpu"
    try:
        args.device = devices.choose_device(args.device)
    except devices.DeviceUnavailableError as err:
        parser.error(str(err))
    needs_gpu = [p for p in args.paths if p in fast_path.CUDA_ONLY]
    if needs_gpu and args.device.type != "cuda":
        parser.error(f"path(s) {needs_gpu} need a CUDA GPU; this run is on {args.device}")
    if args.quick:
        args.epochs = 1
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        sizes = (task.QUICK_TRAIN, task.QUICK_TEST) if args.quick else (None, None)
        train_data, test_data = mnist.load_datasets(args.device, *sizes)
    except MNISTNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"device: {devices.describe_device(args.device)}; {len(train_data):,} training "
          f"images, {args.epochs} epoch(s), batch {task.DEFAULT_BATCH_SIZE}")
    rows = []
    for path in args.paths:
        for precision in args.precisions:
            for seed in args.seeds:
                fast = path_of(path, precision, args.device)
                out = args.out / f"{path}-{precision}-seed{seed}"
                started = time.perf_counter()
                histories = engine.train_all(optimizers.TASK_OPTIMIZERS, train_data,
                                               test_data, epochs=args.epochs, seed=seed,
                                               out_dir=out, progress=False, fast=fast)
                row = {"path": path, "fast_path": fast.describe(), "precision": precision,
                       "seed": seed, "epochs": args.epochs, "train_size": len(train_data),
                       "device": devices.describe_device(args.device),
                       "seconds": round(time.perf_counter() - started, 2),
                       "accuracy": {n: h["test_accuracy"][-1] for n, h in histories.items()},
                       "setup_s": {n: round(setup_seconds(h), 2) for n, h in histories.items()}}
                rows.append(row)
                args.out.mkdir(parents=True, exist_ok=True)
                with (args.out / "runs.jsonl").open("a") as log:
                    log.write(json.dumps(row) + "\n")
                accuracies = " ".join(f"{n} {100 * a:.2f}" for n, a in row["accuracy"].items())
                print(f"{path:<9} {precision:<5} seed {seed}: {accuracies}  "
                      f"({row['seconds']:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
