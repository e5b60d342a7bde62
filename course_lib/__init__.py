"""course_lib: the companion package of the course on recurrent neural networks.

* :mod:`course_lib.nn_numpy` -- NumPy layers with hand-written backward passes (the reference);
* :mod:`course_lib.nn_torch` -- the same layers in PyTorch, on CPU, CUDA or Apple MPS;
* :mod:`course_lib.gradcheck` -- numerical gradients and the relative error used to check them;
* :mod:`course_lib.data` -- the bundled, checksummed datasets, vocabularies, padding and batching;
* :mod:`course_lib.train` -- the training loop every page and assignment uses;
* :mod:`course_lib.decode` -- greedy decoding, sampling and beam search;
* :mod:`course_lib.metrics` -- accuracy, perplexity, MAE/RMSE, BLEU, chrF and friends;
* :mod:`course_lib.grading` -- the checks behind the assignments' tests, with messages that say what is wrong.

Subpackages are imported on demand, so ``import course_lib.nn_numpy`` does not load torch.
"""

__version__ = "0.1.0"
