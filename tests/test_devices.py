"""course_utils.training.devices: CUDA, then MPS, then CPU; a missing device is one clear error."""


import pytest
import torch

from course_utils.training import devices

CPU = torch.device("cpu")


def test_device_choice_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    assert devices.choose_device() == CPU
    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    assert devices.choose_device(None).type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.choose_device("auto").type == "cuda"
    assert devices.choose_device("cpu") == CPU


def test_unavailable_or_unknown_devices_are_clear_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    for name in ("cuda", "cuda:1", "mps", "tpu", "banana"):
        with pytest.raises(devices.DeviceUnavailableError):
            devices.choose_device(name)
    assert "cpu (" in devices.describe_device(CPU)
    assert devices.colab_gpu_hint(CPU) is None  # not on Colab here
