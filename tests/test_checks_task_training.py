"""course_utils.checks.task_training: notebook 05's my_train and my_plot_loss_curves accept a
correct answer and name each plausible mistake; the task's requirements are granted only for
the student's own code."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_utils.checks import task_training as checks  # noqa: E402
from course_utils.checks import verdict  # noqa: E402
from course_utils.display import training_plots  # noqa: E402
from course_utils.training import engine, loop, optimizers, task  # noqa: E402


def step(model, optimizer, images, labels):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def trainer(*, train_mode=True, batches=None, order=None, record=None, do_step=True):
    """A my_train with one thing changed: ``batches(n, size)`` gives the batch starts,
    ``order(n, generator, epoch, first)`` the epoch's order, ``record(losses)`` what is
    returned."""
    def my_train(model, optimizer, data, epochs, batch_size, generator):
        if train_mode:
            model.train()
        losses, first = [], None
        for epoch in range(epochs):
            index = (order or (lambda n, g, e, f: torch.randperm(n, generator=g)))(
                len(data), generator, epoch, first)
            first = index if first is None else first
            for start in (batches or (lambda n, b: range(0, n, b)))(len(data), batch_size):
                batch = index[start:start + batch_size]
                if do_step:
                    loss = step(model, optimizer, data.images[batch], data.labels[batch])
                else:
                    loss = F.cross_entropy(model(data.images[batch]), data.labels[batch])
                losses.append(loss.item())
        return (record or (lambda x: x))(losses)
    return my_train


def test_a_correct_my_train_passes_and_so_does_the_reference_loop_under_another_name():
    verdict = checks.verify_train(trainer())
    assert verdict.passed and verdict.line.startswith("✓ my_train: 2 epochs of 10 images")
    assert checks.verify_train(lambda *args: loop.train(*args)).passed


def per_epoch_means(losses):
    return [sum(losses[:3]) / 3, sum(losses[3:]) / 3]


@pytest.mark.parametrize(("wrong", "hint"), [
    (trainer(train_mode=False), "call model.train() before training"),
    (trainer(batches=lambda n, b: range(0, n - n % b, b)), "the last, smaller batch"),
    (trainer(order=lambda n, g, e, f: torch.arange(n)), "shuffle: take the order from"),
    (trainer(order=lambda n, g, e, f: f if f is not None else torch.randperm(n, generator=g)),
     "a fresh order in every epoch"),
    (trainer(order=lambda n, g, e, f: torch.randperm(n)), "the generator given"),
    (trainer(order=lambda n, g, e, f: torch.randint(0, n, (n,), generator=g)),
     "one permutation, not from random draws"),
    (trainer(record=per_epoch_means), "one loss per step, not per epoch"),
    (trainer(record=lambda losses: losses[::-1]), "in the order of the steps"),
    (trainer(record=lambda losses: None), "is a `return losses` missing?"),
    (trainer(record=lambda losses: "done"), "returned str, not a list of losses"),
    (trainer(do_step=False), "every batch gets one training step"),
])
def test_each_wrong_my_train_gets_its_hint(wrong, hint):
    verdict = checks.verify_train(wrong)
    assert not verdict.passed and verdict.line.startswith("✗ my_train: ")
    assert hint in verdict.line, verdict.line


def test_one_epoch_only_and_the_references_own_function_are_named():
    def one_epoch(model, optimizer, data, epochs, batch_size, generator):
        return trainer()(model, optimizer, data, 1, batch_size, generator)

    assert "an outer loop over the epochs" in checks.verify_train(one_epoch).line
    assert checks.verify_train(loop.train).line.endswith("the course's train, not yours")
    line = checks.verify_loss_plot(training_plots.plot_loss_curves).line
    assert line.endswith("the course's plot_loss_curves, not yours")


def test_an_open_crashing_or_endless_my_train_is_one_line(monkeypatch):
    def open_exercise(*args):
        raise NotImplementedError()

    assert "not implemented yet" in checks.verify_train(open_exercise).line

    def crashes(model, optimizer, data, epochs, batch_size, generator):
        return model(data)  # a Dataset is not a tensor

    line = checks.verify_train(crashes).line
    assert line.startswith("✗ my_train: 2 epochs of 10 images in batches of 4 raised")
    assert "\n" not in line

    def endless(*args):
        while True:
            pass

    monkeypatch.setattr(verdict, "TIME_LIMIT_S", 0.3)
    assert "ran longer than 0.3 s (an endless loop?)" in checks.verify_train(endless).line


def test_the_check_leaves_the_notebooks_random_state_alone():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    checks.verify_train(trainer())
    assert torch.equal(torch.rand(3), expected)


def test_an_open_training_step_inside_my_train_is_named():
    def my_train_step(model, optimizer, images, labels):
        raise NotImplementedError()

    def my_train(model, optimizer, data, epochs, batch_size, generator):
        for _ in range(epochs):
            order = torch.randperm(len(data), generator=generator)
            for start in range(0, len(data), batch_size):
                batch = order[start:start + batch_size]
                my_train_step(model, optimizer, data.images[batch], data.labels[batch])

    line = checks.verify_train(my_train).line
    assert line.startswith("✗ my_train: your my_train calls my_train_step, which is not "
                           "implemented yet"), line


def plotter(*, key="step_loss", label=True, legend=True, axes=True, early=False, give=None):
    def my_plot_loss_curves(histories):
        fig, ax = plt.subplots()
        for name, h in histories.items():
            ax.plot(h[key], label=h["label"] if label else name)
            if early:
                break
        if axes:
            ax.set(xlabel="step", ylabel="loss", yscale="log")
        if legend:
            ax.legend()
        return (give or (lambda f: f))(fig)
    return my_plot_loss_curves


def test_a_correct_figure_and_the_courses_figure_pass():
    assert checks.verify_loss_plot(plotter()).passed
    assert checks.verify_loss_plot(lambda h: training_plots.plot_loss_curves(h)).passed


def panels(histories):
    """One panel per optimizer, y named once (shared), x named for the whole figure."""
    fig, axes = plt.subplots(1, len(histories), sharey=True)
    for ax, h in zip(axes, histories.values(), strict=True):
        ax.semilogy(h["step_loss"], label=h["label"])
        ax.legend()
    axes[0].set_ylabel("loss")
    fig.supxlabel("step")
    return fig


def test_panels_with_shared_names_pass():
    assert checks.verify_loss_plot(panels).passed


def swapped(histories):
    fig, ax = plt.subplots()
    labels = [h["label"] for h in histories.values()][::-1]
    for h, label in zip(histories.values(), labels, strict=True):
        ax.plot(h["step_loss"], label=label)
    ax.set(xlabel="step", ylabel="loss")
    ax.legend()
    return fig


@pytest.mark.parametrize(("wrong", "hint"), [
    (plotter(key="train_loss"), "not the epochs' means"),
    (plotter(early=True), "is the `return` inside the loop?"),
    (plotter(legend=False), "call ax.legend() after plotting"),
    (plotter(label=False), "with its history['label']"),
    (plotter(axes=False), "name both axes"),
    (swapped, "label each line with the history it draws"),
    (plotter(give=lambda fig: None), "is a `return fig` missing?"),
    (plotter(give=lambda fig: fig.axes[0]), "return the Figure"),
])
def test_each_wrong_figure_gets_its_hint(wrong, hint):
    verdict = checks.verify_loss_plot(wrong)
    assert not verdict.passed and verdict.line.startswith("✗ my_plot_loss_curves: ")
    assert hint in verdict.line, verdict.line


def test_the_figure_check_shows_no_figure_and_names_an_open_exercise():
    before = plt.get_fignums()
    checks.verify_loss_plot(plotter())
    checks.verify_loss_plot(plotter(axes=False))
    assert plt.get_fignums() == before

    def open_exercise(histories):
        raise NotImplementedError()

    assert "not implemented yet" in checks.verify_loss_plot(open_exercise).line


def my_train(model, optimizer, data, epochs, batch_size, generator):
    return loop.train(model, optimizer, data, epochs, batch_size, generator)


def histories_by(function, epochs):
    return {n: {"epochs_done": epochs, "trained_by": engine.trained_by(function)}
            for n in optimizers.TASK_OPTIMIZERS}


def test_the_requirements_are_granted_for_the_students_own_work_only(tmp_path):
    figure = tmp_path / "loss_curves.png"
    figure.write_bytes(b"png")
    mine = plotter()
    lines = [v.line for v in checks.requirements(histories_by(my_train, 10), task.build_model,
                                                 step, my_train, mine, figure)]
    assert len(lines) == 5 and all(line.startswith("✓") for line in lines), lines
    assert lines[1] == "✓ Adam, Adadelta and SGD trained by your my_train"

    def open_exercise(*args):
        raise NotImplementedError()

    # every exercise open, the reference trained the runs: every line is ✗
    lines = [v.line for v in checks.requirements(histories_by(loop.train, 10), open_exercise,
                                                 open_exercise, open_exercise, open_exercise,
                                                 figure)]
    assert all(line.startswith("✗") for line in lines), lines
    # the student's loop passes but the runs were trained by the reference
    lines = [v.line for v in checks.requirements(histories_by(loop.train, 10), task.build_model,
                                                 step, my_train, mine, figure)]
    assert lines[1].startswith("✗ Adam, Adadelta and SGD trained by your my_train: ['adam',")
    assert lines[2] == "✗ 10 epochs each"
    short = histories_by(my_train, 1)
    lines = [v.line for v in checks.requirements(short, task.build_model, step, my_train, mine,
                                                 tmp_path / "none.png", quick=True)]
    assert lines[2].startswith("✗ 10 epochs each: {'adam': 1,") and "quick mode" in lines[2]
    assert lines[4].startswith("✗ loss curves plotted by your my_plot_loss_curves (none.png)")
