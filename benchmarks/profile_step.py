"""Where one GPU training step's time goes, and what three changes would buy.

For each of the task's optimizers: the kernels of one eager step (count and summed GPU time,
from torch.profiler), the wall time per step of the graphed path (engine call, and the graph's
replay alone), then three what-ifs measured the same way: fused Adam, cuDNN's autotuner
(``cudnn.benchmark``), and the three optimizers' graphs replayed on three CUDA streams at once
instead of one after another. Nothing here changes the engine; it tells what to change next.

    python benchmarks/profile_step.py --device cuda --batch-size 32
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import traceback

import torch

from course_utils.training import devices, fast_path, loop, optimizers, task

STEPS = 500


def batch(device: torch.device, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(size, 1, 28, 28, generator=generator).to(device),
            torch.randint(0, 10, (size,), generator=generator).to(device))


def model_and_optimizer(name: str, device: torch.device, **extra):
    torch.manual_seed(0)
    model = task.build_model().to(device)
    spec = optimizers.OPTIMIZERS[name]
    return model, spec.factory(model.parameters(), **spec.kwargs, **extra)


def wall_us(call, steps: int = STEPS) -> float:
    """Microseconds per call, the GPU drained before and after."""
    for _ in range(20):
        call()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        call()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps * 1e6


def eager_kernels(name: str, device, images, labels, steps: int = 50):
    """Kernels per eager step, their summed GPU microseconds, and the five costliest."""
    model, optimizer = model_and_optimizer(name, device)
    step = functools.partial(loop.train_step, model, optimizer, images, labels)
    for _ in range(10):
        step()
    torch.cuda.synchronize()
    activities = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=activities) as profile:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    # GPU-side ranges of profiler annotations (Optimizer.step#Adam.step) span kernels: not counted
    kernels = [e for e in profile.events()
               if e.device_type == torch.autograd.DeviceType.CUDA
               and not getattr(e, "is_user_annotation", False) and "#" not in e.name]
    by_name: dict[str, float] = {}
    for kernel in kernels:
        by_name[kernel.name] = by_name.get(kernel.name, 0.0) + kernel.time_range.elapsed_us()
    top = sorted(by_name.items(), key=lambda item: -item[1])[:5]
    total = sum(by_name.values())
    return len(kernels) / steps, total / steps, [(n[:60], t / steps) for n, t in top]


def graphed(name: str, device, images, labels, **extra):
    model, optimizer = model_and_optimizer(name, device, **extra)
    step = fast_path.make_train_step(model, optimizer, fast_path.CUDA_GRAPHED)
    step(images, labels)  # captures
    return step


def attempt(label: str, function):
    try:
        return function()
    except Exception:  # noqa: BLE001 - one failed what-if must not hide the others
        print(f"{label}: failed\n{traceback.format_exc(limit=3)}", flush=True)
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-size", type=int, default=task.DEFAULT_BATCH_SIZE)
    args = parser.parse_args(argv)
    try:
        device = devices.choose_device(args.device)
    except devices.DeviceUnavailableError as err:
        parser.error(str(err))
    if device.type != "cuda":
        parser.error("profiling the graphed step needs a CUDA GPU")
    images, labels = batch(device, args.batch_size)
    print(f"{devices.describe_device(device)}, torch {torch.__version__}, batch "
          f"{args.batch_size}, {STEPS} steps per timing")

    steps = {}
    for name in optimizers.TASK_OPTIMIZERS:
        found = attempt(f"{name} eager profile",
                        lambda n=name: eager_kernels(n, device, images, labels))
        if found:
            count, gpu_us, top = found
            print(f"{name}: eager step {count:.0f} kernels, {gpu_us:.0f} us of GPU time; "
                  "costliest: " + "; ".join(f"{n} {t:.1f} us" for n, t in top), flush=True)
        step = attempt(f"{name} graphed", lambda n=name: graphed(n, device, images, labels))
        if step is not None:
            steps[name] = step
            call_us = wall_us(lambda s=step: s(images, labels))
            replay_us = wall_us(step.graph.replay)
            print(f"{name}: graphed engine call {call_us:.0f} us/step, replay alone "
                  f"{replay_us:.0f} us/step", flush=True)

    if len(steps) == 3:
        graphs = [s.graph for s in steps.values()]
        streams = [torch.cuda.Stream(device) for _ in graphs]
        main_stream = torch.cuda.current_stream(device)

        def one_after_another():
            for graph in graphs:
                graph.replay()

        def side_by_side():
            for graph, stream in zip(graphs, streams, strict=True):
                stream.wait_stream(main_stream)
                with torch.cuda.stream(stream):
                    graph.replay()
            for stream in streams:
                main_stream.wait_stream(stream)

        serial = attempt("serial replay", lambda: wall_us(one_after_another))
        parallel = attempt("three streams", lambda: wall_us(side_by_side))
        if serial and parallel:
            print(f"all three optimizers, one step each: one after another {serial:.0f} us, "
                  f"on three streams {parallel:.0f} us ({serial / parallel:.2f}x)", flush=True)

    fused = attempt("fused adam", lambda: graphed("adam", device, images, labels, fused=True,
                                                  foreach=False))
    if fused is not None:
        print(f"adam fused (graphed): replay {wall_us(fused.graph.replay):.0f} us/step",
              flush=True)

    def autotuned():
        torch.backends.cudnn.benchmark = True
        try:
            step = graphed("sgd", device, images, labels)
            return wall_us(step.graph.replay)
        finally:
            torch.backends.cudnn.benchmark = False

    if (tuned := attempt("cudnn.benchmark", autotuned)) is not None:
        print(f"sgd with cudnn.benchmark (graphed): replay {tuned:.0f} us/step", flush=True)

    return 0


if __name__ == "__main__":
    sys.exit(main())
