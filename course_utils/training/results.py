"""Training results on disk: one history format, the weights beside it, finished runs found again.

A run of one optimizer leaves two files in its results folder (``results/`` by default):
``history_<name>.json``, rewritten after every epoch so an interrupted run keeps what it
finished, and ``weights_<name>.pt``, a plain state_dict written once the last epoch is done.
``course_utils.training.engine`` writes them, notebook 06 reads them back, and
``course_utils.keras_task`` fills the same history format from Keras' callbacks.

History (a JSON object): who trained (``optimizer``, ``label``, ``settings``, ``model``,
``device``, ``batch_size``, ``seed``, data sizes), then per step ``step_loss`` and per epoch
``train_loss``, ``test_loss``, ``test_accuracy`` and ``epoch_time_s``; ``epochs_done``,
``wall_time_s``, ``images_per_s``; ``completed`` once the weights are saved.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import course_utils
from course_utils.training.files import write_atomic, write_json_atomic
from course_utils.training.messages import plain_text

__all__ = [
    "WeightsFileError", "default_results_dir", "has_runs", "history_path", "load_history",
    "load_state", "new_history", "record_epoch", "remove_leftovers", "save_history",
    "save_weights", "weights_path",
]


class WeightsFileError(ValueError):
    """A file given as trained weights is not loadable as such."""


def default_results_dir(quick: bool = False) -> Path:
    """``results/`` of the repository checkout (where ``make assignment`` writes), else of the
    working directory (Colab); quick runs go to ``results/quick`` and never overwrite a full
    run."""
    repo = Path(course_utils.__file__).resolve().parents[1]
    base = repo / "results" if (repo / "pyproject.toml").is_file() else Path("results")
    return base / "quick" if quick else base


def history_path(out_dir: str | os.PathLike, name: str) -> Path:
    return Path(out_dir) / f"history_{name}.json"


def weights_path(out_dir: str | os.PathLike, name: str) -> Path:
    return Path(out_dir) / f"weights_{name}.pt"


def has_runs(out_dir: str | os.PathLike, names) -> bool:
    """True when ``out_dir`` holds the history and the weights of every optimizer in ``names``."""
    return all(weights_path(out_dir, n).is_file() and history_path(out_dir, n).is_file()
               for n in names)


def new_history(name: str, label: str, settings: dict, *, batch_size: int, seed: int,
                epochs: int, train_size: int, test_size: int, steps_per_epoch: int,
                **about) -> dict:
    """An empty history of optimizer ``name``; ``about`` adds what the trainer knows (model,
    device, source, ...)."""
    return {"optimizer": name, "label": label, "settings": settings, **about,
            "batch_size": batch_size, "seed": seed, "epochs_planned": epochs,
            "train_size": train_size, "test_size": test_size,
            "steps_per_epoch": steps_per_epoch, "epochs_done": 0, "step_loss": [],
            "train_loss": [], "test_loss": [], "test_accuracy": [], "epoch_time_s": [],
            "wall_time_s": 0.0, "images_per_s": None, "completed": False}


def record_epoch(history: dict, *, step_losses: list[float], train_loss: float,
                 test_loss: float, test_accuracy: float, seconds: float, **more) -> None:
    """Append one finished epoch to ``history`` and update its totals; ``more`` appends further
    per-epoch values (Keras' ``train_accuracy``) to lists of their own."""
    history["step_loss"] += step_losses
    history["train_loss"].append(train_loss)
    history["test_loss"].append(test_loss)
    history["test_accuracy"].append(test_accuracy)
    history["epoch_time_s"].append(seconds)
    for key, value in more.items():
        history.setdefault(key, []).append(value)
    history["epochs_done"] = len(history["train_loss"])
    history["wall_time_s"] = sum(history["epoch_time_s"])
    history["images_per_s"] = (history["epochs_done"] * history["train_size"]
                               / max(history["wall_time_s"], 1e-9))


def save_history(history: dict, out_dir: str | os.PathLike) -> Path:
    """Write ``history_<optimizer>.json`` in one step (a crash never leaves half a file)."""
    path = history_path(out_dir, history["optimizer"])
    write_json_atomic(path, history)
    return path


def load_history(path: str | os.PathLike) -> dict:
    """A history as :func:`save_history` wrote it, complete or cut short by an interruption."""
    return json.loads(Path(path).read_text())


def save_weights(model, path: str | os.PathLike) -> None:
    """The trained weights as a plain state_dict (loadable with ``weights_only=True``)."""
    import torch

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    write_atomic(path, lambda out: torch.save(state, out))


def load_state(module, path: str | os.PathLike, *, device="cpu", by_position: bool = False,
               what: str = "the model"):
    """``module`` with the weights saved in ``path``; returns ``(module, note)``.

    ``weights_only`` runs no pickled code. With ``by_position``, tensors whose names differ
    (notebook 05's ``MyTaskNet`` names its layers as the student likes) are matched by order
    when every shape agrees, and ``note`` says so. Anything else that is not such weights
    (empty, truncated, another model's) is one :class:`WeightsFileError` line.
    """
    import torch

    try:
        state = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(state, dict):
            raise TypeError(f"it holds a {type(state).__name__}, not a state_dict")
        ours = module.state_dict()
        note = ""
        if by_position and list(state) != list(ours):
            shapes = [tuple(v.shape) for v in state.values()]
            if shapes != [tuple(v.shape) for v in ours.values()]:
                raise ValueError(f"its tensors {shapes} are not {what}'s")
            state, note = dict(zip(ours, state.values(), strict=True)), \
                "tensors matched by position"
        module.load_state_dict(state)
    except FileNotFoundError:
        raise
    except Exception as err:  # noqa: BLE001 - empty, truncated, garbage or another model's
        raise WeightsFileError(f"{path} is not a weights file of {what} saved by save_weights "
                               f"({type(err).__name__}: {plain_text(err, 160)})") from None
    return module.to(device), note


def remove_leftovers(out_dir: str | os.PathLike, older_than_s: float = 600) -> list[Path]:
    """Delete the temporary ``.part`` files a killed run left in ``out_dir`` (a live write of
    another run is younger than ``older_than_s`` and stays)."""
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    removed, now = [], time.time()
    for part in folder.glob(".*.part"):
        if part.name.startswith((".history_", ".weights_")) and \
                now - part.stat().st_mtime > older_than_s:
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed
