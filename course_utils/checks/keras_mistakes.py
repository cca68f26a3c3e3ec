"""What notebook 07's Keras model check knows about a student's model: its facts as plain data
(``model_facts``, read on the student's thread), and the first way they differ from the slide's
layer list with the hint for that mistake (``first_difference``).

The order is the model's own: the input first, then the kinds of layers (a missing ``Flatten``,
activations written as layers of their own, a missing ``Dropout``), then each layer's settings
in order (padding, strides, dropout rates, activations, sizes), then the parameter count. Only
what the slide states is compared: initialisers, seeds, names and dtypes are the student's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The slide's settings, per kind of layer: what the check compares (all else is free).
SETTINGS = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation", "data_format",
               "dilation_rate", "groups"),
    "MaxPooling2D": ("pool_size", "strides", "padding", "data_format"),
    "Dropout": ("rate",),
    "Flatten": ("data_format",),
    "Dense": ("units", "activation"),
}
ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax")

INPUT_HINT = ("start the list with keras.Input(shape=(28, 28, 1)): height, width, channels; "
              "without it Keras knows no input shape and creates no weights")
CHANNELS_LAST_HINT = ("Keras is channels-last: keras.Input(shape=(28, 28, 1)), not PyTorch's "
                      "channels-first (1, 28, 28), and no data_format='channels_first'")
FLATTEN_HINT = ("Flatten() between the first Dropout and Dense(256): without it Keras' Dense "
                "works on each pixel's channels and the maps never become one vector")
ACTIVATION_ARGUMENT_HINT = ("write each activation as its layer's argument, as the slide does: "
                            "Conv2D(..., activation='relu'), Dense(10, activation='softmax')")
DROPOUT_PLACES_HINT = ("the slide has two Dropout layers: Dropout(0.35) after the pooling, "
                       "Dropout(0.5) after Dense(256)")
DROPOUT_SWAPPED_HINT = ("the rates are swapped: Dropout(0.35) after the pooling, Dropout(0.5) "
                        "after Dense(256)")
KEEP_PROBABILITY_HINT = ("Keras' rate is the fraction dropped, not kept: Dropout(0.35) drops "
                         "35 % of the inputs and keeps 65 %")
ORDER_HINT = ("the slide's order: Conv2D, Conv2D, MaxPooling2D, Dropout, Flatten, Dense, "
              "Dropout, Dense")
PADDING_HINT = ("conv 1 has padding='valid' (28 -> 13), conv 2 padding='same' (13 -> 13): "
                "are the two swapped?")
CONV_STRIDES_HINT = ("strides=(2, 2) on conv 1 (28 -> 13; Keras' default stride 1 gives 26), "
                     "strides=(1, 1) on conv 2")
POOL_STRIDES_HINT = ("strides=(1, 1) on the pooling: Keras' default stride is the pool size, "
                     "(2, 2) would halve the maps")
ACTIVATION_HINT = "the slide's conv layers use relu, Dense(256) tanh"
SOFTMAX_HINT = ("in Keras the slide's softmax stays in the model: Dense(10, "
                "activation='softmax') (unlike PyTorch, where the loss F.cross_entropy applies "
                "it to logits)")
PARAMETERS_HINT = ("count (F*F*D + 1)*K per conv layer and (inputs + 1)*units per dense layer "
                   "(the + 1: the bias, use_bias=True): the table's sizes give 1,191,338")
TABLE_HINT = ("compare each layer with its line in the slide's table (notebook 05's first "
              "cell), and use keras.layers' own layers")


@dataclass(frozen=True)
class LayerFacts:
    """One layer as plain data: its kind, the settings the slide states, its output shape and
    parameter count (None where Keras cannot say: a model never built)."""

    kind: str
    settings: dict
    output: tuple | None
    params: int | None


@dataclass(frozen=True)
class ModelFacts:
    """A Keras model as plain data: its input shape (None: no ``keras.Input``), its layers and
    its parameter count."""

    input: tuple | None
    layers: tuple[LayerFacts, ...]
    params: int | None


def _plain(value):
    """A setting as plain Python: numbers, strings, tuples; anything else as its name or text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):  # a serialised object, e.g. a custom activation
        return str(value.get("class_name", value.get("config", "?")))
    if hasattr(value, "item") and callable(value.item):
        return _plain(value.item())
    return getattr(value, "__name__", None) or " ".join(repr(value).split())[:60]


def _shape(tensor) -> tuple | None:
    try:
        return tuple(None if d is None else int(d) for d in tensor.shape)
    except Exception:  # noqa: BLE001 - a model never built has no shapes
        return None


def _params(layer) -> int | None:
    try:
        return int(layer.count_params())
    except Exception:  # noqa: BLE001 - unbuilt
        return None


def model_facts(model, keras) -> ModelFacts:
    """Notebook 07, section 1: a student's Keras model as plain data (runs on the student's
    thread: ``get_config`` and the shapes are the student's objects). A subclass of a Keras
    layer counts as that layer."""
    kinds = [getattr(keras.layers, name) for name in SETTINGS]
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue  # a functional model lists its input as a layer
        kind = next((k.__name__ for k in kinds if isinstance(layer, k)), type(layer).__name__)
        config = layer.get_config()
        settings = {key: _plain(config.get(key)) for key in SETTINGS.get(kind, ())}
        try:
            output = _shape(layer.output)
        except Exception:  # noqa: BLE001 - unbuilt
            output = None
        layers.append(LayerFacts(kind, settings, output, _params(layer)))
    try:
        shape = _shape(model.inputs[0])
    except Exception:  # noqa: BLE001 - a Sequential without keras.Input has no inputs
        shape = None
    return ModelFacts(shape, tuple(layers), _params(model))


def crash_hint(message: str) -> str:
    """The hint for an error Keras raised while building the student's list, read from the
    shape Keras names in its message ('' when none fits)."""
    # (1, 28, 28) named, or (Keras 3.13) a side that shrank to 0: the 1 taken for the height
    if "1, 28, 28)" in message or "[None 0 " in message or "(None, 0, " in message:
        return CHANNELS_LAST_HINT
    if "(None, 28, 28)" in message or "(None, 784)" in message:
        return INPUT_HINT
    return ""


def _same(got, want) -> bool:
    if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
        return math.isclose(got, want, rel_tol=1e-6)
    if isinstance(want, tuple) and isinstance(got, tuple):
        return len(got) == len(want) and all(map(_same, got, want))
    return type(got) is type(want) and got == want


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "AEIOU" else f"a {kind}"


def _kinds_difference(got: ModelFacts, want: ModelFacts) -> tuple[str, str]:
    kinds, slide = [f.kind for f in got.layers], [f.kind for f in want.layers]
    folded = [k for k in kinds if k not in ACTIVATION_LAYERS]
    if folded == slide:
        return (f"{len(kinds)} layers, the slide's {len(slide)}: activations as layers of "
                "their own", ACTIVATION_ARGUMENT_HINT)
    if "Flatten" not in kinds and "Dense" in kinds:
        end = got.layers[-1].output if got.layers else None
        return (f"no Flatten layer (output shape {end}, the slide's {want.layers[-1].output})",
                FLATTEN_HINT)
    if kinds.count("Dropout") != slide.count("Dropout"):
        count = kinds.count("Dropout")
        return (f"{count} Dropout layer{'' if count == 1 else 's'}, the slide's list has "
                f"{slide.count('Dropout')}", DROPOUT_PLACES_HINT)
    index = next((i for i, (a, b) in enumerate(zip(kinds, slide, strict=False))
                  if a != b), None)
    if index is None:
        return f"{len(kinds)} layers, the slide's list has {len(slide)}", ORDER_HINT
    return (f"layer {index + 1} is {_article(kinds[index])}, the slide's layer {index + 1} is "
            f"{_article(slide[index])}", ORDER_HINT)


def _setting_hint(got: ModelFacts, index: int, key: str, value, expected) -> str:
    kind, last = got.layers[index].kind, index == len(got.layers) - 1
    if key == "data_format":
        return CHANNELS_LAST_HINT
    if key == "activation":
        return SOFTMAX_HINT if last else ACTIVATION_HINT
    if kind == "Conv2D" and key in ("padding", "strides"):
        return PADDING_HINT if key == "padding" else CONV_STRIDES_HINT
    if kind == "MaxPooling2D" and key == "strides":
        return POOL_STRIDES_HINT
    if kind == "Dropout":
        rates = tuple(f.settings["rate"] for f in got.layers if f.kind == "Dropout")
        if _same(rates, (0.5, 0.35)):
            return DROPOUT_SWAPPED_HINT
        if isinstance(value, float) and math.isclose(value, 1 - expected):
            return KEEP_PROBABILITY_HINT
        return DROPOUT_PLACES_HINT
    return PARAMETERS_HINT if key in ("filters", "units", "kernel_size") else TABLE_HINT


def first_difference(got: ModelFacts, want: ModelFacts) -> tuple[str, str] | None:
    """Notebook 07, section 1: (what differs, the hint) for the first way the student's model
    departs from the slide's list ``want``, or None when input, layers, settings and parameter
    count all agree."""
    if got.input is None:
        return "no input shape (no keras.Input), so no layer is built", INPUT_HINT
    if got.input != want.input:
        hint = CHANNELS_LAST_HINT if got.input[1:] == (1, 28, 28) else INPUT_HINT
        return f"input shape {got.input}, the slide's {want.input}", hint
    if [f.kind for f in got.layers] != [f.kind for f in want.layers]:
        return _kinds_difference(got, want)
    for index, (mine, slide) in enumerate(zip(got.layers, want.layers, strict=True)):
        for key, expected in slide.settings.items():
            value = mine.settings.get(key)
            if not _same(value, expected):
                what = (f"layer {index + 1} ({mine.kind}): {key}={value!r}, the slide's "
                        f"{key}={expected!r}")
                if mine.output != slide.output:
                    what += f"; output {mine.output} instead of {slide.output}"
                if mine.params != slide.params and key in ("filters", "units", "kernel_size"):
                    what += f"; {mine.params:,} parameters instead of {slide.params:,}"
                return what, _setting_hint(got, index, key, value, expected)
    if got.params != want.params:
        index = next((i for i, (a, b) in enumerate(zip(got.layers, want.layers, strict=True))
                      if a.params != b.params), 0)
        layer = got.layers[index]
        return (f"{got.params:,} parameters, the slide's network has {want.params:,} (layer "
                f"{index + 1}, {layer.kind}: {layer.params:,}, the slide's "
                f"{want.layers[index].params:,})", PARAMETERS_HINT)
    return None


__all__ = [
    "ACTIVATION_ARGUMENT_HINT", "ACTIVATION_HINT", "CHANNELS_LAST_HINT", "CONV_STRIDES_HINT",
    "DROPOUT_PLACES_HINT", "DROPOUT_SWAPPED_HINT", "FLATTEN_HINT", "INPUT_HINT",
    "KEEP_PROBABILITY_HINT", "ORDER_HINT", "PADDING_HINT", "PARAMETERS_HINT", "POOL_STRIDES_HINT",
    "SETTINGS", "SOFTMAX_HINT", "TABLE_HINT", "LayerFacts", "ModelFacts", "crash_hint",
    "first_difference", "model_facts",
]
