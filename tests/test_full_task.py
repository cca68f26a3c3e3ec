"""benchmarks/full_task.py and benchmarks/profile_step.py: argument errors are one line, and a
quick CPU run records each run's final accuracies (the GPU figures in benchmarks/README.md come
from these)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _mnist import needs_mnist

ROOT = Path(__file__).resolve().parents[1]


def script(name, *args, **kwargs):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args],
                          capture_output=True, text=True, cwd=ROOT, **kwargs)




@pytest.mark.parametrize(("args", "message"), [
    (["--device", "cpu", "--paths", "graphed"], "need a CUDA GPU"),
    (["--paths", "turbo"], "unknown path(s) ['turbo']"),
    (["--precisions", "fp8"], "unknown precision(s) ['fp8']"),
    (["--seeds", "zero"], "--seeds takes whole numbers"),
])
def test_full_task_refuses_bad_arguments_in_one_line(args, message):
    done = script("full_task.py", *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_profile_step_needs_a_gpu():
    done = script("profile_step.py", "--device", "cpu")
    assert done.returncode == 2 and "needs a CUDA GPU" in done.stderr


@needs_mnist
def test_quick_full_task_records_every_run(tmp_path):
    done = script("full_task.py", "--quick", "--paths", "plain", "--precisions", "fp32,bf16",
                  "--seeds", "0", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [(r["path"], r["precision"], r["seed"]) for r in runs] == [
        ("plain", "fp32", 0), ("plain", "bf16", 0)]
    for run in runs:
        assert set(run["accuracy"]) == {"adam", "adadelta", "sgd"}
        assert all(0.5 < a <= 1 for a in run["accuracy"].values())
        assert run["epochs"] == 1 and run["train_size"] == 2000
    assert runs[0]["fast_path"] == "plain" and runs[1]["fast_path"] == "bf16"
    histories = sorted(p.name for p in (tmp_path / "plain-bf16-seed0").glob("history_*.json"))
    assert histories == ["history_adadelta.json", "history_adam.json", "history_sgd.json"]
