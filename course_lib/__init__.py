"""course_lib: the companion package of the course on recurrent neural networks.

* :mod:`course_lib.nn_numpy` -- NumPy layers with hand-written backward passes (the reference);
* :mod:`course_lib.nn_torch` -- the same layers in PyTorch, on CPU, CUDA or Apple MPS;
* :mod:`course_lib.gradcheck` -- numerical gradients and the relative error used to check them.

Subpackages are imported on demand, so ``import course_lib.nn_numpy`` does not load torch.
"""

__version__ = "0.1.0"
