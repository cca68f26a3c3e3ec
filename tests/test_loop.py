"""course_utils.training.loop: one step, one epoch and the evaluation, on small subsets."""

import math

import numpy as np
import pytest
import torch

from course_utils.training import loop, mnist, optimizers, task

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_small():
    return mnist.load_datasets(CPU, train_size=512, test_size=256)


def test_predict_proba_is_the_softmax_of_the_logits():
    model = task.build_model()
    probs = loop.predict_proba(model, torch.randn(4, 1, 28, 28))
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(4))


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_one_step_of_every_optimizer_changes_every_weight_tensor(name, mnist_small):
    train_data, _ = mnist_small
    torch.manual_seed(0)
    model = task.build_model()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = optimizers.OPTIMIZERS[name].make(model.parameters())
    loss = loop.train_step(model, optimizer, train_data.images[:32], train_data.labels[:32])
    assert loss.requires_grad is False and math.isfinite(loss.item())
    for old, new in zip(before, model.parameters(), strict=True):
        assert not torch.equal(old, new)


def test_confusion_matrix_counts_true_against_predicted():
    labels = torch.tensor([0, 1, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 2, 2, 2, 0])
    matrix = np.array(loop.confusion_matrix(labels, predicted, classes=3))
    assert matrix.sum() == 6 and np.trace(matrix) == 4
    assert matrix[1, 2] == 1 and matrix[2, 0] == 1


class Bar:
    def __init__(self):
        self.updates = []

    def update(self, n):
        self.updates.append(n)

    def set_postfix(self, **kwargs):
        pass


@pytest.mark.parametrize(("sync_every", "updates"), [(0, [5]), (2, [2, 2, 1])])
def test_host_syncs_every_n_steps_or_once_per_epoch(sync_every, updates):
    torch.manual_seed(0)
    data = mnist.Dataset(torch.randn(40, 1, 28, 28), torch.randint(0, 10, (40,)))
    model = task.build_model()
    optimizer = optimizers.OPTIMIZERS["sgd"].make(model.parameters())
    bar = Bar()
    losses = loop.train_epoch(model, optimizer, data, 8, torch.Generator().manual_seed(0),
                                  progress=bar, sync_every=sync_every)
    assert bar.updates == updates and len(losses) == 5


def test_a_non_finite_loss_is_still_caught_when_syncing_once_per_epoch():
    data = mnist.Dataset(torch.full((24, 1, 28, 28), float("nan")), torch.zeros(24).long())
    model = task.build_model()
    optimizer = optimizers.OPTIMIZERS["sgd"].make(model.parameters())
    with pytest.raises(loop.NonFiniteLossError, match="epoch 1, step 1 of 3"):
        loop.train_epoch(model, optimizer, data, 8, torch.Generator().manual_seed(0),
                             sync_every=0)
