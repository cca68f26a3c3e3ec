"""``python -m course_utils.assignment``: argument errors are argparse-style, a quick run works."""

import subprocess
import sys

import pytest
import torch

from course_utils import assignment, engine, task


@pytest.mark.parametrize("argv, message", [
    (["--optimizers", "adam", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["--epochs", "0"], "--epochs: must be >= 1"),
    (["--epochs", "ten"], "expected a whole number"),
    (["--batch-size", "-4"], "--batch-size: must be >= 1"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        assignment.main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_unavailable_device_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as stop:
        assignment.main(["--device", "cuda", "--quick"])
    assert stop.value.code == 2
    assert "no CUDA GPU is available" in capsys.readouterr().err


def test_argument_error_from_the_shell_has_no_traceback():
    done = subprocess.run([sys.executable, "-m", "course_utils.assignment", "--epochs", "0"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "usage:" in done.stderr


def test_quick_run_writes_history_weights_and_plots_for_all_three(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setattr(task, "QUICK_TRAIN", 256)
    monkeypatch.setattr(task, "QUICK_TEST", 128)
    real_results_dir = engine.default_results_dir
    monkeypatch.setattr(engine, "default_results_dir",
                        lambda quick=False: tmp_path / real_results_dir(quick).relative_to(
                            real_results_dir().parent))
    code = assignment.main(["--quick", "--batch-size", "64", "--device", "cpu"])
    assert code == 0
    out = tmp_path / "results" / "quick"  # a smoke test never overwrites results/ itself
    assert not (tmp_path / "results" / "history_adam.json").exists()
    for name in ("adam", "adadelta", "sgd"):
        history = engine.load_history(out / f"history_{name}.json")
        assert history["completed"] and history["epochs_done"] == 1
        assert history["train_size"] == 256 and history["batch_size"] == 64
        assert history["model"] == "build_model" and history["parameters"] == 1_191_338
        assert (out / f"confusion_{name}.png").stat().st_size > 0
        assert (out / f"misclassified_{name}.png").stat().st_size > 0
        engine.load_weights(out / f"weights_{name}.pt")
    assert (out / "loss_curves.png").stat().st_size > 0
    assert (out / "accuracy.png").stat().st_size > 0
    results = (out / "results.txt").read_text()
    assert all(label in results for label in ("Adam (lr 1e-3)", "Adadelta (lr 1.0)",
                                              "SGD (lr 0.01)"))
    assert "device: cpu" in capsys.readouterr().out


def test_a_rerun_with_the_same_settings_reuses_the_finished_optimizers(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setattr(task, "QUICK_TRAIN", 128)
    monkeypatch.setattr(task, "QUICK_TEST", 64)
    argv = ["--quick", "--batch-size", "64", "--device", "cpu", "--out", str(tmp_path),
            "--optimizers", "adam", "sgd"]
    assert assignment.main(argv) == 0
    first = {p.name: p.read_bytes() for p in tmp_path.glob("history_*.json")}
    capsys.readouterr()
    assert assignment.main(argv) == 0
    said = capsys.readouterr().out
    assert "Adam (lr 1e-3): reusing the finished run" in said
    assert "SGD (lr 0.01): reusing the finished run" in said
    assert {p.name: p.read_bytes() for p in tmp_path.glob("history_*.json")} == first
    assert assignment.main([*argv[:-2], "sgd", "--seed", "1"]) == 0  # other settings: retrain
    assert "reusing" not in capsys.readouterr().out
    assert (tmp_path / "history_sgd.json").read_bytes() != first["history_sgd.json"]
