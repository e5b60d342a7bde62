"""Truncated backpropagation through time (Williams and Peng, 1990).

A long sequence is cut into chunks of ``k`` steps. The hidden state is carried from one chunk to
the next, so the forward pass sees the whole past, but the gradient stops at each chunk border:
memory and time per update are those of ``k`` steps, and no gradient links effects more than ``k``
steps apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_positive_int
from course_lib.nn_numpy.rnn import rnn_backward, rnn_forward

__all__ = ["ChunkResult", "tbptt_chunks", "truncated_bptt"]

LossGrad = Callable[[np.ndarray, int], tuple[float, np.ndarray]]


@dataclass
class ChunkResult:
    """Loss and gradients of one chunk.

    Attributes
    ----------
    start : int
        Index of the chunk's first step in the full sequence.
    loss : float
        What ``loss_grad`` returned for the chunk.
    grads : dict
        ``{"Wx": (D, H), "Wh": (H, H), "b": (H,)}`` for this chunk alone.
    h_last : ndarray, shape (N, H)
        Hidden state after the chunk's last step (carried into the next chunk).
    """

    start: int
    loss: float
    grads: dict[str, np.ndarray]
    h_last: np.ndarray


def tbptt_chunks(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    k: int,
    loss_grad: LossGrad,
    nonlinearity: str = "tanh",
) -> Iterator[ChunkResult]:
    """Yield the loss and gradients of each chunk of ``k`` steps in turn.

    Weights are read when each chunk starts, so a training loop may update ``Wx``, ``Wh`` and
    ``b`` *in place* between chunks (the usual way truncated BPTT is trained).

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx, Wh, b : ndarray, shapes (D, H), (H, H), (H,)
    k : int
        Chunk length (the truncation); the last chunk may be shorter.
    loss_grad : callable ``(h_chunk, start) -> (loss, dh_chunk)``
        Given the chunk's hidden states ``(N, k, H)`` and the index of its first step, returns the
        chunk's loss and its gradient with respect to ``h_chunk``.
    nonlinearity : {"tanh", "relu"}
    """
    k = check_positive_int("k", k)
    h_prev = h0
    for start in range(0, x.shape[1], k):
        h, cache = rnn_forward(x[:, start : start + k], h_prev, Wx, Wh, b, nonlinearity)
        loss, dh = loss_grad(h, start)
        # dh0 (second output) is dropped: this is where the gradient is cut.
        _, _, dWx, dWh, db = rnn_backward(dh, cache)
        h_prev = h[:, -1].copy()
        yield ChunkResult(start, float(loss), {"Wx": dWx, "Wh": dWh, "b": db}, h_prev)


def truncated_bptt(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    k: int,
    loss_grad: LossGrad,
    nonlinearity: str = "tanh",
) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """Total loss and truncated gradient of the whole sequence for fixed weights.

    The gradient is the sum of the chunks' gradients from :func:`tbptt_chunks`. With ``k >= T``
    it equals the full BPTT gradient of :func:`~course_lib.nn_numpy.rnn_backward`.

    Returns
    -------
    loss : float
        Sum of the chunks' losses.
    grads : dict
        ``{"Wx": (D, H), "Wh": (H, H), "b": (H,)}``.
    h_last : ndarray, shape (N, H)
        Final hidden state.
    """
    total, grads, h_last = 0.0, {"Wx": 0.0, "Wh": 0.0, "b": 0.0}, h0
    for chunk in tbptt_chunks(x, h0, Wx, Wh, b, k, loss_grad, nonlinearity):
        total += chunk.loss
        grads = {name: grads[name] + g for name, g in chunk.grads.items()}
        h_last = chunk.h_last
    return total, grads, h_last
