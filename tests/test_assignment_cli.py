"""``python -m course_utils.assignment``: argument errors are argparse-style, a quick run works."""

import subprocess
import sys

import pytest
import torch

from course_utils import assignment
from course_utils.training import engine, mnist, results, task


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
    real_results_dir = results.default_results_dir
    monkeypatch.setattr(results, "default_results_dir",
                        lambda quick=False: tmp_path / real_results_dir(quick).relative_to(
                            real_results_dir().parent))
    code = assignment.main(["--quick", "--batch-size", "64", "--device", "cpu"])
    assert code == 0
    out = tmp_path / "results" / "quick"  # a smoke test never overwrites results/ itself
    assert not (tmp_path / "results" / "history_adam.json").exists()
    for name in ("adam", "adadelta", "sgd"):
        history = results.load_history(out / f"history_{name}.json")
        assert history["completed"] and history["epochs_done"] == 1
        assert history["train_size"] == 256 and history["batch_size"] == 64
        assert history["model"] == "build_model" and history["parameters"] == 1_191_338
        assert (out / f"confusion_{name}.png").stat().st_size > 0
        assert (out / f"misclassified_{name}.png").stat().st_size > 0
        engine.load_weights(out / f"weights_{name}.pt")
    assert (out / "loss_curves.png").stat().st_size > 0
    assert (out / "accuracy.png").stat().st_size > 0
    summary = (out / "results.txt").read_text()
    assert all(label in summary for label in ("Adam (lr 1e-3)", "Adadelta (lr 1.0)",
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


# --- bad input: one line, before any data is loaded ---------------------------------------------


@pytest.fixture
def nothing_may_start(monkeypatch):

    def refuse(*args, **kwargs):
        raise AssertionError("data loading or training started")

    monkeypatch.setattr(mnist, "load_datasets", refuse)
    monkeypatch.setattr(engine, "train_all", refuse)


@pytest.mark.parametrize(("argv", "message"), [
    (["--out", "{file}"], "--out {file}: that is a file, not a folder; name a folder"),
    (["--out", "{file}/sub"], "--out {file}/sub: cannot write there (Not a directory)"),
    (["--out", ""], "--out '': give a folder name"),
    (["--out", "  "], "--out '': give a folder name"),
    (["--seed", "18446744073709551616"], "argument --seed: must be from 0 to 4,294,967,295"),
    (["--seed", "4294967296"], "argument --seed: must be from 0 to 4,294,967,295"),
    (["--seed", "-1"], "argument --seed: must be from 0 to 4,294,967,295"),
    (["--batch-size", "60001"], "60,001 is more than the 60,000 training images; use at most"),
    (["--quick", "--batch-size", "2001"], "2,001 is more than the 2,000 training images"),
    (["--batch-size", "60000"], "needs about"),
])
def test_bad_input_is_one_line_before_any_work(argv, message, tmp_path, capsys,
                                               nothing_may_start):
    file = tmp_path / "notes.txt"
    file.write_text("x")
    argv = [a.format(file=file) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stop:
        assignment.main(["--device", "cpu", *argv])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("python -m course_utils.assignment: error: ")
    assert message.format(file=file) in error


def test_a_missing_output_folder_is_created_up_front(tmp_path, monkeypatch, nothing_may_start):
    target = tmp_path / "a" / "b"
    assert assignment.output_folder(str(target)) == target and target.is_dir()


def test_the_memory_estimate_follows_the_model():
    per_image = engine.training_bytes_per_image()
    # at least the lecture's forward activations of one image (float32), counted by the table
    from course_utils.architectures.network import layer_table
    from course_utils.architectures.networks import assignment_cnn

    assert per_image >= 2 * layer_table(assignment_cnn()).bytes
    tiny = engine.training_bytes_per_image(lambda: torch.nn.Sequential(torch.nn.Flatten()))
    assert tiny == 3 * 28 * 28 * 4


def test_ctrl_c_before_training_says_nothing_was_written(monkeypatch, capsys):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(assignment, "build_parser", interrupted)
    assert assignment.main([]) == 130
    said = capsys.readouterr().err.strip().splitlines()
    assert said == ["interrupted: before training started; nothing was written"]


@pytest.mark.parametrize("epochs_before_ctrl_c", [0, 1])
def test_ctrl_c_during_training_says_what_was_kept(tmp_path, monkeypatch, capsys,
                                                   epochs_before_ctrl_c):
    monkeypatch.setattr(task, "QUICK_TRAIN", 128)
    monkeypatch.setattr(task, "QUICK_TEST", 64)
    real_train = engine.train

    def train_until_ctrl_c(*args, **kwargs):
        def stop(history):
            if history["epochs_done"] >= epochs_before_ctrl_c:
                raise KeyboardInterrupt
        if epochs_before_ctrl_c == 0:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs, on_epoch_end=stop)

    monkeypatch.setattr(engine, "train", train_until_ctrl_c)
    code = assignment.main(["--quick", "--epochs", "2", "--device", "cpu", "--batch-size", "64",
                            "--out", str(tmp_path), "--optimizers", "adam"])
    assert code == 130
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "interrupted" in line]  # not progress bars
    assert len(said) == 1 and "Traceback" not in err
    if epochs_before_ctrl_c == 0:
        assert said[0] == ("interrupted: before any epoch finished; nothing new was saved in "
                           f"{tmp_path}/")
    else:
        assert said[0].startswith(f"interrupted: kept adam 1/2 epochs in {tmp_path}/history_*.json")


def test_quick_with_epochs_says_which_wins(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(task, "QUICK_TRAIN", 128)
    monkeypatch.setattr(task, "QUICK_TEST", 64)
    assert assignment.main(["--quick", "--epochs", "2", "--device", "cpu", "--batch-size", "64",
                            "--out", str(tmp_path), "--optimizers", "sgd"]) == 0
    assert "--quick with --epochs 2: 2 epoch(s) on the quick subset" in capsys.readouterr().out
    assert results.load_history(tmp_path / "history_sgd.json")["epochs_done"] == 2
