"""course_utils.architectures.networks: every lecture network's table against real PyTorch and
torchvision."""

import pytest
import torch
import torchinfo
import torchvision

from course_utils.architectures import networks as nets
from course_utils.architectures.network import Network, layer_table, to_torch

# Every builder of course_utils.architectures.networks, by name.
NETWORKS = {
    "lenet5": nets.lenet5,
    "alexnet": nets.alexnet,
    "torchvision_alexnet": nets.torchvision_alexnet,
    "zfnet": nets.zfnet,
    "googlenet": nets.googlenet,
    **{f"vgg_{c.lower()}": (lambda c=c: nets.vgg(c)) for c in nets.VGG_CONFIGS},
    "assignment_cnn": nets.assignment_cnn,
}



def numel(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("key", sorted(NETWORKS))
def test_builtin_table_matches_torch_numel_torchinfo_and_forward_shapes(key, forward_shapes,
                                                                        children_of):
    network = NETWORKS[key]()
    table = layer_table(network)
    with torch.device("meta"):  # no memory, no compute: only the shapes
        model = to_torch(network)
    assert table.params == numel(model)
    assert table.params == torchinfo.summary(model, verbose=0).total_params
    assert table.weights + table.biases == table.params
    for row, children in zip(table.top[1:], children_of(network, model), strict=True):
        assert row.params == sum(numel(child) for child in children), row.name
    assert [r.shape for r in table.top] == forward_shapes(network, "meta")


@pytest.mark.parametrize("network", [nets.lenet5(), nets.assignment_cnn(), nets.alexnet()],
                         ids=lambda n: n.name)
def test_mult_adds_match_torchinfo(network):
    # torchinfo also counts one add per bias and output position; the table counts MACs only
    table = layer_table(network)
    bias_adds = sum(r.biases * (r.shape[0] * r.shape[1] if len(r.shape) == 3 else 1)
                    for r in table.top)
    h, w, d = network.input_shape
    stats = torchinfo.summary(to_torch(network), (1, d, h, w), verbose=0)
    assert table.macs + bias_adds == stats.total_mult_adds


@pytest.mark.parametrize(("config", "factory"), [("A", "vgg11"), ("D", "vgg16"), ("E", "vgg19")])
def test_vgg_configurations_agree_with_torchvision(config, factory):
    table = layer_table(nets.vgg(config))
    with torch.device("meta"):
        reference = getattr(torchvision.models, factory)(weights=None)
        ours = to_torch(nets.vgg(config))
    assert table.params == numel(reference)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in reference.parameters()]
    assert isinstance(ours[-1], torch.nn.Linear)  # logits, like torchvision's classifier


def test_torchvision_alexnet_spec_agrees_with_torchvision():
    with torch.device("meta"):
        reference = torchvision.models.alexnet(weights=None)
        ours = to_torch(nets.torchvision_alexnet())
    assert layer_table(nets.torchvision_alexnet()).params == numel(reference)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in reference.parameters()]


def test_alexnet_slide_numbers():
    table = layer_table(nets.alexnet())
    assert table["CONV1"].shape == (55, 55, 96)
    assert table["CONV1"].weights == 11 * 11 * 3 * 96
    assert table["CONV1"].params == 11 * 11 * 3 * 96 + 96
    assert table["POOL1"].shape == (27, 27, 96) and table["POOL1"].params == 0
    assert [table[n].shape for n in ("NORM2", "CONV5", "POOL3", "FC8")] == [
        (13, 13, 256), (13, 13, 256), (6, 6, 256), (1000,)]
    assert not table.inexact


def test_two_tower_alexnet_halves_the_grouped_convolutions():
    one, two = layer_table(nets.alexnet()), layer_table(nets.alexnet(towers=2))
    for name in ("CONV2", "CONV4", "CONV5"):
        assert two[name].weights * 2 == one[name].weights
    assert two["CONV3"].params == one["CONV3"].params
    assert two.params == numel(to_torch(nets.alexnet(towers=2))) == 60_965_224


def test_assignment_cnn_shapes_flags_the_floor_and_pads_like_tensorflow():
    table = layer_table(nets.assignment_cnn())
    assert table.params == 1_191_338
    assert [r.name for r in table.inexact] == ["CONV1"]
    assert "13.50" in table["CONV1"].fit and table["CONV1"].shape == (13, 13, 64)
    assert table["CONV2"].shape == (13, 13, 32)  # 'same' with F=2: 0 before, 1 after
    assert table["FC2"].what == "10 neurons, softmax"  # the slide's softmax stays in the table
    pad = to_torch(nets.assignment_cnn()).pad2
    assert isinstance(pad, torch.nn.ZeroPad2d) and tuple(pad.padding) == (0, 1, 0, 1)


def test_vgg_param_counts_round_to_the_papers_table():
    millions = {c: round(layer_table(nets.vgg(c)).params / 1e6) for c in nets.VGG_CONFIGS}
    assert millions == {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    with pytest.raises(ValueError, match="VGG configuration"):
        nets.vgg("F")


def test_inception_with_and_without_bottleneck(forward_shapes):
    x = (28, 28, 192)
    net = Network("3a", x, (nets.inception(64, 96, 128, 16, 32, 32, name="3a"),))
    naive = Network("naive", x, (nets.inception(64, 96, 128, 16, 32, 32, False, "3a"),))
    for network, depth in ((net, 256), (naive, 64 + 128 + 32 + 192)):
        table = layer_table(network)
        assert table.output_shape == (28, 28, depth)
        assert [r.shape for r in table.top] == forward_shapes(network)
        assert table.params == numel(to_torch(network))
        inner = [r for r in table.expanded().rows if r.depth == 1]
        assert table.macs == sum(r.macs for r in inner) > 0
    assert layer_table(naive).macs > 2 * layer_table(net).macs


def test_googlenet_follows_the_papers_table():
    table = layer_table(nets.googlenet())
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
    (nets.residual_block(64), 64), (nets.residual_block(64, 128, stride=2), 64),
    (nets.bottleneck_block(256, 64), 256), (nets.bottleneck_block(64, 64, stride=2), 64)])
def test_residual_blocks_match_torch(block, d_in, forward_shapes):
    network = Network("block", (14, 14, d_in), (block,))
    table = layer_table(network)
    assert table.params == numel(to_torch(network))
    assert [r.shape for r in table.top] == forward_shapes(network)
    assert bool(block.shortcut) == (d_in != table.output_shape[2] or table.output_shape[0] != 14)


def test_vgg_config_table_is_the_slides_table():
    from course_utils.architectures.networks import vgg_config_table

    lines = vgg_config_table().splitlines()
    assert lines[0].split() == ["A", "A-LRN", "B", "C", "D", "E"]
    assert [int(n) for n in lines[1].split()[::3]] == [11, 11, 13, 16, 16, 19]
    assert lines[-4:] == ["FC-4096", "FC-4096", "FC-1000", "soft-max"]
    assert lines[4].split() == ["*LRN", "*conv3-64", "conv3-64", "conv3-64", "conv3-64"]
    new_in_c = [line.split() for line in lines if "*conv1-" in line]
    assert [row[0] for row in new_in_c] == ["*conv1-256", "*conv1-512", "*conv1-512"]
