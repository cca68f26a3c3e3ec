"""course_utils.architectures.network: each layer type's rows and modules, layer_table and
to_torch."""

import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from course_utils import architectures as arch
from course_utils.architectures import networks
from course_utils.architectures.table import Row
from course_utils.byhand.geometry import GeometryError


def numel(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_computing_a_table_runs_no_torch():
    """torch is imported inside to_torch only: building GoogLeNet's table never needs it
    (tests/test_layers.py checks the module-level imports statically)."""
    code = ("import sys; from course_utils import architectures as a; "
            "from course_utils.architectures import networks as n; "
            "t = a.layer_table(n.googlenet()); assert 'torch' not in sys.modules, 'torch'; "
            "print(t.params)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6998552"


def test_to_torch_ends_in_logits_unless_asked_for_the_softmax():
    task = networks.assignment_cnn()
    assert list(arch.to_torch(task)._modules)[-1] == "dense2"
    with_softmax = arch.to_torch(task, logits=False)
    assert list(with_softmax._modules)[-2:] == ["dense2", "softmax"]
    with torch.no_grad():
        probabilities = with_softmax.eval()(torch.rand(3, 1, 28, 28))
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(3))
    # a stand-alone final softmax goes too; one earlier in the network stays
    head = arch.Network("x", (4, 4, 1), (arch.Flatten(), arch.Activation("softmax"),
                                         arch.FC(3), arch.Activation("softmax")))
    assert [type(m).__name__ for m in arch.to_torch(head)] == ["Flatten", "Softmax", "Linear"]
    assert isinstance(arch.to_torch(head, logits=False)[-1], torch.nn.Softmax)


def test_torch_names_splice_a_layers_modules_and_must_name_each_one():
    network = arch.Network("x", (6, 6, 1), (
        arch.Conv(4, 2, padding="same", act="relu", torch_names=("pad", "conv", "relu")),
        arch.FC(3, name="OUT")))
    model = arch.to_torch(network)
    assert list(model._modules) == ["pad", "conv", "relu", "OUT"]
    assert tuple(model.pad.padding) == (0, 1, 0, 1) and model.conv.padding == (0, 0)
    assert isinstance(model.OUT, torch.nn.Sequential)  # the flatten, then the linear layer
    short = arch.Network("x", (6, 6, 1), (arch.Conv(4, 3, act="relu", torch_names=("conv",)),))
    with pytest.raises(ValueError, match="must name each of its 2 modules"):
        arch.to_torch(short)


def test_a_new_layer_type_is_one_class():
    @dataclass(frozen=True)
    class Square(arch.Layer):
        prefix = "SQ"

        def rows(self, shape, name, depth):
            return [Row(name, "x^2", shape, depth=depth)]

        def torch_parts(self, shape):
            return [torch.nn.Tanh()]  # any module: what matters is that to_torch uses it

    network = arch.Network("x", (5, 5, 2), (Square(), arch.Conv(3, 5), Square()))
    table = arch.layer_table(network)
    assert [r.name for r in table.top] == ["INPUT", "SQ1", "CONV1", "SQ2"]
    assert table.output_shape == (1, 1, 3)
    assert [type(m).__name__ for m in arch.to_torch(network)] == ["Tanh", "Conv2d", "Tanh"]


def test_each_layer_types_row():
    conv = arch.Conv(8, 3, stride=2, padding=(0, 1), act="relu", groups=2).rows(
        (9, 9, 4), "C", 0)[0]
    assert conv.shape == (4, 4, 8) and conv.weights == 3 * 3 * 2 * 8 and conv.biases == 8
    assert conv.what == "8 3x3 /2 pad 0/1, 2 groups, relu" and conv.macs == 16 * conv.weights
    assert conv.fit == "(9 - 3 + 0 + 1)/2 + 1 = 4.50 -> floored to 4" and not conv.exact
    pool = arch.Pool(3, stride=2, padding=1).rows((8, 8, 5), "P", 0)[0]
    assert pool.shape == (4, 4, 5) and not pool.exact and pool.what == "max 3x3 /2 pad 1"
    fc = arch.FC(7, bias=False).rows((2, 3, 4), "F", 0)[0]
    assert (fc.shape, fc.weights, fc.biases, fc.weights_formula) == ((7,), 168, 0, "2*3*4*7")
    assert arch.BatchNorm().rows((4, 4, 6), "B", 0)[0].params == 12
    assert arch.Flatten().rows((2, 3, 4), "FL", 0)[0].shape == (24,)
    assert arch.AdaptiveAvgPool((2, 2)).rows((9, 9, 3), "A", 0)[0].shape == (2, 2, 3)
    assert arch.Dropout(0.5).rows((7,), "D", 1)[0].depth == 1


def test_conv_rows_use_geometrys_padding_and_output_size():
    row = arch.Conv(2, 3, stride=3, padding=(0, 1)).rows((7, 7, 1), "C", 0)[0]
    assert row.fit == "(7 - 3 + 0 + 1)/3 + 1 = 2.67 -> floored to 2" and not row.exact
    same = arch.Conv(2, 4, padding="same").rows((7, 7, 1), "C", 0)[0]
    assert same.shape == (7, 7, 2) and same.what.startswith("2 4x4 /1 same")
    assert arch.Conv(2, 4, padding="same").pads() == (1, 2)


def test_residual_block_with_zero_weights_is_the_identity():
    network = arch.Network("block", (8, 8, 16), (networks.residual_block(16, name="RES"),))
    model = arch.to_torch(network)
    with torch.no_grad():
        for p in model.RES.body.parameters():
            p.zero_()
        x = torch.relu(torch.randn(2, 16, 8, 8))
        assert torch.equal(model(x), x)
        assert not torch.equal(model(x - 1), x - 1)  # only for inputs >= 0 (after a ReLU)


def test_clear_errors_instead_of_tracebacks_from_torch():
    with pytest.raises(GeometryError, match="projection shortcut"):
        arch.layer_table(arch.Network("x", (8, 8, 16), (arch.Residual((arch.Conv(32, 3, 1, 1),)),)))
    with pytest.raises(GeometryError, match="larger than"):
        arch.layer_table(arch.Network("x", (4, 4, 1), (arch.Conv(8, 5),)))
    with pytest.raises(GeometryError, match="stride 1 only"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, 2, "same"),)))
    with pytest.raises(GeometryError, match="flat vector"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Flatten(), arch.Pool(2))))
    with pytest.raises(GeometryError, match="before, after"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, padding=(1, 1, 1)),)))
    with pytest.raises(ValueError, match="unknown activation"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, act="sigmoid"),)))
    with pytest.raises(TypeError, match="not a layer"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Concat((("conv",),)),)))
    with pytest.raises(ValueError, match="unique"):
        arch.to_torch(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, name="A"),
                                                    arch.Conv(8, 3, name="A"))))
    with pytest.raises(ValueError, match="unique"):
        arch.to_torch(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, torch_names=("A",)),
                                                    arch.Conv(8, 3, name="A"))))


paddings = st.one_of(st.integers(0, 2), st.sampled_from(["valid", "same", "full"]),
                     st.tuples(st.integers(0, 2), st.integers(0, 2)))
convs = st.builds(arch.Conv, k=st.integers(1, 6), f=st.integers(1, 4), stride=st.integers(1, 3),
                  padding=paddings, act=st.sampled_from([None, "relu", "tanh"]))
pools = st.builds(arch.Pool, f=st.integers(1, 3), stride=st.none() | st.integers(1, 3),
                  padding=st.integers(0, 1), kind=st.sampled_from(["max", "avg"]))
others = st.one_of(st.builds(arch.LRN, size=st.integers(1, 5)), st.builds(arch.BatchNorm),
                   st.builds(arch.Dropout, rate=st.sampled_from([0.0, 0.5])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(size=st.integers(5, 20), depth=st.integers(1, 3),
       body=st.lists(st.one_of(convs, pools, others), min_size=1, max_size=5),
       head=st.lists(st.integers(1, 12), max_size=2))
def test_random_specs_table_shapes_equal_forward_shapes(forward_shapes, size, depth, body, head):
    network = arch.Network("random", (size, size + 1, depth),
                           (*body, *(arch.FC(units) for units in head)))
    try:
        table = arch.layer_table(network)
    except GeometryError:
        assume(False)
    assert [r.shape for r in table.top] == forward_shapes(network)
    assert table.params == numel(arch.to_torch(network))


@pytest.mark.parametrize("make,message", [
    # issue 12: Conv(k=-5) gave -50 parameters, FC(-10) -7,850, groups=0 a ZeroDivisionError
    (lambda: arch.Conv(k=-5, f=3), "Conv: the number of filters K must be a whole number >= 1, "
                                   "got -5"),
    (lambda: arch.Conv(10, -5), "Conv: the filter size F must be a whole number >= 1, got -5"),
    (lambda: arch.Conv(10, 3.0), "Conv: the filter size F must be a whole number >= 1, got 3.0"),
    (lambda: arch.Conv(10, True), "Conv: the filter size F must be a whole number >= 1, got True"),
    (lambda: arch.Conv(10, 3, stride=0, name="CONV1"),
     "Conv CONV1: the stride S must be a whole number >= 1, got 0"),
    (lambda: arch.Conv(4, 3, groups=0), "Conv: the number of groups must be a whole number >= 1"),
    (lambda: arch.Conv(4, 3, padding=-1), "Conv: the padding P must be a whole number >= 0"),
    (lambda: arch.Conv(4, 3, padding="half"), "Conv: padding must be an int or 'valid'"),
    (lambda: arch.Conv(4, 3, bias=0), "Conv: bias must be True or False, got 0"),
    (lambda: arch.FC(-10), "FC: the number of neurons must be a whole number >= 1, got -10"),
    (lambda: arch.FC(float("nan")), "FC: the number of neurons must be a whole number >= 1"),
    (lambda: arch.FC(None), "FC: the number of neurons must be a whole number >= 1, got None"),
    (lambda: arch.Pool(0), "Pool: the filter size F must be a whole number >= 1, got 0"),
    (lambda: arch.Pool(3, stride=-2), "Pool: the stride S must be a whole number >= 1, got -2"),
    (lambda: arch.Pool(2, kind="min"), "Pool: pool kind must be 'max' or 'avg'"),
    (lambda: arch.AdaptiveAvgPool((6, 0)), "AdaptiveAvgPool: the output size must be a whole"),
    (lambda: arch.LRN(size=0), "LRN: the number of neighbouring channels n must be a whole"),
    (lambda: arch.Dropout(1.5), r"Dropout: the dropout rate must be a number in \[0, 1\), got 1.5"),
    (lambda: arch.Dropout(None), r"Dropout: the dropout rate must be a number in \[0, 1\)"),
    (lambda: arch.Activation("sigmoid"), "unknown activation 'sigmoid'"),
    (lambda: arch.Network("x", (0, 5, 1), ()), "x: the input height H must be a whole number"),
    (lambda: arch.Network("x", (28, 28), ()), r"x: the input must be a volume \(H, W, D\)"),
])
def test_layers_refuse_sizes_the_slides_formulas_cannot_take(make, message):
    with pytest.raises(ValueError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def test_valid_layers_still_build_and_count_as_the_slides_do():
    """The slide's CONV1 (96 11x11 filters at stride 4 on 227x227x3) is 34,848 weights."""
    conv = arch.Conv(96, 11, stride=4, padding=0)
    assert conv.rows((227, 227, 3), "CONV1", 0)[0].weights == 34848
    assert arch.Conv(8, 3, padding=(0, 1), groups=2).pads() == (0, 1)
    assert arch.Dropout(0).rate == 0 and arch.Pool(3, stride=2).step == 2


def test_lrn_computes_the_alexnet_papers_formula():
    """AlexNet, Section 3.3: b = a / (k + alpha * sum of a^2 over n neighbouring maps)^beta with
    k = 2, n = 5, alpha = 1e-4, beta = 0.75. PyTorch's LocalResponseNorm averages the squares,
    so the spec must hand it alpha * n; passing the paper's alpha as is computes another layer."""
    lrn = arch.LRN()
    (module,) = lrn.torch_parts((6, 6, 8))
    a = torch.randn(1, 8, 6, 6, generator=torch.Generator().manual_seed(0)) * 30
    squares = a.pow(2)
    sums = torch.stack([squares[:, max(0, c - lrn.size // 2):c + lrn.size // 2 + 1].sum(1)
                        for c in range(8)], dim=1)
    paper = a / (lrn.k + lrn.alpha * sums).pow(lrn.beta)
    assert torch.allclose(module(a), paper, rtol=1e-5)
    as_is = torch.nn.LocalResponseNorm(lrn.size, lrn.alpha, lrn.beta, lrn.k)
    assert not torch.allclose(as_is(a), paper, rtol=1e-3)  # the mistake this guards against
