"""course_utils.architectures: every table is checked against real PyTorch modules."""

import pytest
import torch
import torchinfo
import torchvision
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from course_utils import architectures as arch
from course_utils.geometry import GeometryError


def torch_shape(t: torch.Tensor) -> tuple[int, ...]:
    """NCHW tensor of one image -> the table's (H, W, D); a flat vector stays (N,)."""
    return (t.shape[2], t.shape[3], t.shape[1]) if t.dim() == 4 else tuple(t.shape[1:])


def forward_shapes(network: arch.Network, device: str = "cpu") -> list[tuple[int, ...]]:
    """The output shape of every top-level child of to_torch's module, from a real forward."""
    with torch.device(device):
        model = arch.to_torch(network).eval()
        h, w, d = network.input_shape
        x = torch.rand(1, d, h, w)
    shapes = [torch_shape(x)]
    with torch.no_grad():
        for child in model:
            x = child(x)
            shapes.append(torch_shape(x))
    return shapes


def numel(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("key", sorted(arch.BUILTIN))
def test_builtin_table_matches_torch_numel_torchinfo_and_forward_shapes(key):
    network = arch.BUILTIN[key]()
    table = arch.layer_table(network)
    with torch.device("meta"):  # no memory, no compute: only the shapes
        model = arch.to_torch(network)
    assert table.params == numel(model)
    assert table.params == torchinfo.summary(model, verbose=0).total_params
    assert table.weights + table.biases == table.params
    for row, child in zip(table.top[1:], model, strict=True):
        assert row.params == numel(child), row.name
    assert [r.shape for r in table.top] == forward_shapes(network, "meta")


@pytest.mark.parametrize("network", [arch.lenet5(), arch.assignment_cnn(), arch.alexnet()],
                         ids=lambda n: n.name)
def test_mult_adds_match_torchinfo(network):
    # torchinfo also counts one add per bias and output position; the table counts MACs only
    table = arch.layer_table(network)
    bias_adds = sum(r.biases * (r.shape[0] * r.shape[1] if len(r.shape) == 3 else 1)
                    for r in table.top)
    h, w, d = network.input_shape
    stats = torchinfo.summary(arch.to_torch(network), (1, d, h, w), verbose=0)
    assert table.macs + bias_adds == stats.total_mult_adds


@pytest.mark.parametrize(("config", "factory"), [("A", "vgg11"), ("D", "vgg16"), ("E", "vgg19")])
def test_vgg_configurations_agree_with_torchvision(config, factory):
    table = arch.layer_table(arch.vgg(config))
    with torch.device("meta"):
        reference = getattr(torchvision.models, factory)(weights=None)
        ours = arch.to_torch(arch.vgg(config))
    assert table.params == numel(reference)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in reference.parameters()]


def test_torchvision_alexnet_spec_agrees_with_torchvision():
    with torch.device("meta"):
        reference = torchvision.models.alexnet(weights=None)
        ours = arch.to_torch(arch.torchvision_alexnet())
    assert arch.layer_table(arch.torchvision_alexnet()).params == numel(reference)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in reference.parameters()]


def test_alexnet_slide_numbers():
    table = arch.layer_table(arch.alexnet())
    assert table["CONV1"].shape == (55, 55, 96)
    assert table["CONV1"].weights == 11 * 11 * 3 * 96
    assert table["CONV1"].params == 11 * 11 * 3 * 96 + 96
    assert table["POOL1"].shape == (27, 27, 96) and table["POOL1"].params == 0
    assert [table[n].shape for n in ("NORM2", "CONV5", "POOL3", "FC8")] == [
        (13, 13, 256), (13, 13, 256), (6, 6, 256), (1000,)]
    assert not table.inexact


def test_two_tower_alexnet_halves_the_grouped_convolutions():
    one, two = arch.layer_table(arch.alexnet()), arch.layer_table(arch.alexnet(towers=2))
    for name in ("CONV2", "CONV4", "CONV5"):
        assert two[name].weights * 2 == one[name].weights
    assert two["CONV3"].params == one["CONV3"].params
    assert two.params == numel(arch.to_torch(arch.alexnet(towers=2)))


def test_assignment_cnn_shapes_flags_the_floor_and_pads_like_tensorflow():
    table = arch.layer_table(arch.assignment_cnn())
    assert table.params == 1_191_338
    assert [r.name for r in table.inexact] == ["CONV1"]
    assert "13.50" in table["CONV1"].fit and table["CONV1"].shape == (13, 13, 64)
    assert table["CONV2"].shape == (13, 13, 32)  # 'same' with F=2: 0 before, 1 after
    pad = arch.to_torch(arch.assignment_cnn()).CONV2[0]
    assert isinstance(pad, torch.nn.ZeroPad2d) and tuple(pad.padding) == (0, 1, 0, 1)


def test_vgg_param_counts_round_to_the_papers_table():
    millions = {c: round(arch.layer_table(arch.vgg(c)).params / 1e6) for c in arch.VGG_CONFIGS}
    assert millions == {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}


def test_listing_reproduces_the_vgg_slide_lines():
    lines = arch.layer_table(arch.vgg("D")).listing().splitlines()
    assert lines[0] == "INPUT: [224x224x3]  memory: 224*224*3=150K  params: 0"
    assert lines[1] == "CONV3-64: [224x224x64]  memory: 224*224*64=3.2M  params: (3*3*3)*64 = 1,728"
    assert lines[19] == "FC: [1x1x4096]  memory: 4096  params: 7*7*512*4096 = 102,760,448"


def test_human_rounds_like_the_slides():
    values = [150_528, 3_211_264, 802_816, 25_088, 4096, 0]
    assert [arch.human(v) for v in values] == ["150K", "3.2M", "800K", "25K", "4.1K", "0"]
    assert arch.human(138_357_544, 3) == "138M"


def test_text_and_html_rendering_show_totals_and_the_floor():
    table = arch.layer_table(arch.assignment_cnn())
    text = str(table)
    assert text == str(arch.layer_table(arch.assignment_cnn()))
    assert "1,191,338" in text and "(!)" in text and "floored to 13" in text
    assert "<table>" in table._repr_html_() and "1,191,338" in table._repr_html_()
    assert table.to_markdown().count("\n") == len(table.top) + 2


def test_inception_with_and_without_bottleneck():
    x = (28, 28, 192)
    net = arch.Network("3a", x, (arch.inception(64, 96, 128, 16, 32, 32, name="3a"),))
    naive = arch.Network("naive", x, (arch.inception(64, 96, 128, 16, 32, 32, False, "3a"),))
    for network, depth in ((net, 256), (naive, 64 + 128 + 32 + 192)):
        table = arch.layer_table(network)
        assert table.output_shape == (28, 28, depth)
        assert [r.shape for r in table.top] == forward_shapes(network)
        assert table.params == numel(arch.to_torch(network))
        inner = [r for r in table.expanded().rows if r.depth == 1]
        assert table.macs == sum(r.macs for r in inner) > 0
    assert arch.layer_table(naive).macs > 2 * arch.layer_table(net).macs


def test_googlenet_follows_the_papers_table():
    table = arch.layer_table(arch.googlenet())
    depths = {"3a": 256, "3b": 480, "4a": 512, "4b": 512, "4c": 512, "4d": 528, "4e": 832,
              "5a": 832, "5b": 1024}
    sizes = {"3": 28, "4": 14, "5": 7}
    assert {n: table[n].shape for n in depths} == {
        n: (sizes[n[0]], sizes[n[0]], d) for n, d in depths.items()}
    # the paper's "ops" column in millions (it lists 54M for 5a, where the arithmetic gives 51M)
    ops = {"3a": 128, "3b": 304, "4a": 73, "4b": 88, "4c": 100, "4d": 119, "4e": 170, "5b": 71}
    assert all(abs(table[n].macs / 1e6 - millions) < 1 for n, millions in ops.items())
    with torch.device("meta"):
        reference = torchvision.models.googlenet(weights=None, aux_logits=False,
                                                 init_weights=False)
    assert table["FC"].params == numel(reference.fc)


@pytest.mark.parametrize(("block", "d_in"), [
    (arch.residual_block(64), 64), (arch.residual_block(64, 128, stride=2), 64),
    (arch.bottleneck_block(256, 64), 256), (arch.bottleneck_block(64, 64, stride=2), 64)])
def test_residual_blocks_match_torch(block, d_in):
    network = arch.Network("block", (14, 14, d_in), (block,))
    table = arch.layer_table(network)
    assert table.params == numel(arch.to_torch(network))
    assert [r.shape for r in table.top] == forward_shapes(network)


def test_residual_block_with_zero_weights_is_the_identity():
    network = arch.Network("block", (8, 8, 16), (arch.residual_block(16, name="RES"),))
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
    with pytest.raises(ValueError, match="unknown activation"):
        arch.layer_table(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, act="sigmoid"),)))
    with pytest.raises(ValueError, match="unique"):
        arch.to_torch(arch.Network("x", (8, 8, 1), (arch.Conv(8, 3, name="A"),
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
def test_random_specs_table_shapes_equal_forward_shapes(size, depth, body, head):
    network = arch.Network("random", (size, size + 1, depth),
                           (*body, *(arch.FC(units) for units in head)))
    try:
        table = arch.layer_table(network)
    except GeometryError:
        assume(False)
    assert [r.shape for r in table.top] == forward_shapes(network)
    assert table.params == numel(arch.to_torch(network))
