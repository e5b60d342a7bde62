"""Tests for course_lib.nn_numpy.gradient_flow: Jacobian norms against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.nn_numpy.gradient_flow import jacobian_norms, spectral_radius
from course_lib.nn_numpy.rnn import rnn_forward

N, T, D, H = 3, 7, 4, 5


def _problem(seed: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H)) * 0.5
    Wx = rng.standard_normal((D, H)) * 0.5
    Wh = rng.standard_normal((H, H)) * scale / np.sqrt(H)
    b = rng.standard_normal(H) * 0.1
    return x, h0, Wx, Wh, b


def _torch_jacobian(args: tuple[np.ndarray, ...], nonlinearity: str, n: int, t: int) -> np.ndarray:
    """d h_T / d h_t for sequence n by autograd: run steps t+1..T from h_t (h_0 = h0)."""
    x, h0, Wx, Wh, b = (torch.from_numpy(a) for a in args)
    f = torch.tanh if nonlinearity == "tanh" else torch.relu
    h_all, _ = rnn_forward(*args, nonlinearity)
    h_t = h0[n] if t == 0 else torch.from_numpy(h_all[n, t - 1])

    def run_from(h: torch.Tensor) -> torch.Tensor:
        for s in range(t, T):  # x[:, s] is the input of state h_{s+1}
            h = f(x[n, s] @ Wx + h @ Wh + b)
        return h

    return torch.autograd.functional.jacobian(run_from, h_t).numpy()


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("t", [0, 1, 3, T - 1])
def test_matches_torch_autograd(nonlinearity: str, t: int) -> None:
    args = _problem(seed=1, scale=1.5)
    norms = jacobian_norms(*args, nonlinearity=nonlinearity)
    assert norms.shape == (N, T)
    for n in range(N):
        J = _torch_jacobian(args, nonlinearity, n, t)
        want = np.linalg.norm(J, 2)
        assert want > 1e-8, "test problem too degenerate: the Jacobian vanished"
        np.testing.assert_allclose(
            norms[n, t], want, rtol=1e-10,
            err_msg=f"||d h_T / d h_{t}|| of sequence {n} ({nonlinearity}) differs from autograd",
        )


def test_last_step_is_one_step_jacobian() -> None:
    """At distance 1 the product is a single factor diag(f'(a_T)) @ Wh.T."""
    x, h0, Wx, Wh, b = _problem(seed=2)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    norms = jacobian_norms(x, h0, Wx, Wh, b)
    for n in range(N):
        J = np.diag(1 - h[n, -1] ** 2) @ Wh.T
        np.testing.assert_allclose(norms[n, -1], np.linalg.norm(J, 2), rtol=1e-12)


def test_linear_regime_gives_matrix_power() -> None:
    """ReLU with every pre-activation positive is linear, so the norm is ||Wh^(T-t)||."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.0, (N, T, D))
    h0 = rng.uniform(0.5, 1.0, (N, H))
    Wx = rng.uniform(0.5, 1.0, (D, H))
    Wh = rng.uniform(0.0, 0.3, (H, H))  # non-negative, so every state stays positive
    b = np.zeros(H)
    norms = jacobian_norms(x, h0, Wx, Wh, b, nonlinearity="relu")
    want = [np.linalg.norm(np.linalg.matrix_power(Wh, T - t), 2) for t in range(T)]
    np.testing.assert_allclose(norms, np.broadcast_to(want, (N, T)), rtol=1e-12)


def test_float32_keeps_dtype() -> None:
    args = tuple(a.astype(np.float32) for a in _problem(seed=4))
    norms = jacobian_norms(*args)
    assert norms.dtype == np.float32
    np.testing.assert_allclose(
        norms, jacobian_norms(*(a.astype(np.float64) for a in args)), rtol=1e-4
    )


def test_bad_nonlinearity_is_named() -> None:
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .* got 'sigmoid'"):
        jacobian_norms(*_problem(seed=5), nonlinearity="sigmoid")


def test_bad_shape_is_named() -> None:
    x, h0, Wx, Wh, b = _problem(seed=6)
    with pytest.raises(ValueError, match=r"Wh must have shape \(H=5, H=5\), got \(5, 4\)"):
        jacobian_norms(x, h0, Wx, Wh[:, :4], b)


def test_spectral_radius() -> None:
    W = np.array([[0.0, 2.0], [-2.0, 0.0]])  # eigenvalues +-2i
    assert spectral_radius(W) == pytest.approx(2.0, rel=1e-12)
    W = np.array([[0.5, 10.0], [0.0, -0.8]])  # triangular: radius 0.8, norm about 10
    assert spectral_radius(W) == pytest.approx(0.8, rel=1e-12)
    assert spectral_radius(W) < np.linalg.norm(W, 2)


def test_spectral_radius_errors() -> None:
    with pytest.raises(ValueError, match=r"W must have shape \(H=2, H=2\), got \(2, 3\)"):
        spectral_radius(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"W must be a numpy.ndarray, got list"):
        spectral_radius([[1.0]])
    with pytest.raises(ValueError, match=r"W must be a non-empty square matrix, got shape"):
        spectral_radius(np.zeros((0, 0)))
