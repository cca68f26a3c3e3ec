"""course_utils.byhand.backprop against PyTorch's autograd: every forward and backward pass of
notebook 08, on seeded shapes with stride, padding, several channels and overlapping pools."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.byhand import backprop, ops

CONV_CASES = [  # (N, C, H, W, K, F, stride, padding)
    (2, 1, 5, 5, 1, 3, 1, 0), (2, 3, 7, 7, 4, 3, 2, 0), (3, 2, 6, 8, 5, 3, 1, 1),
    (1, 2, 8, 8, 3, 3, 2, 1), (2, 4, 5, 6, 2, 1, 1, 0), (2, 2, 9, 7, 3, 5, 2, 2),
]


def _conv_inputs(seed, n, c, h, w, k, f, stride, padding):
    rng = np.random.default_rng(seed)
    x, weights, b = rng.normal(size=(n, c, h, w)), rng.normal(size=(k, c, f, f)), rng.normal(size=k)
    out = backprop.conv_forward(x, weights, b, stride, padding)
    return x, weights, b, rng.normal(size=out.shape)


def _torch(*arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_and_backward_match_autograd(case):
    *shape, stride, padding = case
    x, w, b, dout = _conv_inputs(sum(case), *shape, stride, padding)
    tx, tw, tb = _torch(x, w, b)
    out = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    np.testing.assert_allclose(backprop.conv_forward(x, w, b, stride, padding),
                               out.detach().numpy(), atol=1e-10)
    (out * torch.tensor(dout)).sum().backward()
    dx, dw, db = backprop.conv_backward(dout, x, w, stride, padding)
    for ours, theirs in ((dx, tx), (dw, tw), (db, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), atol=1e-10)


def test_the_single_channel_version_is_the_slides_convolution():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(7, 6)), rng.normal(size=(3, 3))
    out = ops.conv2d(x, w, stride=2, padding=1)
    dout = rng.normal(size=out.shape)
    dx, dw, db = backprop.conv_backward_single(dout, x, w, 2, 1)
    tx, tw = _torch(x[None, None], w[None, None])
    (F.conv2d(tx, tw, stride=2, padding=1) * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(dx, tx.grad[0, 0].numpy(), atol=1e-10)
    np.testing.assert_allclose(dw, tw.grad[0, 0].numpy(), atol=1e-10)
    assert db == pytest.approx(dout.sum()) and isinstance(db, float)


@pytest.mark.parametrize(("shape", "f", "stride"), [
    ((2, 3, 4, 4), 2, 2), ((2, 2, 7, 7), 3, 2), ((1, 2, 5, 8), 2, 1), ((3, 1, 8, 8), 3, 2)])
def test_max_pool_forward_and_backward_match_autograd(shape, f, stride):
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape)  # continuous values: no ties
    out = backprop.max_pool_forward(x, f, stride)
    dout = rng.normal(size=out.shape)
    (tx,) = _torch(x)
    t_out = F.max_pool2d(tx, f, stride)
    (t_out * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(out, t_out.detach().numpy())
    np.testing.assert_allclose(backprop.max_pool_backward(dout, x, f, stride), tx.grad.numpy(),
                               atol=1e-12)


def test_a_tie_sends_the_gradient_to_the_first_maximum_only():
    x = np.array([[[[5.0, 5.0], [1.0, 5.0]]]])
    dx = backprop.max_pool_backward(np.ones((1, 1, 1, 1)), x, 2, 2)
    assert dx.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_linear_relu_and_the_loss_match_autograd():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(4, 6)), rng.normal(size=(6, 3)), rng.normal(size=3)
    labels = np.array([0, 2, 1, 2])
    tx, tw, tb = _torch(x, w, b)
    hidden = torch.relu(tx)
    logits = hidden @ tw + tb
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    ours_hidden = backprop.relu_forward(x)
    ours_logits = backprop.linear_forward(ours_hidden, w, b)
    ours_loss, dlogits = backprop.softmax_cross_entropy(ours_logits, labels)
    assert ours_loss == pytest.approx(loss.item())
    dhidden, dw, db = backprop.linear_backward(dlogits, ours_hidden, w)
    np.testing.assert_allclose(dw, tw.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(backprop.relu_backward(dhidden, x), tx.grad.numpy(), atol=1e-12)


def test_the_numerical_gradient_is_central_and_restores_its_input():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4))
    before = x.copy()
    grad = backprop.numerical_gradient(lambda v: float(np.sum(v ** 3)), x, h=1e-4)
    exact = 3 * before ** 2
    np.testing.assert_allclose(grad, exact, atol=1e-7)  # central: error ~ h^2 = 1e-8
    assert np.array_equal(x, before)
    forward = np.array([(np.sum(before ** 3 + np.where(np.arange(12).reshape(3, 4) == i,
                                                       (before + 1e-4) ** 3 - before ** 3, 0))
                         - np.sum(before ** 3)) / 1e-4 for i in range(12)]).reshape(3, 4)
    assert np.abs(forward - exact).max() > 100 * np.abs(grad - exact).max()  # error ~ h


def test_the_numerical_gradient_checks_the_conv_backward():
    x, w, b, dout = _conv_inputs(9, 1, 2, 5, 5, 2, 3, 2, 1)
    _, dw, _ = backprop.conv_backward(dout, x, w, 2, 1)
    numeric = backprop.numerical_gradient(
        lambda v: float(np.sum(backprop.conv_forward(x, v, b, 2, 1) * dout)), w.copy())
    np.testing.assert_allclose(dw, numeric, rtol=1e-6, atol=1e-8)


def test_the_numpy_cnn_and_its_pytorch_twin_follow_the_same_curve():
    from course_utils.byhand import numpy_cnn
    from course_utils.training import byhand_twin

    rng = np.random.default_rng(7)
    images, labels = rng.normal(size=(120, 1, 28, 28)), rng.integers(0, 10, 120)
    start = numpy_cnn.init_params(seed=3)
    params = {k: v.copy() for k, v in start.items()}
    ours = numpy_cnn.train(params, images, labels, epochs=2, batch_size=40, lr=0.05)
    theirs = byhand_twin.train_twin(start, images, labels, epochs=2, batch_size=40, lr=0.05)
    assert len(ours) == len(theirs) == 6
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert not np.allclose(params["conv_w"], start["conv_w"])  # it trained


def test_the_numpy_cnn_gradients_pass_a_gradient_check():
    from course_utils.byhand import numpy_cnn

    rng = np.random.default_rng(8)
    images, labels = rng.normal(size=(3, 1, 28, 28)), np.array([1, 4, 7])
    params = numpy_cnn.init_params(seed=1, channels=2)
    _, grads = numpy_cnn.forward_backward(params, images, labels)
    for name in ("conv_w", "conv_b"):
        numeric = backprop.numerical_gradient(
            lambda v, name=name: numpy_cnn.forward_backward({**params, name: v}, images,
                                                            labels)[0], params[name].copy())
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8)
