"""Tests for course_lib.nn_numpy.init: recurrent-weight initialisers."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.nn_numpy.gradient_flow import spectral_radius
from course_lib.nn_numpy.init import identity, orthogonal, scaled_to_radius


@pytest.mark.parametrize("n", [1, 2, 16, 64])
def test_orthogonal_is_orthogonal(n: int) -> None:
    Q = orthogonal(n, np.random.default_rng(0))
    assert Q.shape == (n, n) and Q.dtype == np.float64
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), rtol=0, atol=1e-12)
    np.testing.assert_allclose(Q @ Q.T, np.eye(n), rtol=0, atol=1e-12)


def test_orthogonal_gain_sets_every_singular_value() -> None:
    W = orthogonal(8, np.random.default_rng(1), gain=0.9)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 0.9, rtol=1e-12)
    assert spectral_radius(W) == pytest.approx(0.9, rel=1e-12)


def test_orthogonal_is_reproducible_and_float32() -> None:
    a = orthogonal(5, np.random.default_rng(7))
    b = orthogonal(5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    c = orthogonal(5, np.random.default_rng(7), dtype=np.float32)
    assert c.dtype == np.float32
    np.testing.assert_allclose(c, a, rtol=0, atol=1e-7)


def test_orthogonal_sign_correction_makes_it_uniform() -> None:
    """Haar-uniform 2x2 rotations have a uniform angle, so the mean of Q[0, 0] is 0.

    Without the sign correction LAPACK's convention makes R's diagonal negative and Q[0, 0] is
    concentrated on one side.
    """
    rng = np.random.default_rng(2)
    first = np.array([orthogonal(2, rng)[0, 0] for _ in range(4000)])
    assert abs(first.mean()) < 0.05  # standard error is about 0.011
    assert 0.45 < np.mean(first**2) < 0.55  # E[cos^2] = 1/2


def test_identity() -> None:
    np.testing.assert_array_equal(identity(3), np.eye(3))
    W = identity(4, scale=0.5, dtype=np.float32)
    assert W.dtype == np.float32
    np.testing.assert_array_equal(W, 0.5 * np.eye(4, dtype=np.float32))


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.5])
def test_scaled_to_radius(radius: float) -> None:
    W = np.random.default_rng(3).standard_normal((32, 32))
    W_copy = W.copy()
    S = scaled_to_radius(W, radius)
    assert spectral_radius(S) == pytest.approx(radius, rel=1e-10)
    np.testing.assert_array_equal(W, W_copy)  # input untouched
    ratio = S / W
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-12)  # one common factor


def test_scaled_to_radius_float32() -> None:
    W = np.random.default_rng(4).standard_normal((16, 16)).astype(np.float32)
    S = scaled_to_radius(W, 1.1)
    assert S.dtype == np.float32
    assert spectral_radius(S.astype(np.float64)) == pytest.approx(1.1, rel=1e-5)


def test_orthogonal_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"n must be a positive int, got 0"):
        orthogonal(0, rng)
    with pytest.raises(TypeError, match=r"n must be a positive int, got float 3.0"):
        orthogonal(3.0, rng)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator .* got int"):
        orthogonal(3, 0)
    with pytest.raises(ValueError, match=r"gain must be a positive finite number, got -1.0"):
        orthogonal(3, rng, gain=-1.0)
    with pytest.raises(TypeError, match=r"dtype must be a floating NumPy dtype .* got int64"):
        orthogonal(3, rng, dtype=np.int64)


def test_identity_errors() -> None:
    with pytest.raises(ValueError, match=r"n must be a positive int, got -2"):
        identity(-2)
    with pytest.raises(ValueError, match=r"scale must be a positive finite number, got inf"):
        identity(2, scale=float("inf"))
    with pytest.raises(TypeError, match=r"dtype must be a floating NumPy dtype, got 'banana'"):
        identity(2, dtype="banana")


def test_scaled_to_radius_errors() -> None:
    with pytest.raises(ValueError, match=r"W must have shape \(H=2, H=2\), got \(2, 3\)"):
        scaled_to_radius(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match=r"radius must be a positive finite number, got 0"):
        scaled_to_radius(np.eye(2), 0)
    with pytest.raises(TypeError, match=r"radius must be a positive number, got str '1'"):
        scaled_to_radius(np.eye(2), "1")
    nilpotent = np.array([[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"spectral radius 0 .* no rescaling gives radius 1.0"):
        scaled_to_radius(nilpotent, 1.0)
    with pytest.raises(TypeError, match=r"W must have a floating dtype"):
        scaled_to_radius(np.eye(2, dtype=int), 1.0)
