"""benchmarks/train_speed.py: it runs, records its rows and explains its numbers; no timing is
asserted."""

import csv
import subprocess
import sys

import pytest
import torch
from _mnist import needs_mnist
from _scripts import ROOT, load_script

from course_utils.training import task

CPU = torch.device("cpu")
BENCH = ROOT / "benchmarks" / "train_speed.py"


@pytest.fixture(scope="module")
def bench():
    return load_script(BENCH)


def test_flop_count_matches_the_layer_list_by_hand(bench):
    sizes = task.feature_map_sizes()
    conv1 = sizes["conv1"] ** 2 * 64 * 3 * 3 * 1  # multiply-adds per image, forward
    conv2 = sizes["conv2"] ** 2 * 32 * 2 * 2 * 64
    dense1 = 32 * sizes["pool"] ** 2 * 256
    dense2 = 256 * 10
    forward = conv1 + conv2 + dense1 + dense2
    # backward: weight and input gradients, except conv1's input (the images need none)
    backward = conv1 + 2 * (conv2 + dense1 + dense2)
    assert bench.flops_per_image() == 2 * (forward + backward)
    assert round(bench.flops_per_image() / 1e6, 1) == 15.8  # the 15.8 MFLOP


def test_rough_cpu_peak_scales_with_threads(bench):
    name, one, bf16 = bench.cpu_name_and_peaks(1)
    assert name and one > 0 and bf16 in (one, 2 * one)
    assert bench.cpu_name_and_peaks(2)[1] == pytest.approx(2 * one)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--variants", "plain,warp"], "unknown engine variant"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
    (["--rounds", "0"], "--rounds must be >= 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_arguments_are_clear_errors(bench, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@needs_mnist
def test_quick_benchmark_runs_both_contenders_and_appends_rows(tmp_path):
    results = tmp_path / "results.csv"
    command = [sys.executable, str(BENCH), "--quick", "--steps", "2", "--rounds", "1",
               "--threads", "1", "--variants", "plain,channels_last", "--results", str(results)]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "reference (pytorch/examples)" in done.stdout and "ratio" in done.stdout
    rows = list(csv.DictReader(results.open()))
    assert [r["contender"] for r in rows] == 2 * ["reference (pytorch/examples)",
                                                  "engine plain", "engine channels_last"]
    for row in rows:
        assert row["torch"] == torch.__version__ and row["device"] == "cpu (1 thread)"
        assert float(row["images_per_s"]) > 0 and int(row["steps"]) == 2
    assert {float(r["ratio_vs_reference"]) for r in rows[::3]} == {1.0}
