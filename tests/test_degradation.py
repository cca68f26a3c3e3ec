"""ResNet's degradation experiment (notebook 04): the networks are what the paper compares, and
one run trains all three from seeded weights with the paper's SGD."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from _mnist import needs_mnist  # noqa: E402
from torch import nn  # noqa: E402

from course_utils.architectures.plain_vs_residual import (  # noqa: E402
    plain_or_residual_cnn,
    weight_layers,
)
from course_utils.display.training_plots import plot_degradation  # noqa: E402
from course_utils.training import degradation, mnist  # noqa: E402


@pytest.mark.parametrize(("blocks", "layers"), [(0, 3), (3, 9), (20, 43)])
@pytest.mark.parametrize("residual", [False, True])
def test_depth_is_counted_as_the_paper_counts_it(blocks, layers, residual):
    model = plain_or_residual_cnn(blocks, residual=residual)
    assert weight_layers(model) == layers == 2 * blocks + 3
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_the_residual_network_differs_from_the_plain_one_only_by_its_shortcuts():
    torch.manual_seed(0)
    plain = plain_or_residual_cnn(4, residual=False)
    torch.manual_seed(0)
    residual = plain_or_residual_cnn(4, residual=True)
    assert [p.shape for p in plain.parameters()] == [p.shape for p in residual.parameters()]
    for a, b in zip(plain.parameters(), residual.parameters(), strict=True):
        assert torch.equal(a, b)
    x = torch.randn(3, 1, 28, 28)
    plain.eval(), residual.eval()
    assert not torch.allclose(plain(x), residual(x))  # the shortcut changes what it computes
    # with every block's body silenced, the residual network passes its stem's maps through
    # and the plain one outputs zeros into the pooling: only the bias of the last layer remains
    with torch.no_grad():
        for model in (plain, residual):
            for block in list(model)[6:-3]:
                for m in block.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.weight.zero_(), m.bias.zero_()
    stem = nn.Sequential(*list(residual)[:6])
    head = nn.Sequential(*list(residual)[-3:])
    assert torch.allclose(residual(x), head(stem(x)))
    assert torch.allclose(plain(x), head(torch.zeros_like(stem(x))))


def test_negative_blocks_are_refused():
    with pytest.raises(ValueError, match="blocks must be >= 0"):
        plain_or_residual_cnn(-1, residual=False)


@needs_mnist
def test_one_run_trains_the_three_networks_with_the_papers_sgd():
    train_data, test_data = mnist.load_datasets(torch.device("cpu"), 256, 128)
    runs = degradation.train_degradation(train_data, test_data, epochs=1, batch_size=64,
                                         progress=False)
    assert list(runs) == list(degradation.NETWORKS)
    assert [h["label"] for h in runs.values()] == [
        "shallow plain (9 layers)", "deep plain (43 layers)", "deep residual (43 layers)"]
    for h in runs.values():
        assert h["settings"] == {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}
        assert len(h["step_loss"]) == 4 and h["completed"]
    # different models, so different losses; the same seed, so a rerun repeats them exactly
    again = degradation.train_degradation(train_data, test_data, epochs=1, batch_size=64,
                                          progress=False)
    assert [h["step_loss"] for h in again.values()] == [h["step_loss"] for h in runs.values()]
    assert len({tuple(h["step_loss"]) for h in runs.values()}) == 3
    fig = plot_degradation(runs)
    train_ax, test_ax = fig.axes
    assert [line.get_label() for line in train_ax.lines] == [h["label"] for h in runs.values()]
    assert test_ax.lines[0].get_ydata()[0] == pytest.approx(
        100 * (1 - runs["shallow plain"]["test_accuracy"][0]))
    plt.close(fig)
