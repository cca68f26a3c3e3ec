"""The grader's parts one by one (course_utils.grade): the exercise registry and hidden cases,
the worker's loading and plain-data conversion, the result channel's strictness, the by-hand
rule, discovery, config, and a sandbox that claims only what it applied."""

from __future__ import annotations

import contextlib
import copy
import json
import re

import numpy as np
import pytest

from course_utils.checks.verdict import Case
from course_utils.grade import channel, sandbox, worker
from course_utils.grade.config import ConfigError, load_config
from course_utils.grade.judge import build_cases, grade_exercise
from course_utils.grade.registry import EXERCISES
from course_utils.grade.rules import forbidden_uses
from course_utils.grade.submissions import discover
from course_utils.grade.synthetic import (
    ATTACKS,
    NOTEBOOKS,
    REPOSITORY,
    notebook,
    with_function,
    write,
)

_CASES_IN_LINE = re.compile(r"✓ .*?: (\d+) cases match")


@pytest.mark.parametrize("name", list(EXERCISES))
def test_registry_takes_the_checks_own_cases(name):
    """The captured cases are exactly what the notebook's check runs: the reference replayed
    through the grader passes, with the check's own case count."""
    exercise = EXERCISES[name]
    outcomes = []
    for case in exercise.cases:
        try:
            outcomes.append({"value": exercise.reference(*copy.deepcopy(case.args),
                                                         **copy.deepcopy(case.kwargs))})
        except exercise.refusal as err:
            outcomes.append({"raised": type(err).__name__, "bases": ["ValueError"],
                             "message": str(err)})
    grade = grade_exercise(exercise, list(exercise.cases), outcomes, 1.0)
    assert grade.passed, grade.line
    assert int(_CASES_IN_LINE.match(grade.line).group(1)) == len(exercise.cases)


@pytest.mark.parametrize("name", list(EXERCISES))
def test_hidden_cases_are_seeded_and_valid(name):
    exercise = EXERCISES[name]
    first, again = build_cases(exercise, 8, 99), build_cases(exercise, 8, 99)
    other = build_cases(exercise, 8, 100)
    hidden = first[len(exercise.cases):]
    assert len(hidden) == 8 and all(c.label.startswith("hidden case") for c in hidden)
    assert repr(first) == repr(again) and repr(first) != repr(other)
    for case in hidden:  # the reference answers (or refuses, where the exercise expects it)
        with contextlib.suppress(exercise.refusal):
            exercise.answer(exercise.reference(*copy.deepcopy(case.args),
                                               **copy.deepcopy(case.kwargs)))
        channel.encode_cases(name, [case], {})  # and every input can cross the wall


def test_worker_runs_definitions_only(tmp_path):
    nb = notebook("01")
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "source": "%timeit 1\n!rm -rf /\nwhile True:\n    pass\n"})
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "source": "def broken(:\n"})
    path = write(tmp_path / "n.ipynb", nb)
    owner, report = worker.load([str(path)])
    assert {"my_conv2d", "my_true_convolution", "my_conv_volume"} <= set(owner)
    assert report["notebooks"][0]["skipped_cells"] >= 1
    assert "torch" not in owner["my_conv2d"]  # imported by the notebook, used by no function


def test_worker_converts_to_plain_data():
    class Anything:
        def __eq__(self, other):
            return True

    class Rigged(np.ndarray):
        def __eq__(self, other):
            return True

    plain = worker._Plain("t")
    assert plain.convert(Anything()) == {"__object__": "Anything"}
    rigged = plain.convert(np.zeros(3).view(Rigged))
    assert type(plain.arrays[rigged["__array__"]]) is np.ndarray
    assert plain.convert((1, [2.5, True])) == {"__tuple__": [1, [2.5, True]]}
    assert plain.convert("5") == {"__str__": "5"}


def _result(tmp_path, record: str, arrays=None, pickle=False):
    (tmp_path / "e.json").write_text(record)
    if arrays is not None:
        np.savez(tmp_path / "e.npz", **arrays)
        if pickle:
            with open(tmp_path / "e.npz", "wb") as file:
                np.save(file, np.array([object()], dtype=object), allow_pickle=True)
    return channel.read_outcomes(tmp_path, "e")


@pytest.mark.parametrize("record, arrays, pickle", [
    ("not json", None, False),
    ('{"outcomes": [{"value": {"__array__": "x"}}]}', {"x": np.zeros(2)}, True),
    ('{"outcomes": [{"value": {"__array__": "x"}}]}', {"x": np.zeros(2, dtype=complex)}, False),
    ('{"outcomes": [{"value": {"__array__": "missing"}}]}', None, False),
    ('{"outcomes": [{"value": {"__reduce__": "os.system"}}]}', None, False),
    ('{"outcomes": {"value": 1}}', None, False),
    ('{"outcomes": [{"raised": 5}]}', None, False),
])
def test_garbage_results_are_refused(tmp_path, record, arrays, pickle):
    with pytest.raises(channel.BadResult):
        _result(tmp_path, record, arrays, pickle)


def test_plain_results_are_rebuilt(tmp_path):
    outcomes = _result(tmp_path, '{"outcomes": [{"value": {"__tuple__": [{"__array__": "x"}, '
                                 '1.5]}}, {"timeout": 2}]}', {"x": np.ones(2)})
    value = outcomes[0]["value"]
    assert isinstance(value, tuple) and value[1] == 1.5 and value[0].tolist() == [1.0, 1.0]


def test_hidden_failures_hide_their_inputs():
    exercise = EXERCISES["my_same_padding"]
    cases = list(exercise.cases) + [Case("hidden case 1", (9,))]
    outcomes = [{"value": (c.args[0] - 1) // 2} for c in exercise.cases] + [{"value": 8}]
    line = grade_exercise(exercise, cases, outcomes, 1.0).line
    assert "a hidden case 1" in line and "(9" not in line and "expected" not in line
    shown = grade_exercise(exercise, cases, outcomes, 1.0, show_hidden_inputs=True).line
    assert "inputs 9" in shown


def test_by_hand_rule_follows_helpers_and_aliases():
    helper = ("from course_utils.byhand.ops import conv2d as c\n"
              "def helper(x, w):\n    return c(x, w)\n"
              "def my_conv2d(image, kernel, stride=1, padding=0):\n"
              "    return helper(image, kernel)\n")
    nb = with_function(notebook("01"), "my_conv2d", helper)
    uses = forbidden_uses(nb, "my_conv2d", EXERCISES["my_conv2d"].forbidden)
    assert uses == ["course_utils.byhand.ops.conv2d (line 3)"]
    sneaky = with_function(notebook("01"), "my_conv2d",
                           "def my_conv2d(image, kernel, stride=1, padding=0):\n"
                           "    return __import__('tor' + 'ch')\n")
    assert forbidden_uses(sneaky, "my_conv2d", EXERCISES["my_conv2d"].forbidden)
    nb = with_function(notebook("01"), "my_conv2d", ATTACKS["reference_call"])
    assert forbidden_uses(nb, "my_conv2d", EXERCISES["my_conv2d"].forbidden)


def test_worker_skips_imports_used_in_annotations_only():
    """Notebook 04's ``def numel(model: torch.nn.Module)`` does not make torch load (seconds
    per student); its exercises still run and give the slide's numbers."""
    owner, report = worker.load([str(REPOSITORY / "notebooks" / f"{NOTEBOOKS['04']}.ipynb")])
    namespace = owner["my_conv_layer"]
    assert "torch" not in namespace and report["errors"] == []
    assert namespace["my_conv_layer"](227, 3, 96, 11, 4, 0) == ((55, 55, 96), 34944)
    assert namespace["my_branch_macs"](28, 192, 5, 32) == 120_422_400


def test_hidden_cases_pass_keywords_like_the_public_ones():
    cases = build_cases(EXERCISES["my_branch_macs"], 12, 5)[-12:]
    assert {tuple(c.kwargs) for c in cases} == {(), ("reduce",)}
    encoded = channel.encode_cases("my_branch_macs", cases, {})
    assert all(e["kwargs"] == c.kwargs for e, c in zip(encoded, cases, strict=True))


@pytest.mark.parametrize("name, source, use", [
    ("my_conv_layer", "from course_utils.byhand.geometry import conv_output_size as size\n"
                      "def my_conv_layer(n, d_in, k, f, stride=1, padding=0):\n"
                      "    side = size(n, f, stride, padding)\n"
                      "    return (side, side, k), (f * f * d_in + 1) * k\n",
     "course_utils.byhand.geometry.conv_output_size"),
    ("my_vgg_line", "from course_utils.architectures import network as net\n"
                    "def my_vgg_line(side, d_in, k):\n    return net.layer_table(side)\n",
     "course_utils.architectures.network.layer_table"),
    ("my_branch_macs", "import torch\ndef my_branch_macs(side, d_in, f, k, reduce=None):\n"
                       "    return int(torch.tensor(side) ** 2)\n", "torch.tensor"),
])
def test_by_hand_rule_covers_notebook_04(name, source, use):
    nb = with_function(notebook("04"), name, source)
    uses = forbidden_uses(nb, name, EXERCISES[name].forbidden, EXERCISES[name].allowed)
    assert uses and uses[0].startswith(use), uses


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_solutions_obey_the_by_hand_rule(number):
    nb = notebook(number)
    for name, exercise in EXERCISES.items():
        if exercise.notebook == number:
            assert forbidden_uses(nb, name, exercise.forbidden, exercise.allowed) == [], name


def test_discovery_notes_and_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    write(tmp_path / "a.ipynb", notebook("03"))
    write(tmp_path / "B" / "deep" / "x.ipynb", notebook("02"))
    write(tmp_path / "B" / ".ipynb_checkpoints" / "x-checkpoint.ipynb", notebook("01"))
    bad = tmp_path / "bad\udcffname.ipynb".encode("utf-8", "surrogateescape").decode(
        "utf-8", "surrogateescape")
    with contextlib.suppress(UnicodeEncodeError, OSError):
        write(bad, notebook("03"))
    found, notes = discover(tmp_path)
    assert [s.student for s in found] == ["B", "a"]
    assert found[0].defined == {"my_max_pool", "my_pool"} and len(found[0].notebooks) == 1
    assert any("notes.txt" in n for n in notes)


def test_config(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text("seed = 3\n[points]\nmy_conv2d = 2.5\n")
    config = load_config(path)
    assert config.seed == 3 and config.points_of("my_conv2d") == 2.5
    assert config.points_of("my_pool") == 1.0
    path.write_text("[points]\nmy_con2d = 1\n")
    with pytest.raises(ConfigError, match="unknown exercise"):
        load_config(path)
    path.write_text("sed = 1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(path)


def test_sandbox_claims_only_what_it_applies(tmp_path, monkeypatch):
    """On a machine with none of the extras: setsid and rlimits only, and a memory bomb is
    still stopped (RLIMIT_AS -> MemoryError -> status memory)."""
    from course_utils.grade import BatchOptions, grade_all

    bare = sandbox.Capabilities(root=False, uid_drop=False, netns=False, mountns=False,
                                cgroup_memory=None, cgroup_pids=None)
    monkeypatch.setattr(sandbox, "detect", lambda: bare)
    write(tmp_path / "s" / "bomb.ipynb",
          with_function(notebook("01"), "my_conv2d", ATTACKS["memory_bomb"]))
    grade_all(BatchOptions(tmp_path / "s", tmp_path / "o", workers=1, timeout_s=20,
                           memory_mb=200, seed=1))
    row = json.loads((tmp_path / "o" / "rows" / "bomb.json").read_text())
    assert row["isolation"] == "setsid+rlimit-as+rlimit-cpu+1thread+nogpu"
    assert row["status"] == "memory" and row["total"] == 2
