"""Whether MNIST can be had here (CI keeps it beside the checkout; offline machines may not)."""

import pytest

from course_utils.training.mnist import MNISTNotFoundError, find_mnist


def have_mnist() -> bool:
    try:
        find_mnist()
    except MNISTNotFoundError:
        return False
    return True


needs_mnist = pytest.mark.skipif(not have_mnist(), reason="MNIST not available")
