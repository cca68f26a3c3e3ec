"""The lecture's programming task in Keras 3: the slide's layer list, the PyTorch network's
weights copied into it, and ``model.fit`` with the three optimizers (notebook 07).

The "Programming Tasks" slide names Keras among the frameworks and speaks its words (Conv2D,
``padding="same"``, ``Dense(10, activation="softmax")``, categorical cross-entropy). This module
builds that model and holds the one home of the layout rules between the two frameworks: a
PyTorch conv kernel is (out, in, height, width), a Keras one (height, width, in, out); a PyTorch
``Linear`` weight is (out, in), a Keras ``Dense`` kernel (in, out); and the flattened feature map
is channels-first (c, h, w) in PyTorch but channels-last (h, w, c) in Keras.

Keras is optional (``pip install keras`` or the ``keras`` extra) and is imported only inside the
functions that need it, so ``import course_utils`` never needs it. Everything crosses the
border as NumPy arrays (``set_weights``, ``predict``), so the same code runs on Keras' torch,
TensorFlow and JAX backends.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from course_utils.training import mnist, optimizers, results, task

INSTALL_HINT = ("Keras 3 is not installed: pip install keras (or pip install -e \".[keras]\" in "
                "a checkout); the torch backend needs nothing else")
# torch is always there (course_utils needs it); TensorFlow is not (it is not in the extra).
DEFAULT_BACKEND = "torch"
# Our optimizer settings in PyTorch's names -> the names of Keras' optimizer arguments.
KERAS_ARGUMENTS = {"lr": "learning_rate", "rho": "rho", "eps": "epsilon"}


def import_keras(default_backend: str = DEFAULT_BACKEND):
    """``import keras``, with the backend ``KERAS_BACKEND`` names, else ``default_backend``.

    Keras fixes its backend at its first import, so the default only applies before it; a
    missing Keras is one line that says how to install it."""
    os.environ.setdefault("KERAS_BACKEND", default_backend)
    try:
        import keras
    except ModuleNotFoundError as err:
        if err.name != "keras":
            raise  # keras is there but its backend is not: that message is the useful one
        raise ModuleNotFoundError(INSTALL_HINT) from None
    if int(keras.__version__.split(".")[0]) < 3:
        raise ImportError(f"notebook 07 needs Keras 3, found {keras.__version__}: "
                          "pip install --upgrade keras")
    return keras


def build_keras_model():
    """The slide's "Programming Tasks" network, layer for layer in Keras' words (channels-last,
    28x28x1 input): 1,191,338 parameters, ending in the slide's softmax."""
    keras = import_keras()
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, kernel_size=(3, 3), strides=(2, 2), padding="valid", activation="relu"),
        layers.Conv2D(32, kernel_size=(2, 2), strides=(1, 1), padding="same", activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1)),
        layers.Dropout(0.35),
        layers.Flatten(),
        layers.Dense(256, activation="tanh"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="slide_cnn")


def layer_configs(model) -> list[tuple[str, dict]]:
    """Each layer's class and configuration without its (auto-numbered) name: two models built
    from the same layer list compare equal."""
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def conv_kernel(w) -> np.ndarray:
    """PyTorch's conv weight (out, in, kh, kw) -> Keras' kernel (kh, kw, in, out): a transpose
    of the axes (a reshape would keep the numbers in order and scramble their meaning)."""
    return np.transpose(np.asarray(w), (2, 3, 1, 0))


def dense_kernel(w, flattened_from: tuple[int, int, int] | None = None) -> np.ndarray:
    """PyTorch's ``Linear`` weight (out, in) -> Keras' ``Dense`` kernel (in, out).

    ``flattened_from=(c, h, w)``: the input is a feature map flattened channels-first by
    ``nn.Flatten`` (index c*h*w order), which Keras' ``Flatten`` flattens channels-last (h, w, c):
    the input columns are reordered to match before the transpose."""
    w = np.asarray(w)
    if flattened_from is not None:
        c, h, width = flattened_from
        w = w.reshape(len(w), c, h, width).transpose(0, 2, 3, 1).reshape(len(w), -1)
    return w.T


def torch_weights(torch_model) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The conv and linear layers of a PyTorch model in order: (kind, weight, bias) as NumPy."""
    from torch import nn

    return [(type(m).__name__, m.weight.detach().cpu().numpy(), m.bias.detach().cpu().numpy())
            for m in torch_model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def copy_torch_weights(torch_model, keras_model, conv=conv_kernel, dense=dense_kernel) -> None:
    """Set ``keras_model``'s weights to ``torch_model``'s: the same network, weight for weight.

    ``torch_model`` is a module or its ``torch_weights``. Layers pair up in order (PyTorch's
    Conv2d/Linear with Keras' Conv2D/Dense); ``conv`` and
    ``dense`` are the layout rules (arguments so that a wrong rule can be shown to fail). The
    first Dense after a Flatten gets the feature map's shape, read from Keras."""
    source = torch_model if isinstance(torch_model, list) else torch_weights(torch_model)
    targets = [layer for layer in keras_model.layers if layer.weights]
    if len(source) != len(targets):
        raise ValueError(f"{len(source)} PyTorch conv/linear layers but {len(targets)} Keras "
                         "layers with weights: not the same network")
    flattened_from, pairs = None, iter(source)
    for layer in keras_model.layers:
        kind = type(layer).__name__
        if kind == "Flatten":
            if getattr(layer, "data_format", "channels_last") != "channels_last":
                raise ValueError("only Keras' default channels_last layout is supported")
            h, w, c = layer.input.shape[1:]
            flattened_from = (c, h, w)
        if not layer.weights:
            continue
        torch_kind, weight, bias = next(pairs)
        if kind == "Conv2D" and torch_kind == "Conv2d":
            kernel = conv(weight)
        elif kind == "Dense" and torch_kind == "Linear":
            kernel, flattened_from = dense(weight, flattened_from), None
        else:
            raise ValueError(f"Keras {kind} ({layer.name}) meets PyTorch {torch_kind}")
        expected = tuple(layer.kernel.shape)
        if tuple(kernel.shape) != expected:
            raise ValueError(f"{layer.name}: kernel {tuple(kernel.shape)} from PyTorch, Keras "
                             f"wants {expected}")
        layer.set_weights([kernel, bias])


def same_padding(f: int = 2, n: int = 5) -> tuple[int, int]:
    """TF/Keras' 'same' padding (before, after) of an ``f``x``f`` conv, read from Keras itself:
    a kernel of ones over an image of ones counts, for each output, the real (not padded)
    pixels in its window; the outputs that count fewer than f rows lie next to the zeros."""
    keras = import_keras()
    conv = keras.layers.Conv2D(1, (f, f), padding="same", use_bias=False,
                               kernel_initializer="ones")
    counts = keras.ops.convert_to_numpy(conv(np.ones((1, n, n, 1), np.float32)))[0, :, n // 2, 0]
    rows = (counts / f).round().astype(int)  # real rows in each output's window
    short = rows < f
    before = int(np.argmin(short)) if short[0] else 0
    after = int(np.argmin(short[::-1])) if short[-1] else 0
    return before, after


def channels_last(images) -> np.ndarray:
    """Images (n, c, h, w) as PyTorch holds them -> (n, h, w, c) float32, Keras' default."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(images, dtype=np.float32).transpose(0, 2, 3, 1))


def one_hot(labels, classes: int = mnist.CLASSES) -> np.ndarray:
    """Integer labels -> one-hot rows, the form ``categorical_crossentropy`` (the slide's loss)
    expects; ``sparse_categorical_crossentropy`` takes the integers themselves."""
    if hasattr(labels, "detach"):
        labels = labels.detach().cpu().numpy()
    return np.eye(classes, dtype=np.float32)[np.asarray(labels)]


def probabilities(keras_model, images) -> np.ndarray:
    """The model's softmax outputs for PyTorch-layout images, in inference mode (dropout off)."""
    return np.asarray(keras_model.predict(channels_last(images), batch_size=1000, verbose=0))


def _float32(value) -> float:
    """A Keras setting as a plain number: learning rates are float32 variables (0.001 reads
    back as 0.0010000000474974513); 7 significant digits are what float32 holds."""
    return float(f"{float(np.asarray(value)):.7g}")


def keras_defaults(name: str) -> dict:
    """The defaults of Keras optimizer ``name`` ("Adam", "Adadelta", "SGD") read from the
    installed Keras, in the names of ``optimizers.KERAS_DEFAULTS`` (lr, betas, rho, eps)."""
    keras = import_keras()
    optimizer = getattr(keras.optimizers, name)()
    settings = {"lr": _float32(optimizer.learning_rate)}
    if hasattr(optimizer, "beta_1"):
        settings["betas"] = (_float32(optimizer.beta_1), _float32(optimizer.beta_2))
    if hasattr(optimizer, "rho"):
        settings["rho"] = _float32(optimizer.rho)
    if name != "SGD":  # SGD keeps no running averages, so it has no epsilon
        settings["eps"] = _float32(optimizer.epsilon)
    return settings


def our_settings_in_keras(name: str) -> dict:
    """Our optimizer ``name`` (``optimizers.OPTIMIZERS``: its settings, the rest PyTorch's defaults)
    as Keras arguments: Adadelta becomes ``learning_rate=1.0, rho=0.9, epsilon=1e-6``."""
    spec = optimizers.OPTIMIZERS[name]
    settings = {**optimizers.torch_defaults(spec.factory), **spec.kwargs}
    arguments = {}
    for key, value in settings.items():
        if key == "betas":
            arguments["beta_1"], arguments["beta_2"] = value
        else:
            arguments[KERAS_ARGUMENTS[key]] = value
    return arguments


def keras_optimizer(name: str):
    """A Keras optimizer with our settings for ``name`` (the same as the PyTorch runs')."""
    keras = import_keras()
    return getattr(keras.optimizers, optimizers.OPTIMIZERS[name].factory.__name__)(
        **our_settings_in_keras(name))


def _progress_callback(keras, history: dict, total: int, label: str, progress: bool):
    """A Keras callback that fills ``history`` as ``engine.train`` does (per-step loss, epoch
    times) and drives one progress bar per optimizer (off under CI, like the engine's)."""
    from course_utils.training.engine import progress_bar

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = progress_bar(total, label, enabled=progress)

        def on_epoch_begin(self, epoch, logs=None):
            self.started, self.seconds, self.previous_mean = time.perf_counter(), None, 0.0
            self.step_losses = []

        def on_train_batch_end(self, batch, logs=None):
            # Keras reports the running mean of the epoch's losses; the step's own loss is
            # what the mean moved by (the same per-step curve as the PyTorch history).
            mean = float(logs["loss"])
            self.step_losses.append((batch + 1) * mean - batch * self.previous_mean)
            self.previous_mean = mean
            self.bar.update(1)
            if batch % 100 == 0:
                self.bar.set_postfix(epoch=history["epochs_done"] + 1, loss=f"{mean:.4f}")

        def on_test_begin(self, logs=None):  # the epoch's training ends where its test begins
            if self.seconds is None and hasattr(self, "started"):
                self.seconds = time.perf_counter() - self.started

        def on_epoch_end(self, epoch, logs=None):
            results.record_epoch(
                history, step_losses=self.step_losses, train_loss=float(logs["loss"]),
                test_loss=float(logs["val_loss"]), test_accuracy=float(logs["val_accuracy"]),
                seconds=self.seconds or time.perf_counter() - self.started,
                train_accuracy=float(logs["accuracy"]))

        def on_train_end(self, logs=None):
            self.bar.close()

    return Progress()


def fit_optimizers(train_data, test_data, start_model, names=optimizers.TASK_OPTIMIZERS, *,
                   epochs: int = 10, batch_size: int = task.DEFAULT_BATCH_SIZE,
                   seed: int = task.DEFAULT_SEED, progress: bool = True) -> dict[str, dict]:
    """The task in Keras: ``model.fit`` with each optimizer, every run starting from the weights
    of the PyTorch module ``start_model`` (copied), with one-hot labels and
    ``categorical_crossentropy``; histories in ``engine.train``'s format, keyed by name.

    ``train_data``/``test_data`` are ``mnist.Dataset``s (normalised MNIST, as notebook 05 uses).
    Keras shuffles and draws dropout masks from ``seed``: the data order and masks are Keras'
    own, not the PyTorch run's."""
    keras = import_keras()
    x, y = channels_last(train_data.images), one_hot(train_data.labels)
    validation = (channels_last(test_data.images), one_hot(test_data.labels))
    steps = math.ceil(len(x) / batch_size)
    histories = {}
    for name in names:
        keras.utils.set_random_seed(seed)  # data order and dropout masks
        model = build_keras_model()
        copy_torch_weights(start_model, model)
        model.compile(optimizer=keras_optimizer(name), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        label = f"Keras {optimizers.OPTIMIZERS[name].label}"
        history = results.new_history(
            name, label, our_settings_in_keras(name), batch_size=batch_size, seed=seed,
            epochs=epochs, train_size=len(x), test_size=len(validation[0]),
            steps_per_epoch=steps, backend=keras.backend.backend(), keras=keras.__version__)
        callback = _progress_callback(keras, history, epochs * steps, label, progress)
        model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=validation,
                  shuffle=True, verbose=0, callbacks=[callback])
        history["completed"] = history["epochs_done"] == epochs
        histories[name] = history
    return histories


def plot_keras_vs_torch(keras_histories: dict[str, dict], torch_histories: dict[str, dict]):
    """The task's loss curves per optimizer, Keras beside PyTorch: train (solid, mean over the
    epoch's steps) and test (dashed) loss per epoch, one panel per optimizer."""
    import matplotlib.pyplot as plt

    names = list(keras_histories)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8), sharey=True,
                             squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        runs = {"Keras": keras_histories[name], "PyTorch": torch_histories.get(name)}
        for (framework, h), color in zip(runs.items(), ("tab:red", "tab:blue"), strict=True):
            if h is None:
                continue
            epochs = np.arange(1, len(h["train_loss"]) + 1)
            ax.plot(epochs, h["train_loss"], "o-", color=color, label=f"{framework} train")
            ax.plot(epochs, h["test_loss"], "s--", color=color, label=f"{framework} test")
        ax.set(title=optimizers.OPTIMIZERS[name].label, xlabel="epoch", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("cross-entropy loss")
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    return fig


__all__ = [
    "DEFAULT_BACKEND", "INSTALL_HINT", "KERAS_ARGUMENTS", "build_keras_model", "channels_last",
    "conv_kernel", "copy_torch_weights", "dense_kernel", "fit_optimizers", "import_keras",
    "keras_defaults", "keras_optimizer", "layer_configs", "one_hot", "our_settings_in_keras",
    "plot_keras_vs_torch", "probabilities", "same_padding", "torch_weights",
]
