"""course_utils.checks.keras_task.verify_keras_model: notebook 07's exercise (the slide's layer list
in Keras) accepts the reference and other correct ways to write it, rejects each plausible wrong
list with exactly the hint written for it, and turns a wrong type, a crash, an endless loop and
an open exercise into one ✗ line. Skipped without Keras; CI installs it (the ``keras`` extra)."""

import os
import threading
import time

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras' first import: the backend
keras = pytest.importorskip("keras", minversion="3.0")

from keras import layers  # noqa: E402

from course_utils import keras_task  # noqa: E402
from course_utils.checks import keras_mistakes as hints  # noqa: E402
from course_utils.checks import keras_task as checks  # noqa: E402
from course_utils.training import task  # noqa: E402

SLIDE = {"input": (28, 28, 1), "conv1_padding": "valid", "conv2_padding": "same",
         "conv1_strides": (2, 2), "pool_strides": (1, 1), "rates": (0.35, 0.5),
         "conv_activation": "relu", "dense_activation": "tanh", "last_activation": "softmax",
         "units": 256, "use_bias": True}


def slide_list(flatten=True, **changes):
    """The slide's list with some settings changed: how most wrong answers come about."""
    s = SLIDE | changes
    return [
        keras.Input(shape=s["input"]),
        layers.Conv2D(64, (3, 3), strides=s["conv1_strides"], padding=s["conv1_padding"],
                      activation=s["conv_activation"]),
        layers.Conv2D(32, (2, 2), padding=s["conv2_padding"], activation=s["conv_activation"],
                      use_bias=s["use_bias"]),
        layers.MaxPooling2D((2, 2), strides=s["pool_strides"]),
        layers.Dropout(s["rates"][0]),
        *([layers.Flatten()] if flatten else []),
        layers.Dense(s["units"], activation=s["dense_activation"]),
        layers.Dropout(s["rates"][1]),
        layers.Dense(10, activation=s["last_activation"]),
    ]


def changed(**changes):
    return lambda: keras.Sequential(slide_list(**changes))


def short_forms():
    """Correct, in the shortest words Keras takes."""
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(64, 3, 2, activation="relu"),
        layers.Conv2D(32, 2, padding="same", activation=keras.activations.relu),
        layers.MaxPool2D(2, 1), layers.Dropout(0.35), layers.Flatten(),
        layers.Dense(256, "tanh"), layers.Dropout(0.5), layers.Dense(10, "softmax")])


def functional():
    """Correct, with Keras' functional API."""
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for layer in slide_list()[1:]:
        x = layer(x)
    return keras.Model(inputs, x)


def activation_layers():
    """The same function with the activations as layers of their own."""
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(64, 3, 2), layers.ReLU(),
        layers.Conv2D(32, 2, padding="same"), layers.Activation("relu"),
        layers.MaxPooling2D(2, 1), layers.Dropout(0.35), layers.Flatten(),
        layers.Dense(256), layers.Activation("tanh"), layers.Dropout(0.5),
        layers.Dense(10), layers.Softmax()])


def without_input():
    return keras.Sequential(slide_list()[1:])


def dropout_missing():
    return keras.Sequential([layer for i, layer in enumerate(slide_list()) if i != 4])


def dropout_after_flatten():
    first = slide_list()
    first[4], first[5] = first[5], first[4]
    return keras.Sequential(first)


class Dense(layers.Dense):
    """A Dense layer of one's own whose call is not Dense's: the slide's settings, other
    outputs (only the proof with the PyTorch weights can tell)."""

    def call(self, inputs):
        return super().call(2 * inputs)


def own_dense_layer():
    model = slide_list()
    model[6] = Dense(256, activation="tanh")
    return keras.Sequential(model)


@pytest.mark.parametrize("answer", [keras_task.build_keras_model, changed(), short_forms,
                                    functional])
def test_correct_models_pass(answer):
    verdict = checks.verify_keras_model(answer)
    assert verdict.passed, verdict.line
    assert verdict.line == ("✓ my_keras_model: the slide's 8 layers, 1,191,338 parameters, and "
                            "notebook 05's outputs with its weights")


def test_the_solution_compares_equal_to_the_package_model():
    """What notebook 07's check cell asserts of the model the student's list builds."""
    assert (keras_task.layer_configs(changed()())
            == keras_task.layer_configs(keras_task.build_keras_model()))


@pytest.mark.parametrize(("wrong", "words", "hint"), [
    (changed(conv1_padding="same", conv2_padding="valid"), "padding='same', the slide's "
     "padding='valid'", hints.PADDING_HINT),
    (changed(conv1_strides=(1, 1)), "output (None, 26, 26, 64) instead of (None, 13, 13, 64)",
     hints.CONV_STRIDES_HINT),
    (changed(pool_strides=None), "layer 3 (MaxPooling2D): strides=(2, 2)",
     hints.POOL_STRIDES_HINT),
    (changed(rates=(0.5, 0.35)), "layer 4 (Dropout): rate=0.5", hints.DROPOUT_SWAPPED_HINT),
    (changed(rates=(0.65, 0.5)), "rate=0.65, the slide's rate=0.35", hints.KEEP_PROBABILITY_HINT),
    (changed(rates=(0.25, 0.5)), "rate=0.25", hints.DROPOUT_PLACES_HINT),
    (dropout_missing, "1 Dropout layer, the slide's list has 2", hints.DROPOUT_PLACES_HINT),
    (changed(conv_activation="tanh", dense_activation="relu"), "activation='tanh'",
     hints.ACTIVATION_HINT),
    (changed(dense_activation="relu"), "layer 6 (Dense): activation='relu'",
     hints.ACTIVATION_HINT),
    (changed(last_activation=None), "layer 8 (Dense): activation='linear'", hints.SOFTMAX_HINT),
    (changed(flatten=False), "no Flatten layer (output shape (None, 12, 12, 10)",
     hints.FLATTEN_HINT),
    (activation_layers, "12 layers, the slide's 8", hints.ACTIVATION_ARGUMENT_HINT),
    (dropout_after_flatten, "layer 4 is a Flatten, the slide's layer 4 is a Dropout",
     hints.ORDER_HINT),
    (without_input, "no input shape (no keras.Input)", hints.INPUT_HINT),
    (changed(input=(28, 28)), "raised ValueError", hints.INPUT_HINT),
    (changed(input=(1, 28, 28)), "raised ValueError", hints.CHANNELS_LAST_HINT),
    (changed(units=128), "units=128, the slide's units=256; output (None, 128) instead of "
     "(None, 256); 589,952 parameters instead of 1,179,904", hints.PARAMETERS_HINT),
    (changed(use_bias=False), "1,191,306 parameters, the slide's network has 1,191,338 (layer 2",
     hints.PARAMETERS_HINT),
    (own_dense_layer, "differ from the PyTorch network's", hints.TABLE_HINT),
], ids=["padding swapped", "conv1 strides missing", "pool strides default", "rates swapped",
        "keep probability", "other rate", "a dropout missing", "relu tanh swapped",
        "relu on dense1", "softmax missing", "flatten missing", "activation layers",
        "order", "no input", "input without channels", "channels first", "units",
        "no biases", "a layer of ones own"])
def test_each_wrong_list_gets_its_hint(wrong, words, hint):
    verdict = checks.verify_keras_model(wrong)
    assert not verdict.passed
    assert verdict.line.startswith("✗ my_keras_model: ") and "\n" not in verdict.line
    assert words in verdict.line, verdict.line
    assert verdict.line.endswith(f"Hint: {hint}"), verdict.line


def not_a_model_in_keras():
    return task.build_model()


def crashing():
    return 1 // 0


@pytest.mark.parametrize(("student", "words"), [
    (lambda: None, "your function returned None; a keras.Sequential model is expected (is a "
                   "`return` missing?)"),
    (lambda: slide_list(), "returned a list of 9 entries; a keras.Sequential model is expected: "
                           "wrap the layers"),
    (not_a_model_in_keras, "returned a PyTorch module (Sequential); this exercise is Keras"),
    (lambda: "keras.Sequential([...])", "returned the text 'keras.Sequential([...])'"),
    (lambda: keras.Sequential, "returned the class Sequential, not a model"),
    (lambda: layers.Dense(10), "returned one layer (Dense)"),
    (crashing, "my_keras_model() raised ZeroDivisionError: integer division or modulo by zero "
               "in your line"),
], ids=["None", "a list", "PyTorch", "text", "the class", "a layer", "a crash"])
def test_a_wrong_type_or_a_crash_is_one_cross(student, words):
    verdict = checks.verify_keras_model(student)
    assert not verdict.passed and "\n" not in verdict.line
    assert verdict.line.startswith("✗ my_keras_model: ") and words in verdict.line, verdict.line


def test_an_endless_loop_is_a_cross_within_the_time_limit():
    def endless():
        while True:
            pass

    before = threading.active_count()
    started = time.perf_counter()
    verdict = checks.verify_keras_model(endless, time_limit=0.5)
    assert time.perf_counter() - started < 5
    assert not verdict.passed and "ran longer than 0.5 s (an endless loop?)" in verdict.line
    time.sleep(0.2)
    assert threading.active_count() == before  # the worker was stopped, not left spinning


def test_an_open_exercise_is_not_implemented_yet():
    def my_keras_model():
        raise NotImplementedError()

    assert checks.verify_keras_model(my_keras_model).line.startswith(
        "✗ my_keras_model: not implemented yet")


def test_check_prints_exactly_one_line(capsys):
    assert checks.check_keras_model(changed()) is None
    assert capsys.readouterr().out.count("\n") == 1


def test_the_notebook_runs_on_the_students_model_or_else_on_the_reference(capsys):
    def my_keras_model():
        raise NotImplementedError()

    model = checks.yours_or_reference(my_keras_model)
    assert capsys.readouterr().out == ("the reference stands in: your my_keras_model's check "
                                       "has not passed\n")
    assert model.name == "slide_cnn"  # keras_task.build_keras_model()
    mine = checks.yours_or_reference(functional)
    assert capsys.readouterr().out.startswith("your model: ")
    assert isinstance(mine, keras.Model) and mine.name != "slide_cnn"
    assert mine.count_params() == 1_191_338


def test_a_channels_first_input_is_recognised_in_either_keras_message():
    """Keras names the (1, 28, 28) input in some versions; Keras 3.13 (Colab) only reports the
    side that shrank to 0 in a later layer."""
    older = "Input 0 of layer conv2d is incompatible: expected shape (None, 1, 28, 28)"
    colab = "Computed output size would be negative. Received: `inputs.shape=[None 0 13 32]`"
    assert hints.crash_hint(older) == hints.crash_hint(colab) == hints.CHANNELS_LAST_HINT
    assert hints.crash_hint("something else entirely") == ""
