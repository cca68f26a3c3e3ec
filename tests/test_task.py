"""course_utils.training.task: the slide's network and the task's optimizers with their sources."""


from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.byhand.geometry import conv_params, padding_pair
from course_utils.training import optimizers, task

CPU = torch.device("cpu")


def test_model_has_the_lectures_parameter_count_layer_by_layer():
    model = task.build_model()
    conv1 = conv_params(3, 1, 64)
    conv2 = conv_params(2, 64, 32)
    dense1 = (32 * 12 * 12 + 1) * 256
    dense2 = (256 + 1) * 10
    assert task.count_parameters(model) == conv1 + conv2 + dense1 + dense2 == 1_191_338


def test_feature_maps_have_the_sizes_of_the_layer_list():
    shapes = {}
    model = task.build_model()
    for name, module in model.named_children():
        module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, o.shape))
    out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert shapes["conv1"] == (3, 64, 13, 13)  # (28 - 3)/2 + 1 = 13.5, floored
    assert shapes["conv2"] == (3, 32, 13, 13)  # 'same' keeps 13
    assert shapes["pool"] == (3, 32, 12, 12)  # 2x2 at stride 1
    assert shapes["flatten"] == (3, 4608)
    assert task.feature_map_sizes() == {"input": 28, "conv1": 13, "conv2": 13, "pool": 12}


def test_explicit_zero_pad_equals_pytorch_padding_same_for_the_even_kernel():
    torch.manual_seed(1)
    same = nn.Conv2d(64, 32, 2, padding="same")
    x = torch.randn(2, 64, 13, 13)
    before, after = padding_pair("same", 2)
    assert (before, after) == (0, 1)
    explicit = F.conv2d(F.pad(x, (before, after, before, after)), same.weight, same.bias)
    torch.testing.assert_close(explicit, same(x))


def test_dropout_rates_are_the_fraction_dropped():
    model = task.build_model()
    assert model.dropout1.p == 0.35 and model.dropout2.p == 0.5
    model.train()
    torch.manual_seed(0)
    out = model.dropout2(torch.ones(100_000))
    assert abs((out == 0).float().mean().item() - 0.5) < 0.01


def test_optimizer_settings_follow_their_sources():
    specs = optimizers.OPTIMIZERS
    assert specs["adam"].lr == 1e-3 and specs["sgd"].lr == 0.01 and specs["adadelta"].lr == 1.0
    assert specs["adadelta-keras"].lr == 1e-3
    assert isinstance(specs["sgd"].make(task.build_model().parameters()), torch.optim.SGD)


def test_quick_mode_follows_ci_and_course_quick(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    assert not task.quick_mode()
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert not task.quick_mode()
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert task.quick_mode()
    monkeypatch.delenv("COURSE_QUICK")
    monkeypatch.setenv("CI", "true")
    assert task.quick_mode()


def slide_by_hand() -> nn.Sequential:
    """The slide's layer list translated to PyTorch by hand, as notebook 05 explains it: the
    reference the one definition (networks.assignment_cnn -> to_torch) must reproduce."""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 64, 3, stride=2)), ("relu1", nn.ReLU()),
        ("pad2", nn.ZeroPad2d((0, 1, 0, 1))),  # TF's 'same' for a 2x2 kernel: 0 before, 1 after
        ("conv2", nn.Conv2d(64, 32, 2)), ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2, stride=1)), ("dropout1", nn.Dropout(0.35)),
        ("flatten", nn.Flatten()), ("dense1", nn.Linear(32 * 12 * 12, 256)), ("tanh", nn.Tanh()),
        ("dropout2", nn.Dropout(0.5)), ("dense2", nn.Linear(256, 10)),
    ]))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_one_definition_builds_the_slides_network_weight_for_weight(seed):
    torch.manual_seed(seed)
    ours = task.build_model()
    torch.manual_seed(seed)
    reference = slide_by_hand()
    assert [(n, repr(m)) for n, m in ours.named_children()] == [
        (n, repr(m)) for n, m in reference.named_children()]
    mine, theirs = ours.state_dict(), reference.state_dict()
    assert list(mine) == list(theirs)
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs)
    x = torch.rand(5, 1, 28, 28)
    ours.eval(), reference.eval()
    with torch.no_grad():
        logits = ours(x)
        torch.testing.assert_close(logits, reference(x), rtol=0, atol=0)
    assert not torch.allclose(logits.sum(dim=1), torch.ones(5))  # logits, not probabilities
