"""Which device trains: CUDA, then Apple's MPS, then the CPU, and how to name it in results.

The programming task asks for "a GPU when there is one"; these helpers pick it, refuse a device
that is not there in one clear line, and tell a Colab student how to get a GPU.
"""

from __future__ import annotations

import sys

import torch


class DeviceUnavailableError(ValueError):
    """The requested device does not exist on this machine."""


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def choose_device(requested: str | None = None) -> torch.device:
    """CUDA, then Apple's MPS, then CPU; ``requested`` ('cpu', 'cuda', 'cuda:1', 'mps')
    overrides and must exist."""
    if requested in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise DeviceUnavailableError(
            f"unknown device {requested!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceUnavailableError("device 'cuda' requested but no CUDA GPU is available")
        if device.index is not None and device.index >= count:
            raise DeviceUnavailableError(f"device {requested!r} requested; only {count} GPU(s)")
    elif device.type == "mps" and not _mps_available():
        raise DeviceUnavailableError("device 'mps' requested but Apple's MPS is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceUnavailableError(f"unsupported device {requested!r}; use cpu, cuda or mps")
    return device


def describe_device(device: torch.device) -> str:
    """A one-line name for results tables: 'cuda (NVIDIA H100)', 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    return device.type


def colab_gpu_hint(device: torch.device) -> str | None:
    """On Colab without a GPU, how to get one (the full run takes minutes there instead of a
    quarter of an hour: benchmarks/README.md)."""
    if "google.colab" in sys.modules and device.type == "cpu":
        return ("Colab is running on CPU: Runtime > Change runtime type > T4 GPU, "
                "then Runtime > Run all.")
    return None


__all__ = ["DeviceUnavailableError", "choose_device", "colab_gpu_hint", "describe_device"]
