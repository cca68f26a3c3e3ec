"""Training speed, side by side: the pytorch/examples MNIST loop vs course_utils' engine.

One process, one machine, the same model (the lecture's task CNN), optimizer, initial weights
and batch size. Rounds alternate between the contenders (reference, then each engine variant),
so a machine that gets busier or quieter slows all of them alike; the ratio is the median of
the per-round ratios. Warm-up (and compile) time is reported apart and not in the images/s.

    python benchmarks/train_speed.py                 # CPU or GPU, whichever is there
    python benchmarks/train_speed.py --quick         # a short CPU run
    python benchmarks/train_speed.py --variants plain,channels_last,compile_optimizer,fast

Each variant's result is appended to benchmarks/results.csv (date, machine, torch version).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from course_utils.training import devices, engine, fast_path, loop, mnist, optimizers, task
from course_utils.training.mnist import MNIST_MEAN, MNIST_STD, MNISTNotFoundError, copy_raw

RESULTS = Path(__file__).with_name("results.csv")
LOG_INTERVAL = 10  # pytorch/examples' --log-interval: its only host sync (loss.item())
FIELDS = ["date", "host", "hardware", "device", "threads", "torch", "optimizer", "batch_size",
          "steps", "rounds", "contender", "images_per_s", "ratio_vs_reference", "gflop_per_s",
          "peak_gflop_per_s", "warmup_s", "load_avg", "quick"]


# --- the two contenders ----------------------------------------------------------------------


class ReferenceLoop:
    """pytorch/examples mnist/main.py's ``train()``: torchvision's MNIST with ToTensor and
    Normalize per sample, a shuffling DataLoader (on CUDA with the example's num_workers=1 and
    pin_memory), ``.item()`` only every LOG_INTERVAL steps."""

    name = "reference (pytorch/examples)"

    def __init__(self, raw_root: Path, device: torch.device, batch_size: int,
                 spec: optimizers.OptimizerSpec, start: dict):
        from torchvision import datasets, transforms

        transform = transforms.Compose([transforms.ToTensor(),
                                        transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
        dataset = datasets.MNIST(raw_root, train=True, download=False, transform=transform)
        kwargs = {"batch_size": batch_size, "shuffle": True}
        if device.type == "cuda":
            kwargs |= {"num_workers": 1, "pin_memory": True}
        self.loader = torch.utils.data.DataLoader(dataset, **kwargs)
        self.batches = iter(self.loader)
        self.device = device
        self.model = task.build_model().to(device)
        self.model.load_state_dict(start)
        self.optimizer = spec.make(self.model.parameters())

    def _next_batch(self):
        try:
            return next(self.batches)
        except StopIteration:  # a new epoch, as the example's outer loop would start
            self.batches = iter(self.loader)
            return next(self.batches)

    def run(self, steps: int) -> None:
        self.model.train()
        for batch_idx in range(steps):
            data, target = self._next_batch()
            data, target = data.to(self.device), target.to(self.device)
            self.optimizer.zero_grad()
            output = self.model(data)
            loss = F.cross_entropy(output, target)  # the example: log_softmax + nll_loss
            loss.backward()
            self.optimizer.step()
            if batch_idx % LOG_INTERVAL == 0:
                loss.item()


class EngineLoop:
    """course_utils' ``train_epoch`` with one :class:`~course_utils.training.fast_path.FastPath`,
    on the data set held on the device (each round: one epoch over ``steps`` batches of it)."""

    def __init__(self, name: str, fast: fast_path.FastPath, data: mnist.Dataset,
                 batch_size: int, spec: optimizers.OptimizerSpec, start: dict, seed: int):
        self.name = f"engine {name}"
        self.fast, self.data, self.batch_size = fast, data, batch_size
        self.model = task.build_model().to(data.images.device)
        self.model.load_state_dict(start)
        self.optimizer = spec.make(self.model.parameters())
        self.step_fn = fast_path.make_train_step(self.model, self.optimizer, fast)
        self.generator = torch.Generator().manual_seed(seed)

    def run(self, steps: int) -> None:
        subset = self.data.subset(steps * self.batch_size)
        loop.train_epoch(self.model, self.optimizer, subset, self.batch_size,
                             self.generator, step_fn=self.step_fn,
                             sync_every=self.fast.sync_every)


def engine_variants(device: torch.device) -> dict[str, fast_path.FastPath]:
    """The engine's fast path, whole and switch by switch (for the per-change measurements)."""
    fast = fast_path.fast_path_for(device)  # what a full run (10 epochs) gets
    return {
        "plain": fast_path.PLAIN,
        "channels_last": replace(fast_path.PLAIN, channels_last=True),
        "integer_dropout": replace(fast_path.PLAIN, integer_dropout=True),
        "compile_optimizer": replace(fast_path.PLAIN, compile_optimizer=True),
        "fast": fast,
        "fast+bf16": replace(fast, bf16=True),
        "fast-bernoulli": replace(fast, integer_dropout=False),
        "fast+compile_model": replace(fast, compile_model=True),
        "fast-nchw": replace(fast, channels_last=False),
        "fast-no-compile": replace(fast, compile_optimizer=False, compile_model=False,
                                   cuda_graphs=False),
        # the two CUDA paths by name, whichever is the default
        "compiled": fast_path.CUDA_COMPILED,
        "compiled+bf16": replace(fast_path.CUDA_COMPILED, bf16=True),
        "graphed": fast_path.CUDA_GRAPHED,
        "graphed+bf16": replace(fast_path.CUDA_GRAPHED, bf16=True),
    }


CUDA_ONLY = ("graphed", "graphed+bf16")  # a captured graph needs a GPU


# --- what the numbers mean -------------------------------------------------------------------


def flops_per_image(batch_size: int = 64) -> float:
    """Floating-point operations of one training step per image (forward + backward), counted
    by torch.utils.flop_counter on the task's model (convolutions and matrix products)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = task.build_model()
    images = torch.randn(batch_size, 1, 28, 28)
    labels = torch.zeros(batch_size, dtype=torch.long)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(images), labels).backward()
    return counter.get_total_flops() / batch_size


# Rough dense peaks in GFLOP/s (vendor data sheets): FP32 without tensor cores, BF16 with.
GPU_PEAKS = {"H200": (67_000, 989_000), "H100": (67_000, 989_000), "A100": (19_500, 312_000),
             "L4": (30_300, 121_000), "A10": (31_200, 125_000), "T4": (8_100, 65_000),
             "V100": (15_700, 125_000)}


def cpu_name_and_peaks(threads: int) -> tuple[str, float, float]:
    """The CPU's model name and rough FP32 and BF16 peaks: threads x clock x FLOP/cycle (2 FMA
    units x 8 lanes x 2 with AVX2/AVX-512, which Zen 4 runs as two 256-bit halves; twice that
    in BF16 where the CPU has avx512_bf16 or AMX dot products)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    fields = (line.split(":", 1) for line in info.splitlines() if ":" in line)
    lines = {key.strip(): value.strip() for key, value in fields}
    name = lines.get("model name") or platform.processor() or "cpu"
    mhz = float(lines.get("cpu MHz") or 2500)
    flags = lines.get("flags", "").split()
    per_cycle = 32 if ("avx2" in flags and "fma" in flags) or "avx512f" in flags else 16
    fp32 = threads * mhz / 1000 * per_cycle
    return name, fp32, 2 * fp32 if {"avx512_bf16", "amx_bf16"} & set(flags) else fp32


def hardware(device: torch.device) -> tuple[str, float, float]:
    """The chip's name and its rough FP32 and BF16 peaks in GFLOP/s."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        peaks = next((p for key, p in GPU_PEAKS.items() if key in name), None)
        if peaks is None:  # unknown GPU: SMs x 128 FP32 lanes x 2 x ~1.5 GHz
            sms = torch.cuda.get_device_properties(device).multi_processor_count
            peaks = (sms * 128 * 2 * 1.5, sms * 128 * 2 * 1.5 * 8)
        return name, *peaks
    return cpu_name_and_peaks(torch.get_num_threads())


# --- the run ---------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    known = engine_variants(torch.device("cpu"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short run (CPU unless --device): few steps, 2 rounds")
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:N, mps")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="the same for both (default 64, pytorch/examples')")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per contender per round (default 100; quick 10)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="instead of --steps: about this many seconds per reference round")
    parser.add_argument("--rounds", type=int, default=None, help="default 5; quick 2")
    parser.add_argument("--optimizer", default="adadelta", choices=sorted(optimizers.OPTIMIZERS),
                        help="default adadelta (lr 1.0), pytorch/examples' choice")
    parser.add_argument("--variants", default="plain,fast",
                        help="engine variants, comma-separated: " + ", ".join(known))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for both contenders (default: torch's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help=f"CSV the results are appended to (default {RESULTS.name})")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f"--batch-size must be >= 1, got {args.batch_size}")
    for option in ("steps", "rounds", "threads"):
        value = getattr(args, option)
        if value is not None and value < 1:
            parser.error(f"--{option} must be >= 1, got {value}")
    if args.seconds is not None and args.seconds <= 0:
        parser.error(f"--seconds must be > 0, got {args.seconds}")
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in known]
    if unknown or not args.variants:
        parser.error(f"unknown engine variant(s) {unknown}; choose from {', '.join(known)}")
    if args.device is None and args.quick:
        args.device = "cpu"
    try:
        args.device = devices.choose_device(args.device)
    except devices.DeviceUnavailableError as err:
        parser.error(str(err))
    cuda_only = [v for v in args.variants if v in CUDA_ONLY]
    if cuda_only and args.device.type != "cuda":
        parser.error(f"variant(s) {cuda_only} need a CUDA GPU; this run is on {args.device}")
    args.rounds = args.rounds or (2 if args.quick else 5)
    return args


def timed(contender, steps: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    contender.run(steps)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def append_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file() or path.stat().st_size == 0
    with path.open("a", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def measure(args, contenders, device, data_size: int):
    """Warm every contender up, then alternate timed rounds; Ctrl-C keeps the finished rounds.
    Returns (seconds per contender and round, warm-up seconds, steps per round) or None."""
    warm = max(3, LOG_INTERVAL)
    warmup_s = {}
    for contender in contenders:  # first calls: allocation, oneDNN primitives, compiling
        warmup_s[contender.name] = timed(contender, warm, device)
    steps = args.steps or (10 if args.quick else 100)
    if args.seconds:
        per_step = warmup_s[contenders[0].name] / warm
        steps = max(1, round(args.seconds / per_step))
    steps = min(steps, data_size // args.batch_size)
    print(f"{args.rounds} rounds x {steps} steps each, contenders alternating; warm-up "
          f"{warm} steps each, not timed")
    seconds = {c.name: [] for c in contenders}
    try:
        for round_number in range(1, args.rounds + 1):
            for contender in contenders:
                seconds[contender.name].append(timed(contender, steps, device))
            shown = ", ".join(f"{name.split(' (')[0]} {steps * args.batch_size / s[-1]:,.0f}"
                              for name, s in seconds.items())
            print(f"  round {round_number}: images/s {shown}", flush=True)
    except KeyboardInterrupt:
        done = min(len(s) for s in seconds.values())
        if done == 0:
            print("interrupted before the first round finished; nothing recorded")
            return None
        print(f"interrupted: reporting the {done} finished round(s)")
        seconds = {name: s[:done] for name, s in seconds.items()}
    return seconds, warmup_s, steps


def report(args, contenders, seconds, warmup_s, steps, *, device, spec, chip, peaks,
           per_image, load) -> list[dict]:
    """The table (images/s, median ratio to the reference, GFLOP/s against the rough peak)
    and its rows for the CSV."""
    peak_fp32, peak_bf16 = peaks
    reference = seconds[contenders[0].name]
    images = steps * args.batch_size
    rows = []
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"\n{'contender':<34} {'images/s':>9} {'ratio':>6} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'warm-up s':>9}")
    for contender in contenders:
        times = seconds[contender.name]
        bf16 = isinstance(contender, EngineLoop) and contender.fast.bf16
        peak = peak_bf16 if bf16 else peak_fp32
        rate = images / statistics.median(times)
        ratio = statistics.median(r / t for r, t in zip(reference, times, strict=True))
        achieved = rate * per_image / 1e9
        print(f"{contender.name:<34} {rate:>9,.0f} {ratio:>5.2f}x {achieved:>8.1f} "
              f"{100 * achieved / peak:>6.1f}% {warmup_s[contender.name]:>9.1f}")
        rows.append({
            "date": stamp, "host": platform.node(), "hardware": chip,
            "device": devices.describe_device(device), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "optimizer": spec.name, "batch_size": args.batch_size,
            "steps": steps, "rounds": len(times), "contender": contender.name,
            "images_per_s": round(rate, 1), "ratio_vs_reference": round(ratio, 3),
            "gflop_per_s": round(achieved, 2), "peak_gflop_per_s": round(peak),
            "warmup_s": round(warmup_s[contender.name], 2), "load_avg": round(load, 2),
            "quick": args.quick,
        })
    print(f"rough peak {peak_fp32:,.0f} GFLOP/s FP32, {peak_bf16:,.0f} BF16 (bf16 variants); "
          "ratio = median of the per-round ratios to the reference")
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    device = args.device
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    spec = optimizers.OPTIMIZERS[args.optimizer]
    start = engine.initial_state(args.seed)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    variants = engine_variants(device)
    chip, peak_fp32, peak_bf16 = hardware(device)
    per_image = flops_per_image()

    with tempfile.TemporaryDirectory(prefix="mnist-bench-") as tmp:
        try:
            copy_raw(tmp)  # the verified raw files, where torchvision.datasets.MNIST reads them
            data, _ = mnist.load_datasets(device, test_size=0)
        except MNISTNotFoundError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        contenders = [ReferenceLoop(Path(tmp), device, args.batch_size, spec, start)]
        contenders += [EngineLoop(v, variants[v], data, args.batch_size, spec, start, args.seed)
                       for v in args.variants]
        print(f"device: {devices.describe_device(device)} - {chip}; torch {torch.__version__}; "
              f"load average {load:.1f} at start")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        if device.type == "cpu" and load + torch.get_num_threads() > cores + 0.5:
            print(f"note: the machine is busy ({load:.1f} runnable on {cores} cores): "
                  "multi-threaded kernels stall on descheduled threads; --threads 1 is steadier")
        print(f"model: {per_image / 1e6:.1f} MFLOP per image per training step (forward + "
              f"backward); {spec.label}; batch {args.batch_size}")
        measured = measure(args, contenders, device, len(data))
    if measured is None:
        return 130
    rows = report(args, contenders, *measured, device=device, spec=spec, chip=chip,
                  peaks=(peak_fp32, peak_bf16), per_image=per_image, load=load)
    append_rows(args.results, rows)
    print(f"appended {len(rows)} rows to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
