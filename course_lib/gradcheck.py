"""Numerical gradients and the error measure used to check hand-written backward passes.

A backward pass is right when it agrees with centred differences,
``(f(x + h e_i) - f(x - h e_i)) / 2h``, whose error is O(h^2) (plus rounding of order eps/h).
With float64 and ``h = 1e-6`` the two agree to about 1e-9 in relative terms, so a relative error
above 1e-7 points to a bug, not to rounding. Always check in float64: float32 has too few digits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    df: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * df)`` with respect to ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; ``f`` must read ``x`` (for
    example a closure over the same array), so pass the very array the function uses.

    Parameters
    ----------
    f : callable
        Maps ``x`` to an array (then give ``df``) or to a scalar (then leave ``df`` out).
    x : ndarray, any shape, float64
        The point at which to differentiate.
    df : ndarray, shape of ``f(x)``, optional
        Upstream gradient: the result is the vector-Jacobian product ``J^T df``.
    h : float
        Step size.

    Returns
    -------
    ndarray, shape of ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float64 numpy.ndarray for a gradient check, got {got}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = _project(f(x), df)
        x[i] = old - h
        minus = _project(f(x), df)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _project(y: np.ndarray | float, df: np.ndarray | None) -> float:
    if df is None:
        if np.ndim(y) != 0:
            raise ValueError(
                f"f returned an array of shape {np.shape(y)}; pass df (the upstream gradient) "
                "or make f return a scalar"
            )
        return float(y)
    y = np.asarray(y)
    if y.shape != df.shape:
        raise ValueError(f"df must have the shape of f(x), {y.shape}, got {df.shape}")
    return float(np.sum(y * df))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error ``||a - b|| / max(||a|| + ||b||, 1e-300)`` (Frobenius norms).

    Measured on whole arrays rather than entry by entry, so that entries that are both nearly zero
    (common in gradients) do not turn rounding noise into a large ratio. 0 means equal; below 1e-7
    is agreement in float64; near 1 means unrelated arrays.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
