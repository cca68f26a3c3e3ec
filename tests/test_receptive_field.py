"""The receptive-field arithmetic (geometry.receptive_fields / receptive_box) against what a
gradient says: backpropagate one unit and see which input pixels receive anything."""

import itertools
from collections import OrderedDict

import pytest
import torch
from torch import nn

from course_utils.byhand.geometry import (
    GeometryError,
    ReceptiveField,
    receptive_box,
    receptive_fields,
)
from course_utils.checks import byhand as checks_byhand
from course_utils.training import task
from course_utils.training.inspect_network import influence


def probe_network(layers) -> nn.Sequential:
    """Convs with all-ones weights and average pools (a max pool's gradient reaches only the
    window's largest value; the window itself is what the receptive field is about)."""
    children = {}
    for i, (kind, f, s, (before, after)) in enumerate(layers):
        children[f"pad{i}"] = nn.ZeroPad2d((before, after, before, after))
        if kind == "conv":
            conv = nn.Conv2d(1, 1, f, stride=s, bias=False)
            nn.init.ones_(conv.weight)
            children[f"layer{i}"] = conv
        else:
            children[f"layer{i}"] = nn.AvgPool2d(f, s)
    return nn.Sequential(OrderedDict(children))


def gradient_boxes(layers, n: int) -> dict[tuple[int, int], tuple | None]:
    """For every unit (row, column) of the last layer: the bounding box of the input pixels
    with a nonzero gradient, ((top, bottom), (left, right)), None if there is none."""
    model = probe_network(layers)
    image = torch.ones(n, n, dtype=torch.float64)
    model = model.double()
    last = f"layer{len(layers) - 1}"
    out_size = model(image[None, None]).shape[-1]
    boxes = {}
    for row, column in itertools.product(range(out_size), repeat=2):
        grad = torch.from_numpy(influence(model, last, (0, row, column), image))
        rows, columns = grad.sum(1).nonzero().flatten(), grad.sum(0).nonzero().flatten()
        boxes[row, column] = None if len(rows) == 0 else (
            (rows.min().item(), rows.max().item()), (columns.min().item(), columns.max().item()))
    return boxes


def arithmetic_boxes(layers, n: int, out_size: int) -> dict:
    windows = [(f, s, pads) for _kind, f, s, pads in layers]
    boxes = {}
    for row, column in itertools.product(range(out_size), repeat=2):
        rows, columns = receptive_box(windows, n, row), receptive_box(windows, n, column)
        boxes[row, column] = None if rows is None or columns is None else (rows, columns)
    return boxes


TASK = [("conv", 3, 2, (0, 0)), ("conv", 2, 1, (0, 1)), ("pool", 2, 1, (0, 0))]
CASES = {
    "the task's conv1": (TASK[:1], 28),
    "the task's conv2 (padding 0 before, 1 after)": (TASK[:2], 28),
    "the task's pool": (TASK, 28),
    "padding 1 on both sides, stride 2": ([("conv", 3, 1, (1, 1)), ("conv", 3, 2, (1, 1))], 9),
    "a stride that does not fit (floored)": ([("conv", 3, 3, (0, 0)), ("pool", 2, 2, (0, 0))],
                                             14),
    "padding 2 around a 3x3 (units that see one pixel)": ([("conv", 3, 1, (2, 2))], 5),
    "padding 1 around a 1x1 (units that see only padding)": ([("conv", 1, 1, (1, 1))], 4),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_receptive_box_matches_a_gradient_probe(case):
    layers, n = CASES[case]
    probed = gradient_boxes(layers, n)
    out_size = max(row for row, _ in probed) + 1
    assert arithmetic_boxes(layers, n, out_size) == probed


def test_the_task_networks_layers_from_its_spec():
    windows = task.map_windows()
    assert list(windows) == ["conv1", "conv2", "pool"]
    assert [w for _k, *w in TASK] == [list(w) for w in windows.values()]
    fields = receptive_fields(windows.values())
    assert fields == [ReceptiveField(3, 2, 0), ReceptiveField(5, 2, 0), ReceptiveField(7, 2, 0)]
    # the last pool unit: conv2's padded row and the input's floored row 27 are never read
    assert receptive_box(list(windows.values()), 28, 11) == (22, 26)


def test_unclipped_box_is_start_plus_index_times_jump():
    layers = [(3, 1, 1), (3, 2, 1), (2, 2)]
    field = receptive_fields(layers)[-1]
    assert (field.size, field.jump, field.start) == (1 + 2 + 2 + 2, 4, -1 - 1)
    inner = 2  # far from every edge: nothing clipped
    first = field.start + inner * field.jump
    assert receptive_box(layers, 32, inner) == (first, first + field.size - 1)


def test_lecture_style_stacks():
    assert receptive_fields([(3, 1)] * 3)[-1].size == 7  # VGG: three 3x3 = one 7x7
    alexnet = receptive_fields([(11, 4), (3, 2), (5, 1, 2)])
    assert [(f.size, f.jump) for f in alexnet] == [(11, 4), (19, 8), (51, 8)]


def test_bad_layers_and_units_are_one_line_errors():
    with pytest.raises(GeometryError, match="a layer is"):
        receptive_fields([(3,)])
    with pytest.raises(GeometryError, match="the stride S"):
        receptive_fields([(3, 0)])
    with pytest.raises(GeometryError, match="does not exist"):
        receptive_box([(3, 2)], 28, 13)


def right_answer(layers):
    size, jump = 1, 1
    for _kind, f, s in layers:
        size, jump = size + (f - 1) * jump, jump * s
    return size, jump


# Plausible wrong answers to notebook 06's exercise; each must be rejected, naming its case.
def forgets_the_jump(layers):
    size, jump = 1, 1
    for _kind, f, s in layers:
        size += f - 1
        jump *= s
    return size, jump


def adds_f(layers):
    size, jump = 1, 1
    for _kind, f, s in layers:
        size += f * jump
        jump *= s
    return size, jump


def ignores_pooling_stride(layers):
    size, jump = 1, 1
    for kind, f, s in layers:
        size += (f - 1) * jump
        jump *= s if kind == "conv" else 1
    return size, jump


def skips_pooling(layers):
    return right_answer([layer for layer in layers if layer[0] == "conv"])


@pytest.mark.parametrize("wrong, case, hint", [
    (forgets_the_jump, "conv 3x3/2, then conv 3x3/1", "(F - 1) * jump"),
    (adds_f, "VGG's three 3x3/1 convs", "F - 1"),
    (ignores_pooling_stride, "max pool 2x2/2, then conv 3x3/1", "pooling window is a window"),
    (skips_pooling, "max pool 2x2/2, then conv 3x3/1", "pooling window is a window"),
])
def test_the_checker_rejects_usual_mistakes(wrong, case, hint):
    verdict = checks_byhand.verify_receptive_field(wrong)
    assert not verdict.passed
    assert case in verdict.line and hint in verdict.line


def test_the_checker_passes_a_right_answer_and_says_open():
    verdict = checks_byhand.verify_receptive_field(right_answer)
    assert verdict.passed and verdict.line.startswith("✓ receptive field: 6 cases match")

    def still_open(layers):
        raise NotImplementedError()

    assert "not implemented yet" in checks_byhand.verify_receptive_field(still_open).line
