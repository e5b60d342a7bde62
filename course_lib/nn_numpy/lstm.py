"""Long short-term memory (Hochreiter and Schmidhuber, 1997) in NumPy, with hand-written backward passes.

Gate order follows PyTorch so that ``torch.nn.LSTM`` can serve as the oracle: the 4H columns of
``Wx``, ``Wh`` and ``b`` are the blocks i (input gate), f (forget gate), g (candidate), o (output
gate). One step, in the row-vector convention of :mod:`course_lib.nn_numpy`::

    a = x @ Wx + h_prev @ Wh + b                     # (N, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g = tanh(a_g)
    c_next = f * c_prev + i * g                      # the additive "conveyor" update
    h_next = o * tanh(c_next)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_array, check_mask
from course_lib.nn_numpy._layer import RecurrentLayer

__all__ = [
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "LSTMStepCache",
    "LSTMCache",
    "sigmoid",
    "LSTM",
]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-a))``, computed without overflow for large ``|a|``."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _check_args(x, x_shape, states, Wx, Wh, b) -> None:
    """Weights first (they fix D and H, and 4H), then x and the states; x fixes the dtype."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        check_array("x", x, x_shape, {})
    dims: dict[str, tuple[int, str]] = {}
    check_array("Wh", Wh, (None, None), dims, x.dtype)
    H = Wh.shape[0]
    check_array("Wh", Wh, ("H", 4 * H), dims, x.dtype)
    check_array("Wx", Wx, ("D", 4 * H), dims, x.dtype)
    check_array("b", b, (4 * H,), dims, x.dtype)
    check_array("x", x, x_shape, dims, x.dtype)
    for name, value in states:
        check_array(name, value, ("N", "H"), dims, x.dtype)


def _gates(a: np.ndarray, H: int) -> np.ndarray:
    """Apply the gate nonlinearities in place to ``a`` (..., 4H): sigmoid on i, f, o; tanh on g."""
    a[..., : 2 * H] = sigmoid(a[..., : 2 * H])
    a[..., 2 * H : 3 * H] = np.tanh(a[..., 2 * H : 3 * H])
    a[..., 3 * H :] = sigmoid(a[..., 3 * H :])
    return a


def _gate_grads(dc_total, dh, gates, c_prev, tanh_c, H):
    """Gradient at the gates' pre-activations (N, 4H) and at c_prev, for one step."""
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    dc = dc_total + dh * o * (1 - tanh_c * tanh_c)  # c_next reaches the loss directly and via h
    da = np.empty_like(gates)
    da[:, :H] = dc * g * i * (1 - i)  # input gate
    da[:, H : 2 * H] = dc * c_prev * f * (1 - f)  # forget gate
    da[:, 2 * H : 3 * H] = dc * i * (1 - g * g)  # candidate
    da[:, 3 * H :] = dh * tanh_c * o * (1 - o)  # output gate
    return da, dc * f


@dataclass
class LSTMStepCache:
    """What :func:`lstm_step_backward` needs from the forward step."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    gates: np.ndarray  # (N, 4H): i, f, g, o after their nonlinearities
    tanh_c: np.ndarray  # (N, H)


def lstm_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    """One LSTM step.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    c_prev : ndarray, shape (N, H)
        Previous cell state.
    Wx : ndarray, shape (D, 4H)
        Input weights, column blocks i, f, g, o.
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h_next : ndarray, shape (N, H)
    c_next : ndarray, shape (N, H)
    cache : LSTMStepCache
    """
    _check_args(x, ("N", "D"), (("h_prev", h_prev), ("c_prev", c_prev)), Wx, Wh, b)
    H = h_prev.shape[1]
    gates = _gates(x @ Wx + h_prev @ Wh + b, H)
    c_next = gates[:, H : 2 * H] * c_prev + gates[:, :H] * gates[:, 2 * H : 3 * H]
    tanh_c = np.tanh(c_next)
    h_next = gates[:, 3 * H :] * tanh_c
    return h_next, c_next, LSTMStepCache(x, h_prev, c_prev, Wx, Wh, gates, tanh_c)


def lstm_step_backward(
    dh_next: np.ndarray, dc_next: np.ndarray, cache: LSTMStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`lstm_step_forward`.

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
    dc_next : ndarray, shape (N, H)
        Gradient with respect to ``c_next`` from later steps (zeros at the last step).
    cache : LSTMStepCache

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dc_prev : (N, H), dWx : (D, 4H), dWh : (H, 4H), db : (4H,)
    """
    shape, dtype = cache.h_prev.shape, cache.h_prev.dtype
    check_array("dh_next", dh_next, shape, {}, dtype)
    check_array("dc_next", dc_next, shape, {}, dtype)
    da, dc_prev = _gate_grads(dc_next, dh_next, cache.gates, cache.c_prev, cache.tanh_c, shape[1])
    return (
        da @ cache.Wx.T,
        da @ cache.Wh.T,
        dc_prev,
        cache.x.T @ da,
        cache.h_prev.T @ da,
        da.sum(axis=0),
    )


@dataclass
class LSTMCache:
    """What :func:`lstm_backward` needs from the forward pass over a sequence.

    Arrays are stored time-major, (T, N, ...), so that each step's slice is contiguous in memory.
    Per step it keeps the four gate activations (4H), the cell state and its tanh (2H) and the
    hidden state (H): 7·N·H numbers per step, besides the input.

    :func:`lstm_forward` keeps the input and the hidden states side by side in one array ``xh``,
    so that the backward pass gets every weight gradient from one matrix product; ``x`` and
    ``h_tm`` are then views of ``xh``. A cache built by hand may leave ``xh`` out.
    """

    x: np.ndarray  # (T, N, D), time-major copy of the input
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    gates_tm: np.ndarray  # (T, N, 4H): i, f, g, o after their nonlinearities
    c_tm: np.ndarray  # (T, N, H): cell state after each step (held, not updated, where masked)
    tanh_c_tm: np.ndarray  # (T, N, H)
    h_tm: np.ndarray  # (T, N, H): hidden state after each step (held where masked)
    mask: np.ndarray | None  # (T, N, 1) bool, or None when every step is valid
    xh: np.ndarray | None = None  # (T + 1, N, D + 1 + H): row t is [x_t, 1, h_{t-1}]

    # Batch-first views, for reading (plots of gate activations, final states).
    @property
    def gates(self) -> np.ndarray:
        """Gate activations i, f, g, o of every step, (N, T, 4H)."""
        return self.gates_tm.transpose(1, 0, 2)

    @property
    def c(self) -> np.ndarray:
        """Cell states (N, T, H); ``c[:, -1]`` is the final cell state."""
        return self.c_tm.transpose(1, 0, 2)

    @property
    def h(self) -> np.ndarray:
        """Hidden states (N, T, H); ``h[:, -1]`` is the final hidden state."""
        return self.h_tm.transpose(1, 0, 2)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays that grow with the sequence (kept for the backward pass)."""
        return sum(a.nbytes for a in (self.x, self.gates_tm, self.c_tm, self.tanh_c_tm, self.h_tm))


def _gate_affine(H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Column factors (4H,) that turn ``tanh`` into the gate nonlinearities.

    ``sigmoid(a) = 0.5 * tanh(a / 2) + 0.5``, so with the i, f, o columns of the pre-activation
    halved (``a * scale``), ``tanh(a * scale) * scale + shift`` gives sigmoid on i, f, o and tanh
    on g: ``scale`` is 0.5 on i, f, o and 1 on g, and ``shift = 1 - scale``.
    """
    scale = np.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H : 3 * H] = 1
    return scale, 1 - scale


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    c0: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, LSTMCache]:
    """Run an LSTM over a whole sequence.

    The same computation as calling :func:`lstm_step_forward` T times, arranged for speed:

    * the input projection ``x @ Wx + b`` of every step is one matrix product before the loop;
      the bias rides along as the weight of a constant input 1;
    * arrays are time-major, so each step reads and writes contiguous memory, and the work
      inside the loop is done in place in preallocated arrays;
    * one ``tanh`` call covers all four gates of a step, through the identity
      ``sigmoid(a) = 0.5 * tanh(a / 2) + 0.5`` (the i, f, o columns of the weights are halved
      once, before the loop, and two whole-row operations finish the sigmoids);
    * each step's input ``x_t``, a constant 1 and the previous hidden state ``h_{t-1}`` sit side
      by side in one row ``xh[t]`` (see :class:`LSTMCache`), which hands the backward pass every
      weight gradient in a single matrix product.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
    c0 : ndarray, shape (N, H), optional
        Initial cell state; zeros if omitted.
    mask : ndarray of bool, shape (N, T), optional
        False marks padding: there the state is held and the output is zero (variable-length
        batches). Omitted means every step is valid.

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state (the output) of every step; zero where ``mask`` is False.
    cache : LSTMCache
        The final states are ``cache.h[:, -1]`` and ``cache.c[:, -1]``.
    """
    c0 = np.zeros_like(h0) if c0 is None and isinstance(h0, np.ndarray) else c0
    _check_args(x, ("N", "T", "D"), (("h0", h0), ("c0", c0)), Wx, Wh, b)
    N, T, D = x.shape
    H = h0.shape[1]
    mask_tm = None if mask is None else check_mask(mask, N, T).T[:, :, None]
    scale, shift = _gate_affine(H, x.dtype)
    # xh[t] = [x_t, 1, h_{t-1}]; the spare row T holds the last hidden state h_{T-1}.
    xh = np.empty((T + 1, N, D + 1 + H), dtype=x.dtype)
    xh[:T, :, :D] = x.transpose(1, 0, 2)
    xh[:, :, D] = 1
    xh[T, :, :D] = 0
    xh[0, :, D + 1 :] = h0
    x1_tm, h_tm = xh[:T, :, : D + 1], xh[1:, :, D + 1 :]  # views: [x_t, 1] and h_t
    # Input projection and bias of every step at once; the sigmoid gates' columns halved.
    W1 = np.concatenate([Wx, b[None]]) * scale  # (D + 1, 4H)
    gates = (x1_tm.reshape(T * N, D + 1) @ W1).reshape(T, N, 4 * H)
    Wh_half = np.multiply(Wh, scale, order="C")  # row-major: BLAS is faster with it here
    c = np.empty((T, N, H), dtype=x.dtype)
    tanh_c = np.empty_like(c)
    ig = np.empty((N, H), dtype=x.dtype)
    rec = np.empty((N, 4 * H), dtype=x.dtype)
    c_prev = c0
    for t in range(T):
        a, h_prev = gates[t], xh[t, :, D + 1 :]
        np.matmul(h_prev, Wh_half, out=rec)
        a += rec
        np.tanh(a, out=a)
        a *= scale  # the affine step of the sigmoid identity (g is untouched: 1 * g + 0)
        a += shift
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, c_prev, out=c[t])
        np.multiply(i, g, out=ig)
        c[t] += ig
        if mask_tm is not None:  # padded sequences hold their state
            np.copyto(c[t], c_prev, where=~mask_tm[t])
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h_tm[t])
        if mask_tm is not None:
            np.copyto(h_tm[t], h_prev, where=~mask_tm[t])
        c_prev = c[t]
    out = h_tm if mask_tm is None else h_tm * mask_tm
    cache = LSTMCache(x1_tm[..., :D], h0, c0, Wx, Wh, gates, c, tanh_c, h_tm, mask_tm, xh)
    return out.transpose(1, 0, 2), cache


def lstm_backward_full(
    dh: np.ndarray,
    cache: LSTMCache,
    dh_last: np.ndarray | None = None,
    dc_last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT for :func:`lstm_forward` with gradients for the final states too.

    Per step, with ``gh`` the gradient reaching ``h_t`` and ``gc`` the one reaching ``c_t``::

        dc   = gc + gh * o * (1 - tanh(c_t)^2)
        da_i = dc * g * i (1 - i)        da_f = dc * c_{t-1} * f (1 - f)
        da_g = dc * i * (1 - g^2)        da_o = gh * tanh(c_t) * o (1 - o)
        gh_{t-1} = da @ Wh^T (+ upstream)        gc_{t-1} = dc * f

    The loop works on one step's small, cache-resident arrays, in place in preallocated buffers,
    and computes the gates' own derivatives for all four blocks at once. The weight gradients are
    sums over steps, so after the loop they are one matrix product (``xh^T @ da``, which stacks
    ``dWx``, ``db`` and ``dWh``), and ``dx`` is another.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every output step.
    cache : LSTMCache
    dh_last, dc_last : ndarray, shape (N, H), optional
        Upstream gradients of the final hidden and cell states (a layer's ``h_n`` and ``c_n``).

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dc0 : (N, H), dWx : (D, 4H), dWh : (H, 4H), db : (4H,)
    """
    x, Wh, gates, mask = cache.x, cache.Wh, cache.gates_tm, cache.mask
    T, N, D = x.shape
    H = cache.h0.shape[1]
    check_array("dh", dh, (N, T, H), {}, x.dtype)
    dh_tm = dh.transpose(1, 0, 2)
    if mask is not None:
        dh_tm = dh_tm * mask  # padded outputs are constant zeros
    # (1 - s) * (s + plus1_g) is s (1 - s) on the sigmoid gates and (1 - g)(1 + g) on g
    plus1_g = np.zeros(4 * H, dtype=x.dtype)
    plus1_g[2 * H : 3 * H] = 1
    da = np.empty_like(gates)  # gradient at the gates' pre-activations, every step
    WhT = np.ascontiguousarray(Wh.T)
    gh, dc, k = (np.empty((N, H), dtype=x.dtype) for _ in range(3))
    s_plus = np.empty((N, 4 * H), dtype=x.dtype)
    dh_carry = np.zeros((N, H), dtype=x.dtype) if dh_last is None else dh_last.copy()
    dc_carry = np.zeros((N, H), dtype=x.dtype) if dc_last is None else dc_last.copy()
    for t in reversed(range(T)):
        s, d = gates[t], da[t]
        i, f, g, o = (s[:, j * H : (j + 1) * H] for j in range(4))
        d4 = d.reshape(N, 4, H)  # d4[:, j] is the block of gate j
        tc = cache.tanh_c_tm[t]
        c_prev = cache.c_tm[t - 1] if t > 0 else cache.c0
        np.add(dh_tm[t], dh_carry, out=gh)  # everything that reaches h_t
        if mask is not None:
            keep, held = mask[t], ~mask[t]
            gh_pass, gc_pass = gh * held, dc_carry * held  # a held state passes its gradient back
            gh *= keep
            dc_carry *= keep
        # dc = dc_carry + gh * o * (1 - tc^2)
        np.multiply(tc, tc, out=k)
        np.subtract(1, k, out=k)
        k *= o
        np.multiply(gh, k, out=dc)
        dc += dc_carry
        # the gates' derivatives: i (1 - i), f (1 - f), 1 - g^2, o (1 - o), all blocks at once
        np.subtract(1, s, out=d)
        np.add(s, plus1_g, out=s_plus)
        d *= s_plus
        # times what each gate multiplies, and the gradient arriving there
        d4[:, 0] *= g  # i enters as i * g
        d4[:, 1] *= c_prev  # f as f * c_prev
        d4[:, 2] *= i  # g as i * g
        d4[:, 3] *= tc  # o as o * tanh(c)
        d4[:, :3] *= dc[:, None]  # i, f, g reach the loss through c_t
        d4[:, 3] *= gh  # o through h_t
        np.matmul(d, WhT, out=dh_carry)
        np.multiply(dc, f, out=dc_carry)
        if mask is not None:
            dh_carry += gh_pass
            dc_carry += gc_pass
    xh = cache.xh
    if xh is None:  # a cache built by hand: assemble the rows [x_t, 1, h_{t-1}] here
        h_prev = np.concatenate([cache.h0[None], cache.h_tm[:-1]])
        xh = np.concatenate([x, np.ones((T, N, 1), dtype=x.dtype), h_prev], axis=2)
    da2 = da.reshape(T * N, 4 * H)
    dx = (da2 @ cache.Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    dW = xh[:T].reshape(T * N, D + 1 + H).T @ da2  # rows: dWx (D), db (1), dWh (H)
    return dx, dh_carry, dc_carry, dW[:D], dW[D + 1 :], dW[D]


def lstm_backward(
    dh: np.ndarray, cache: LSTMCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of the loss with respect to every output ``h[:, t]``.
    cache : LSTMCache

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWx : (D, 4H), dWh : (H, 4H), db : (4H,)
        (The gradient of ``c0`` is available from :func:`lstm_backward_full`.)
    """
    dx, dh0, _, dWx, dWh, db = lstm_backward_full(dh, cache)
    return dx, dh0, dWx, dWh, db


class LSTM(RecurrentLayer):
    """A multi-layer, optionally bidirectional LSTM with the contract of ``torch.nn.LSTM``.

    Constructor arguments as :class:`course_lib.nn_numpy.RNN` (without ``nonlinearity``); weights
    are ``weight_ih_l{k}`` (4H, D_k), ``weight_hh_l{k}`` (4H, H), ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (4H,), blocks in the order i, f, g, o, plus ``_reverse`` copies when
    bidirectional. After :meth:`backward`, :attr:`d_hx` is the pair ``(d_h_0, d_c_0)``.
    """

    gates = 4
    n_states = 2
    torch_name = "LSTM"

    def _run(self, x, states, weights, mask):
        Wx, Wh, b_ih, b_hh = weights
        out, cache = lstm_forward(x, states[0], Wx, Wh, b_ih + b_hh, states[1], mask=mask)
        return out, (cache.h_tm[-1], cache.c_tm[-1]), cache

    def _grad(self, d_out, d_finals, cache):
        dx, dh0, dc0, dWx, dWh, db = lstm_backward_full(d_out, cache, *d_finals)
        return dx, (dh0, dc0), (dWx, dWh, db, db.copy())

    def forward(self, x: np.ndarray, hx=None, lengths=None):
        """Run every layer and direction over the sequence.

        Parameters
        ----------
        x : ndarray, shape (T, N, D), (N, T, D) if ``batch_first``, or (T, D) unbatched
        hx : tuple (h_0, c_0) of ndarrays, each (L*dirs, N, H) or (L*dirs, H) unbatched, optional
        lengths : sequence of int, shape (N,), optional
            As in :meth:`course_lib.nn_numpy.RNN.forward`.

        Returns
        -------
        output : ndarray, shape (T, N, dirs*H), (N, T, dirs*H) if ``batch_first``, or (T, dirs*H)
        (h_n, c_n) : tuple of ndarrays, each (L*dirs, N, H) or (L*dirs, H) unbatched
        """
        return super().forward(x, hx, lengths)

    def backward(self, d_output: np.ndarray, d_h_n: np.ndarray | None = None, d_c_n: np.ndarray | None = None):
        """Backpropagate the last :meth:`forward`; fill :attr:`grads` and :attr:`d_hx`.

        Parameters
        ----------
        d_output : ndarray, shape of ``output``
        d_h_n, d_c_n : ndarray, shape of ``h_n`` and ``c_n``, optional (zeros if omitted)

        Returns
        -------
        dx : ndarray, shape of ``x``
        """
        return super().backward(d_output, d_h_n, d_c_n)
