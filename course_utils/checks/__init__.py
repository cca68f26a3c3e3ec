"""The exercises' checks: the student's function against the reference, one line of verdict.

- ``verdict``: ``Case``, ``Verdict``, ``verify`` and ``report``, shared by every check.
- ``byhand``: notebooks 01-03 and 06 (convolution, pooling, spatial arithmetic, receptive fields).
- ``architectures``: notebook 04.  ``task``: notebook 05.  ``keras_task``: notebook 07.
"""

__all__ = ["architectures", "byhand", "keras_task", "task", "verdict"]
