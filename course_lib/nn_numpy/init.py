"""Initialisers for the recurrent weight matrix ``Wh`` (shape (H, H), used as ``h @ Wh``).

The recurrent matrix is multiplied into the gradient once per step, so its spectrum at the start of
training decides whether gradients fade or blow up over long distances (see chapter 4). Three
choices, each returning a new array:

* :func:`orthogonal`: all singular values equal ``gain``, so the linear part of every step keeps
  lengths exactly (Saxe et al., 2014);
* :func:`identity`: ``scale * I``, the IRNN start of Le, Jaitly and Hinton (2015) for ReLU networks;
* :func:`scaled_to_radius`: any matrix rescaled to a chosen spectral radius.

Random draws come from an explicit ``numpy.random.Generator``; nothing touches global state.
"""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_array, check_positive_int
from course_lib.nn_numpy.gradient_flow import spectral_radius

__all__ = ["orthogonal", "identity", "scaled_to_radius"]


def _float_dtype(dtype: object) -> np.dtype:
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as err:
        raise TypeError(f"dtype must be a floating NumPy dtype, got {dtype!r}") from err
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating NumPy dtype (float32 or float64), got {dt}")
    return dt


def _positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def orthogonal(
    n: int,
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: np.dtype | type = np.float64,
) -> np.ndarray:
    """A random orthogonal matrix times ``gain``, drawn uniformly (Haar measure).

    QR-factorise a matrix of independent standard normal entries, ``A = Q R``, and flip the sign
    of every column of ``Q`` whose diagonal entry of ``R`` is negative. Without the flips, ``Q``
    depends on LAPACK's sign convention and is not uniformly distributed (Mezzadri, 2007).
    The draw is made in float64 and then cast to ``dtype``.

    Parameters
    ----------
    n : int
        Size H of the square matrix.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    gain : float
        Positive factor; every singular value (and every eigenvalue's modulus) equals ``gain``.
    dtype : numpy dtype
        float64 (default) or float32.

    Returns
    -------
    W : ndarray, shape (n, n)
        ``W.T @ W == gain**2 * I`` up to rounding.
    """
    n = check_positive_int("n", n)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    gain = _positive_float("gain", gain)
    dt = _float_dtype(dtype)
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)
    return (gain * Q * signs).astype(dt)  # signs scale the columns


def identity(n: int, scale: float = 1.0, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """``scale`` times the identity matrix, the IRNN initialisation (Le et al., 2015).

    With ReLU and zero bias, a unit that stays active copies its value to the next step and adds
    the new input, so the step's Jacobian on the active units is the identity and gradients
    neither shrink nor grow along them.

    Parameters
    ----------
    n : int
        Size H of the square matrix.
    scale : float
        Positive value on the diagonal (Le et al. also try values below 1).
    dtype : numpy dtype
        float64 (default) or float32.

    Returns
    -------
    W : ndarray, shape (n, n)
    """
    n = check_positive_int("n", n)
    scale = _positive_float("scale", scale)
    return scale * np.eye(n, dtype=_float_dtype(dtype))


def scaled_to_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """Rescale ``W`` so that its spectral radius (largest ``|eigenvalue|``) equals ``radius``.

    The matrix is multiplied by ``radius / rho(W)``; eigenvectors and the shape of the spectrum are
    kept. The spectral *norm* is scaled by the same factor, so it stays at least ``radius``
    (for a large random Gaussian matrix it approaches twice the radius). ``rho(W)`` is computed in
    float64.

    Parameters
    ----------
    W : ndarray, shape (H, H)
        A square floating-point matrix with finite entries and a non-zero spectral radius.
    radius : float
        The spectral radius wanted, positive.

    Returns
    -------
    W_scaled : ndarray, shape (H, H), dtype of ``W``
        A new array; ``W`` is left untouched.
    """
    check_array("W", W, ("H", "H"), {})
    radius = _positive_float("radius", radius)
    rho = spectral_radius(W.astype(np.float64))
    if not rho > 1e-12 * max(np.linalg.norm(W.astype(np.float64), 2), np.finfo(np.float64).tiny):
        raise ValueError(
            f"W has spectral radius {rho:.3g} (all eigenvalues zero, e.g. a zero or nilpotent "
            f"matrix), so no rescaling gives radius {radius}"
        )
    return (W * (radius / rho)).astype(W.dtype)
