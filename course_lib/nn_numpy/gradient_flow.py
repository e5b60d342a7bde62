"""How far gradients travel back in time in a vanilla RNN.

The analysis is that of Bengio et al. (1994) and Pascanu et al. (2013).

In the row-vector convention of :mod:`course_lib.nn_numpy.rnn` one step is
``h_s = f(a_s)`` with ``a_s = x_s @ Wx + h_{s-1} @ Wh + b``. Its Jacobian, with entry (i, j) equal
to ``d h_s[i] / d h_{s-1}[j]``, is ``diag(f'(a_s)) @ Wh.T``, and the chain rule gives

    d h_T / d h_t = J_T @ J_{T-1} @ ... @ J_{t+1},    J_s = diag(f'(a_s)) @ Wh.T.

:func:`jacobian_norms` builds these products for one batch, starting from the identity at t = T and
multiplying one step's Jacobian on the right at a time, and returns the spectral norm (largest
singular value) of each. Its size says how strongly a change at step t can still move the last
state, and so how much gradient from a loss on ``h_T`` reaches step t.
"""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_array
from course_lib.nn_numpy.rnn import _activation_grad, rnn_forward

__all__ = ["jacobian_norms", "spectral_radius"]


def jacobian_norms(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """Spectral norm of ``d h_T / d h_t`` for every earlier state, sequence by sequence.

    States are numbered as in the book: ``h_0`` is the initial state ``h0`` and ``h_t`` (t >= 1) is
    ``h[:, t - 1]`` of :func:`~course_lib.nn_numpy.rnn.rnn_forward`. Column ``t`` of the result
    is ``||d h_T / d h_t||_2`` for t = 0, ..., T - 1, so the distance back in time is ``T - t``
    (from T down to 1). The trivial ``d h_T / d h_T = I`` (norm 1) is left out.

    Every sequence is taken at full length (``rnn_forward`` is called without ``mask``).
    The norms are per sequence, not averaged: each sequence has its own ``f'(a_s)``. Average (or
    take the median) over axis 0 yourself. The Jacobians are computed in the inputs' dtype; use
    float64 when the norms span many orders of magnitude (float32 underflows below about 1e-38).

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequences, batch first.
    h0 : ndarray, shape (N, H)
        Initial hidden state ``h_0``.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden (recurrent) weights, used as ``h @ Wh``.
    b : ndarray, shape (H,)
        Bias.
    nonlinearity : {"tanh", "relu"}
        The activation ``f``; ReLU's derivative at 0 is taken as 0, as in ``rnn_backward``.

    Returns
    -------
    norms : ndarray, shape (N, T)
        ``norms[n, t]`` is the largest singular value of ``d h_T / d h_t`` for sequence n.
    """
    # rnn_forward checks every argument (shapes, dtypes, finiteness, nonlinearity).
    h, _ = rnn_forward(x, h0, Wx, Wh, b, nonlinearity)
    N, T, H = h.shape
    deriv = _activation_grad(h, nonlinearity)  # (N, T, H): deriv[:, s - 1] is f'(a_s)
    J = np.broadcast_to(np.eye(H, dtype=h.dtype), (N, H, H)).copy()  # d h_T / d h_T
    norms = np.empty((N, T), dtype=h.dtype)
    for t in reversed(range(T)):
        # d h_T / d h_t = (d h_T / d h_{t+1}) @ diag(f'(a_{t+1})) @ Wh.T
        J = (J * deriv[:, t][:, None, :]) @ Wh.T
        norms[:, t] = np.linalg.svd(J, compute_uv=False)[:, 0]
    return norms


def spectral_radius(W: np.ndarray) -> float:
    """Largest absolute value of the eigenvalues of a square matrix.

    For the recurrent matrix it sets how ``||Wh^k||`` behaves for large k (``||Wh^k||^(1/k)``
    tends to it), so a linear RNN forgets when it is below 1 and blows up when it is above.
    It never exceeds the spectral norm ``np.linalg.norm(W, 2)``, and is often well below it.

    Parameters
    ----------
    W : ndarray, shape (H, H)
        A square floating-point matrix with finite entries.

    Returns
    -------
    rho : float
        ``max |lambda_i(W)|``.
    """
    check_array("W", W, ("H", "H"), {})
    if W.shape[0] == 0:
        raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))
