"""The lecture's figures, drawn with matplotlib (no torch here: notebooks 01-03 import fast).

Section 1 draws the slides' grids (convolution and pooling by hand, padding, sliding windows);
section 2 draws the programming task's results (loss curves, accuracy, confusion matrix).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

# ---------------------------------------------------------------------------------------------
# 1. Slide figures: numeric grids, windows, padding, animation
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# 2. Programming task: loss curves, accuracy, results table, confusion matrix, mistakes
# ---------------------------------------------------------------------------------------------
