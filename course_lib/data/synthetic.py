"""Synthetic tasks with a known answer, for showing what a recurrent network can and cannot learn."""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_positive_int

__all__ = ["adding_problem"]


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` sequences of the adding problem (Hochreiter and Schmidhuber, 1997).

    Each step carries a number drawn uniformly from [0, 1] and a marker; exactly two steps are
    marked, one in the first half and one in the second. The target is the sum of the two marked
    numbers, so the network must remember the first one across at least T/2 steps. Always
    predicting the mean, 1, gives a mean squared error of 1/6.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length (at least 2); one marker falls in steps 0..T//2-1, the other in T//2..T-1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    x : ndarray, shape (n, T, 2), float32
        Channel 0: the numbers; channel 1: the markers (two ones per row).
    y : ndarray, shape (n,), float32
        The sum of the two marked numbers.
    """
    n, T = check_positive_int("n", n), check_positive_int("T", T)
    if T < 2:
        raise ValueError(f"T must be at least 2 (one marker in each half), got {T}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    values = rng.uniform(0.0, 1.0, (n, T))
    first = rng.integers(0, T // 2, n)
    second = rng.integers(T // 2, T, n)
    rows = np.arange(n)
    markers = np.zeros((n, T))
    markers[rows, first] = markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y
