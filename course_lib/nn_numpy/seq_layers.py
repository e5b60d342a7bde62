"""The layers around a recurrent core in a sequence model: word embedding, a dense layer applied at
every step (temporal affine), and softmax cross-entropy over every step with a mask for padding.
Each is a ``*_forward`` / ``*_backward`` pair like the recurrent layers."""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_array

__all__ = [
    "word_embedding_forward",
    "word_embedding_backward",
    "temporal_affine_forward",
    "temporal_affine_backward",
    "temporal_softmax_loss",
]


def _check_ids(name: str, ids: object, upper: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu":
        got = ids.dtype if isinstance(ids, np.ndarray) else type(ids).__name__
        raise TypeError(f"{name} must be an integer numpy.ndarray, got {got}")
    if shape is not None and ids.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {ids.shape}")
    if ids.ndim != 2:
        raise ValueError(f"{name} must have 2 dimensions (N, T), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= upper):
        bad = ids[(ids < 0) | (ids >= upper)]
        raise ValueError(f"{name} must lie in [0, {upper}), got {bad[:5].tolist()}")
    return ids


def word_embedding_forward(x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Look up a vector for every token id.

    Parameters
    ----------
    x : int ndarray, shape (N, T)
        Token ids in ``[0, V)``.
    W : ndarray, shape (V, D)
        One row per vocabulary entry.

    Returns
    -------
    out : ndarray, shape (N, T, D)
        ``out[n, t] = W[x[n, t]]``.
    cache : tuple
    """
    check_array("W", W, ("V", "D"), {})
    _check_ids("x", x, W.shape[0])
    return W[x], (x, W.shape)


def word_embedding_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of the embedding matrix: each row collects the gradients of every position that
    used its token (``np.add.at`` adds repeated ids instead of overwriting them).

    Parameters
    ----------
    dout : ndarray, shape (N, T, D)

    Returns
    -------
    dW : ndarray, shape (V, D)
    """
    x, (V, D) = cache
    check_array("dout", dout, (*x.shape, D), {})
    dW = np.zeros((V, D), dtype=dout.dtype)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """The same dense layer at every step: ``out[:, t] = x[:, t] @ w + b``.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, T, M)
    cache : tuple
    """
    dims: dict[str, tuple[int, str]] = {}
    check_array("w", w, ("D", "M"), dims)
    check_array("b", b, ("M",), dims, w.dtype)
    check_array("x", x, ("N", "T", "D"), dims, w.dtype)
    return x @ w + b, (x, w)


def temporal_affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`temporal_affine_forward`.

    Parameters
    ----------
    dout : ndarray, shape (N, T, M)

    Returns
    -------
    dx : (N, T, D), dw : (D, M), db : (M,)
    """
    x, w = cache
    N, T, D = x.shape
    M = w.shape[1]
    check_array("dout", dout, (N, T, M), {}, w.dtype)
    d2 = dout.reshape(N * T, M)
    return dout @ w.T, x.reshape(N * T, D).T @ d2, d2.sum(axis=0)


def temporal_softmax_loss(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy at every step, averaged over the valid (unmasked) steps.

    The average is over tokens, so ``exp(loss)`` is the perplexity, and it equals
    ``torch.nn.functional.cross_entropy`` with the padded targets ignored.

    Parameters
    ----------
    x : ndarray, shape (N, T, V)
        Scores (logits) over a vocabulary of V entries at every step.
    y : int ndarray, shape (N, T)
        Target ids in ``[0, V)`` (any value is allowed where masked out, as long as it is in range).
    mask : bool ndarray, shape (N, T), optional
        False marks padding, which adds nothing to the loss or the gradient. Omitted: all valid.

    Returns
    -------
    loss : float
    dx : ndarray, shape (N, T, V)
    """
    check_array("x", x, ("N", "T", "V"), {})
    N, T, V = x.shape
    _check_ids("y", y, V, (N, T))
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (N, T):
        got = (mask.dtype, mask.shape) if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"mask must be a boolean array of shape {(N, T)}, got {got}")
    count = int(mask.sum())
    if count == 0:
        raise ValueError("mask marks no valid step: the average loss is undefined")
    shifted = x - x.max(axis=2, keepdims=True)  # for numerical stability; softmax is unchanged
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_p, y[:, :, None], axis=2)[:, :, 0]
    loss = -float(np.sum(picked * mask)) / count
    dx = np.exp(log_p)
    np.put_along_axis(dx, y[:, :, None], np.take_along_axis(dx, y[:, :, None], axis=2) - 1, axis=2)
    dx *= mask[:, :, None] / count
    return loss, dx
