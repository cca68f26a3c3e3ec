"""The instructor's grading settings: one TOML file, every key optional.

    seed = 20261202            # hidden cases; else --seed, $COURSE_GRADE_SEED, or a secret
                               # drawn once and kept in OUT/.seed (mode 600)
    hidden_cases = 3           # per exercise, besides the public cases
    show_hidden_inputs = false # feedback on a failing hidden case: its inputs, or "a hidden case"
    exercises = ["my_conv2d"]  # default: every exercise found in at least one submission
    call_timeout = 2.0         # seconds per exercise call (--timeout is the whole notebook)

    [points]                   # default 1 per exercise
    my_conv2d = 2
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.grade.registry import EXERCISES

__all__ = ["ConfigError", "GradingConfig", "load_config", "resolve_seed"]

_KEYS = {"seed", "hidden_cases", "show_hidden_inputs", "exercises", "call_timeout", "points"}


class ConfigError(ValueError):
    """The config file is unreadable or names something unknown (one line)."""


@dataclass(frozen=True)
class GradingConfig:
    """The settings above, with their defaults."""

    seed: int | None = None
    hidden_cases: int = 3
    show_hidden_inputs: bool = False
    exercises: tuple[str, ...] = ()
    call_timeout: float = 2.0
    points: dict[str, float] = field(default_factory=dict)

    def points_of(self, name: str) -> float:
        return float(self.points.get(name, 1.0))


def load_config(path: Path | None) -> GradingConfig:
    """The config in ``path`` (TOML); the defaults when None."""
    if path is None:
        return GradingConfig()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"config {path}: {err}") from None
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"config {path}: unknown key(s) {', '.join(sorted(unknown))}")
    names = list(data.get("exercises", [])) + list(data.get("points", {}))
    wrong = [n for n in names if n not in EXERCISES]
    if wrong:
        raise ConfigError(f"config {path}: unknown exercise(s) {', '.join(sorted(set(wrong)))}; "
                          f"known: {', '.join(EXERCISES)}")
    try:
        return GradingConfig(
            seed=int(data["seed"]) if "seed" in data else None,
            hidden_cases=int(data.get("hidden_cases", 3)),
            show_hidden_inputs=bool(data.get("show_hidden_inputs", False)),
            exercises=tuple(data.get("exercises", ())),
            call_timeout=float(data.get("call_timeout", 2.0)),
            points={k: float(v) for k, v in data.get("points", {}).items()})
    except (TypeError, ValueError) as err:
        raise ConfigError(f"config {path}: {err}") from None


def resolve_seed(config: GradingConfig, cli_seed: int | None, out: Path) -> int:
    """--seed, else the config's, else $COURSE_GRADE_SEED, else the secret kept in OUT/.seed
    (drawn on the first run, so reruns draw the same hidden cases)."""
    if cli_seed is not None:
        return cli_seed
    if config.seed is not None:
        return config.seed
    if os.environ.get("COURSE_GRADE_SEED", "").strip():
        try:
            return int(os.environ["COURSE_GRADE_SEED"])
        except ValueError:
            raise ConfigError("COURSE_GRADE_SEED must be a whole number") from None
    kept = out / ".seed"
    if kept.is_file():
        return int(kept.read_text().strip())
    seed = secrets.randbits(63)
    out.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(str(seed))
    return seed
