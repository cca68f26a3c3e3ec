"""Training the lecture's programming task (notebooks 05-07, ``python -m course_utils.assignment``).

- ``mnist``: MNIST, byte-exact, as NumPy arrays or device tensors (``Dataset``).
- ``loop``: the plain training loop and evaluation, the part a student reads.
- ``task``: the task's CNN, its layer names, quick mode.
- ``optimizers``: Adam, Adadelta and SGD with their settings and sources.
- ``engine``: trains any model with several optimizers from one start, keeping every epoch.
- ``results``: histories and weights on disk: save, load, find finished runs.
- ``fast_path``, ``graphed_step``, ``devices``: the same step arranged for the hardware.
- ``inspect_network``: what a trained network learned (notebook 06).
- ``files``, ``messages``: safe writes and one-line errors.
"""

__all__ = [
    "devices", "engine", "fast_path", "files", "graphed_step", "inspect_network", "loop",
    "messages", "mnist", "optimizers", "results", "task",
]
