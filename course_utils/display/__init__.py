"""What the notebooks show: the lecture's figures, quizzes, the conv-layer explorer and the
digit canvas.

- ``plots``: the slides' grids (sliding windows, padding) and the architecture figures.
- ``illustrations``: the neuron, a filter summing over a volume, maps stacking, pooling's
  tolerance to shifts.
- ``training_plots``: the task's loss curves, accuracy, confusion matrix, misread digits.
- ``plots_learned``: notebook 06's filters, activation maps, receptive fields, saliency.
- ``widgets``: quizzes and the explorer (core ipywidgets only, for Colab).
- ``digit_canvas``: draw a digit and read it with trained networks (anywidget).
"""

__all__ = ["digit_canvas", "illustrations", "plots", "plots_learned", "training_plots", "widgets"]
