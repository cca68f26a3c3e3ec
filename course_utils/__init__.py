"""course_utils: the package behind the CNN course companion's notebooks.

Five layers, each a subpackage, importing only downwards (docs/architecture.md draws them):

- ``byhand``: convolution, pooling and their spatial arithmetic in NumPy, as the slides do
  them on the board (notebooks 01-03, 06). Never imports torch.
- ``architectures``: the lecture's layer types and networks (LeNet-5 ... ResNet, the task's
  CNN) as plain data: their tables and their PyTorch modules (notebook 04).
- ``training``: MNIST, the training loop, the task and its optimizers, the engine that trains
  any model, results files and fast paths (notebooks 05-07, ``python -m course_utils.assignment``).
- ``checks``: the exercises' checks, one verdict line each (every notebook).
- ``display``: figures, quizzes, the explorer and the digit canvas (every notebook).

``keras_task`` (notebook 07) needs the optional ``keras`` extra.
"""

__all__ = ["architectures", "byhand", "checks", "display", "training"]
