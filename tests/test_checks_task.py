"""course_utils.checks.task: notebook 05's exercises accept the slide's network and one plain
step, and name each usual mistake."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import task as checks_task
from course_utils.checks import verdict
from course_utils.training import loop, task


def slide_network(pad=(0, 1, 0, 1), act1=nn.ReLU, act2=nn.ReLU, dense_act=nn.Tanh,
                  rates=(0.35, 0.5), pool_stride=1, last=None):
    flat = 32 * ((13 - 2) // pool_stride + 1) ** 2
    layers = [nn.Conv2d(1, 64, 3, stride=2), act1(), nn.ZeroPad2d(pad), nn.Conv2d(64, 32, 2),
              act2(), nn.MaxPool2d(2, stride=pool_stride), nn.Dropout(rates[0]), nn.Flatten(),
              nn.Linear(flat, 256), dense_act(), nn.Dropout(rates[1]), nn.Linear(256, 10)]
    return nn.Sequential(*layers, *([last] if last else []))


def test_a_students_own_correct_network_passes():
    verdict = checks_task.verify_task_model(slide_network)
    assert verdict.passed and verdict.line.startswith("✓ the task's network: 1,191,338 parameters")
    assert checks_task.verify_task_model(task.build_model()).passed


class PaddingSame(nn.Module):
    """Written with PyTorch's padding='same' (the same zeros as TF for the 2x2 kernel)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 64, 3, stride=2), nn.Conv2d(64, 32, 2, padding="same")
        self.dense1, self.dense2 = nn.Linear(32 * 12 * 12, 256), nn.Linear(256, 10)
        self.drop1, self.drop2 = nn.Dropout(0.35), nn.Dropout(0.5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, stride=1)
        return self.dense2(self.drop2(torch.tanh(self.dense1(self.drop1(x).flatten(1)))))


def test_a_network_written_another_way_passes_too():
    assert checks_task.verify_task_model(PaddingSame).passed


@pytest.mark.parametrize(("wrong", "named"), [
    (lambda: slide_network(last=nn.Softmax(dim=1)), "softmax at the end"),
    (lambda: slide_network(pad=(1, 0, 1, 0)), "'same' padding before instead of after"),
    (lambda: slide_network(act1=nn.Identity), "no ReLU after conv1"),
    (lambda: slide_network(dense_act=nn.ReLU), "ReLU instead of tanh after dense1"),
    (lambda: slide_network(rates=(0.65, 0.5)), "dropout 0.65 on the maps then 0.5 on a vector"),
    (lambda: slide_network(rates=(0.5, 0.35)), "Dropout(0.35) comes after the pooling"),
    (lambda: slide_network(pool_stride=2), "parameter tensor 5 (dense1 weights)"),
    (lambda: slide_network(act1=nn.Tanh, act2=nn.Tanh), "tanh instead of ReLU"),
])
def test_each_usual_mistake_is_named(wrong, named):
    verdict = checks_task.verify_task_model(wrong)
    assert not verdict.passed and named in verdict.line and "\n" not in verdict.line


def test_an_open_network_exercise_is_not_implemented_yet():
    def open_exercise():
        raise NotImplementedError()

    assert "not implemented yet" in checks_task.verify_task_model(open_exercise).line


class OpenForward(PaddingSame):
    def forward(self, x):
        raise NotImplementedError()


class NoReturn(PaddingSame):
    def forward(self, x):
        super().forward(x)


class DropoutDeclaredInAnotherOrder(PaddingSame):
    """The layers' order in __init__ is not the order forward applies them."""

    def __init__(self):
        super().__init__()
        self.drop2, self.drop1 = nn.Dropout(0.5), nn.Dropout(0.35)


def test_an_open_forward_a_missing_return_and_the_declaration_order():
    assert "not implemented yet" in checks_task.verify_task_model(OpenForward).line
    line = checks_task.verify_task_model(NoReturn).line
    assert line.startswith("✗") and "is a `return` missing?" in line
    assert checks_task.verify_task_model(DropoutDeclaredInAnotherOrder).passed


def no_zero_grad(model, optimizer, images, labels):
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.detach()


def double_softmax(model, optimizer, images, labels):
    loss = F.cross_entropy(F.softmax(model(images), dim=1), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def nll_on_logits(model, optimizer, images, labels):
    loss = F.nll_loss(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def no_update(model, optimizer, images, labels):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    return loss.detach()


@pytest.mark.parametrize(("wrong", "named"), [
    (no_zero_grad, "after step 2 the weights differ from one plain step. Hint: zero the"),
    (double_softmax, "a softmax before F.cross_entropy applies it twice"),
    (nll_on_logits, "step 1: loss"),
    (no_update, "after step 1 the weights differ"),
    (lambda m, o, x, y: None, "Hint: return the loss"),
])
def test_wrong_training_steps_are_named(wrong, named):
    assert checks_task.verify_train_step(loop.train_step).passed
    verdict = checks_task.verify_train_step(wrong)
    assert not verdict.passed and named in verdict.line


def test_importing_the_checks_draws_nothing_from_the_seeded_rng():
    """A notebook seeds torch, then imports the checks: the import must not shift the numbers
    the student's cells draw next (the check's parameter names come from a meta-device model)."""
    import subprocess
    import sys

    code = ("import torch; torch.manual_seed(0); a = torch.rand(3); torch.manual_seed(0); "
            "import course_utils.checks.task; assert torch.equal(a, torch.rand(3))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_crashing_or_endless_training_step_is_one_line(monkeypatch):
    def crashes(model, optimizer, images, labels):
        return model(images.flatten(1))  # the conv net wants 4-D images

    line = checks_task.verify_train_step(crashes).line
    assert line.startswith("✗ train_step: step 1 raised RuntimeError") and "\n" not in line

    def endless(model, optimizer, images, labels):
        while True:
            pass

    monkeypatch.setattr(verdict, "TIME_LIMIT_S", 0.5)
    line = checks_task.verify_train_step(endless).line
    assert line == "✗ train_step: step 1: your code ran longer than 0.5 s (an endless loop?)"
