"""Gated recurrent unit (Cho et al., 2014) in NumPy, with hand-written backward passes.

Gate order and bias placement follow PyTorch so that ``torch.nn.GRU`` can serve as the oracle: the
3H columns of ``Wx``, ``Wh``, ``bx`` and ``bh`` are the blocks r (reset), z (update), n (candidate),
and the reset gate multiplies the *whole* recurrent term of the candidate, bias included::

    xa = x @ Wx + bx                                 # (N, 3H)
    ha = h_prev @ Wh + bh                            # (N, 3H)
    r = sigmoid(xa_r + ha_r)
    z = sigmoid(xa_z + ha_z)
    n = tanh(xa_n + r * ha_n)
    h_next = (1 - z) * n + z * h_prev                # interpolation between new and old
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_array, check_mask
from course_lib.nn_numpy._layer import RecurrentLayer
from course_lib.nn_numpy.lstm import sigmoid

__all__ = [
    "gru_step_forward",
    "gru_step_backward",
    "gru_forward",
    "gru_backward",
    "GRUStepCache",
    "GRUCache",
    "GRU",
]


def _check_args(x, x_shape, h_name, h, Wx, Wh, bx, bh) -> None:
    """Weights first (they fix D and H), then x and the state; x fixes the dtype."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        check_array("x", x, x_shape, {})
    dims: dict[str, tuple[int, str]] = {}
    check_array("Wh", Wh, (None, None), dims, x.dtype)
    H = Wh.shape[0]
    check_array("Wh", Wh, ("H", 3 * H), dims, x.dtype)
    check_array("Wx", Wx, ("D", 3 * H), dims, x.dtype)
    check_array("bx", bx, (3 * H,), dims, x.dtype)
    check_array("bh", bh, (3 * H,), dims, x.dtype)
    check_array("x", x, x_shape, dims, x.dtype)
    check_array(h_name, h, ("N", "H"), dims, x.dtype)


def _cell(xa: np.ndarray, ha: np.ndarray, h_prev: np.ndarray, H: int):
    """Gates and new state from the two projections; returns (h_next, r, z, n)."""
    rz = sigmoid(xa[:, : 2 * H] + ha[:, : 2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(xa[:, 2 * H :] + r * ha[:, 2 * H :])
    return (1 - z) * n + z * h_prev, r, z, n


def _cell_grads(dh, h_prev, r, z, n, ha_n, H):
    """Gradients at the input projection (N, 3H), the recurrent projection (N, 3H) and h_prev."""
    dn = dh * (1 - z)
    da_n = dn * (1 - n * n)  # at the tanh's input
    dxa = np.empty((dh.shape[0], 3 * H), dtype=dh.dtype)
    dxa[:, :H] = da_n * ha_n * r * (1 - r)  # reset gate: n depends on r through r * ha_n
    dxa[:, H : 2 * H] = dh * (h_prev - n) * z * (1 - z)  # update gate
    dxa[:, 2 * H :] = da_n
    dha = dxa.copy()
    dha[:, 2 * H :] = da_n * r  # the recurrent candidate term is scaled by r
    return dxa, dha, dh * z  # the last is the direct path h_prev -> z * h_prev


@dataclass
class GRUStepCache:
    """What :func:`gru_step_backward` needs from the forward step."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    r: np.ndarray  # (N, H)
    z: np.ndarray  # (N, H)
    n: np.ndarray  # (N, H)
    ha_n: np.ndarray  # (N, H): h_prev @ Wh_n + bh_n, the term that r scales


def gru_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    bx: np.ndarray,
    bh: np.ndarray,
) -> tuple[np.ndarray, GRUStepCache]:
    """One GRU step.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 3H)
        Input weights, column blocks r, z, n.
    Wh : ndarray, shape (H, 3H)
    bx : ndarray, shape (3H,)
        Input bias (torch's ``bias_ih``).
    bh : ndarray, shape (3H,)
        Recurrent bias (torch's ``bias_hh``); its n block sits inside the reset gate's product.

    Returns
    -------
    h_next : ndarray, shape (N, H)
    cache : GRUStepCache
    """
    _check_args(x, ("N", "D"), "h_prev", h_prev, Wx, Wh, bx, bh)
    H = h_prev.shape[1]
    ha = h_prev @ Wh + bh
    h_next, r, z, n = _cell(x @ Wx + bx, ha, h_prev, H)
    return h_next, GRUStepCache(x, h_prev, Wx, Wh, r, z, n, ha[:, 2 * H :])


def gru_step_backward(
    dh_next: np.ndarray, cache: GRUStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`gru_step_forward`.

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dWx : (D, 3H), dWh : (H, 3H), dbx : (3H,), dbh : (3H,)
    """
    check_array("dh_next", dh_next, cache.h_prev.shape, {}, cache.h_prev.dtype)
    H = cache.h_prev.shape[1]
    dxa, dha, dh_direct = _cell_grads(dh_next, cache.h_prev, cache.r, cache.z, cache.n, cache.ha_n, H)
    return (
        dxa @ cache.Wx.T,
        dh_direct + dha @ cache.Wh.T,
        cache.x.T @ dxa,
        cache.h_prev.T @ dha,
        dxa.sum(axis=0),
        dha.sum(axis=0),
    )


@dataclass
class GRUCache:
    """What :func:`gru_backward` needs from the forward pass over a sequence (4·N·H per step
    besides the input: r, z, n, ha_n; plus the hidden states)."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    rzn: np.ndarray  # (N, T, 3H): r, z, n of every step
    ha_n: np.ndarray  # (N, T, H)
    h: np.ndarray  # (N, T, H): hidden state after each step (held where masked)
    mask: np.ndarray | None  # (N, T) bool, or None

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays that grow with the sequence."""
        return sum(a.nbytes for a in (self.x, self.rzn, self.ha_n, self.h))


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    bx: np.ndarray,
    bh: np.ndarray,
    *,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, GRUCache]:
    """Run a GRU over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 3H)
    Wh : ndarray, shape (H, 3H)
    bx, bh : ndarray, shape (3H,)
    mask : ndarray of bool, shape (N, T), optional
        False marks padding: the state is held and the output is zero there.

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Output of every step (zero where masked); the final state is ``cache.h[:, -1]``.
    cache : GRUCache
    """
    _check_args(x, ("N", "T", "D"), "h0", h0, Wx, Wh, bx, bh)
    N, T, _ = x.shape
    mask = check_mask(mask, N, T)
    H = h0.shape[1]
    xa = x @ Wx + bx  # (N, T, 3H), all steps at once
    rzn = np.empty_like(xa)
    ha_n = np.empty((N, T, H), dtype=x.dtype)
    h = np.empty((N, T, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        ha = h_prev @ Wh + bh
        h_t, rzn[:, t, :H], rzn[:, t, H : 2 * H], rzn[:, t, 2 * H :] = _cell(xa[:, t], ha, h_prev, H)
        ha_n[:, t] = ha[:, 2 * H :]
        h[:, t] = h_t if mask is None else np.where(mask[:, t, None], h_t, h_prev)
        h_prev = h[:, t]
    out = h if mask is None else h * mask[:, :, None]
    return out, GRUCache(x, h0, Wx, Wh, rzn, ha_n, h, mask)


def gru_backward_full(
    dh: np.ndarray, cache: GRUCache, dh_last: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT for :func:`gru_forward`, with an optional upstream gradient of the final state.

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWx : (D, 3H), dWh : (H, 3H), dbx : (3H,), dbh : (3H,)
    """
    x = cache.x
    N, T, D = x.shape
    H = cache.h0.shape[1]
    check_array("dh", dh, (N, T, H), {}, x.dtype)
    mask = cache.mask
    if mask is not None:
        dh = dh * mask[:, :, None]
    dxa = np.empty_like(cache.rzn)
    dha = np.empty_like(cache.rzn)
    dh_carry = np.zeros_like(cache.h0) if dh_last is None else dh_last.copy()
    WhT = cache.Wh.T
    for t in reversed(range(T)):
        gh = dh[:, t] + dh_carry
        h_prev = cache.h[:, t - 1] if t > 0 else cache.h0
        r, z, n = cache.rzn[:, t, :H], cache.rzn[:, t, H : 2 * H], cache.rzn[:, t, 2 * H :]
        g_in = gh if mask is None else gh * mask[:, t, None]
        dxa[:, t], dha[:, t], dh_direct = _cell_grads(g_in, h_prev, r, z, n, cache.ha_n[:, t], H)
        dh_carry = dh_direct + dha[:, t] @ WhT
        if mask is not None:  # held states pass their gradient straight back
            dh_carry += gh * ~mask[:, t, None]
    h_prev_all = np.concatenate([cache.h0[:, None], cache.h[:, :-1]], axis=1)
    dxa2, dha2 = dxa.reshape(N * T, 3 * H), dha.reshape(N * T, 3 * H)
    dx = (dxa2 @ cache.Wx.T).reshape(N, T, D)
    dWx = x.reshape(N * T, D).T @ dxa2
    dWh = h_prev_all.reshape(N * T, H).T @ dha2
    return dx, dh_carry, dWx, dWh, dxa2.sum(axis=0), dha2.sum(axis=0)


def gru_backward(
    dh: np.ndarray, cache: GRUCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every output step.
    cache : GRUCache

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWx : (D, 3H), dWh : (H, 3H), dbx : (3H,), dbh : (3H,)
    """
    return gru_backward_full(dh, cache)


class GRU(RecurrentLayer):
    """A multi-layer, optionally bidirectional GRU with the contract of ``torch.nn.GRU``.

    Constructor arguments as :class:`course_lib.nn_numpy.RNN` (without ``nonlinearity``); weights
    are ``weight_ih_l{k}`` (3H, D_k), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (3H,), blocks in the order r, z, n, plus ``_reverse`` copies when
    bidirectional. The two biases are kept apart (``bx``, ``bh`` of :func:`gru_forward`) because
    the reset gate multiplies the recurrent one.
    """

    gates = 3
    torch_name = "GRU"

    def _run(self, x, states, weights, mask):
        out, cache = gru_forward(x, states[0], *weights, mask=mask)
        return out, (cache.h[:, -1],), cache

    def _grad(self, d_out, d_finals, cache):
        dx, dh0, dWx, dWh, dbx, dbh = gru_backward_full(d_out, cache, d_finals[0])
        return dx, (dh0,), (dWx, dWh, dbx, dbh)

    def forward(self, x: np.ndarray, hx: np.ndarray | None = None, lengths=None):
        """Run every layer and direction; arguments and results as :meth:`course_lib.nn_numpy.RNN.forward`.

        Returns
        -------
        output : ndarray, shape (T, N, dirs*H), (N, T, dirs*H) if ``batch_first``, or (T, dirs*H)
        h_n : ndarray, shape (L*dirs, N, H) or (L*dirs, H) unbatched
        """
        return super().forward(x, hx, lengths)

    def backward(self, d_output: np.ndarray, d_h_n: np.ndarray | None = None) -> np.ndarray:
        """Backpropagate the last :meth:`forward`; fill :attr:`grads` and :attr:`d_hx`; return dx."""
        return super().backward(d_output, d_h_n)
