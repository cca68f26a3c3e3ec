"""Convolution and pooling by hand (notebooks 01-03 and 06): NumPy and the standard library only.

- ``geometry``: the lecture's output-size formula W2 = (W1 - F + 2P)/S + 1, padding, parameter
  counts and receptive fields (pure Python).
- ``ops``: conv2d, the true convolution, max and average pooling on NumPy arrays.
- ``kernels``: hand-made 3x3 kernels (Sobel and friends) and how alike two filters are.
- ``canvas_to_mnist``: a drawing made into a 28x28 digit the way MNIST's digits were made.

The rule of this layer: no torch, ever (tests/test_layers.py walks the imports).
"""

__all__ = ["canvas_to_mnist", "geometry", "kernels", "ops"]
