"""The vanilla (Elman) recurrent network in NumPy, with hand-written backward passes.

Conventions used throughout ``course_lib.nn_numpy``:

* batch first: a sequence batch has shape ``(N, T, D)``: N sequences, T steps, D features;
* row vectors: a layer computes ``x @ Wx``, so ``Wx`` has shape ``(D, H)``;
* every ``*_forward`` returns ``(out, cache)`` and the matching ``*_backward(dout, cache)`` returns
  the gradients in the order of the forward's array arguments;
* dtype is kept: use float64 for gradient checks and float32 for speed; never mix them.

One step computes ``h_next = f(x @ Wx + h_prev @ Wh + b)`` with ``f`` = tanh (default) or ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib._checks import check_array, check_mask, check_nonlinearity
from course_lib.nn_numpy import _layer

__all__ = [
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "RNNStepCache",
    "RNNCache",
    "RNN",
]


def _activate(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    if nonlinearity == "tanh":
        return np.tanh(a)
    return np.maximum(a, 0)


def _activation_grad(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """Derivative of the nonlinearity written in terms of its output ``h = f(a)``."""
    if nonlinearity == "tanh":
        return 1 - h * h  # tanh'(a) = 1 - tanh(a)^2
    return (h > 0).astype(h.dtype)  # relu'(a) = 1 where a > 0, else 0 (we take 0 at a = 0)


def _check_args(
    x: object,
    x_shape: tuple[str, ...],
    h_name: str,
    h: object,
    Wx: object,
    Wh: object,
    b: object,
) -> None:
    """Check the arguments of a forward function.

    The weights are checked first, so that they fix D and H and a wrong ``x`` or state is the
    one blamed; x fixes the dtype that every other array must share.
    """
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        check_array("x", x, x_shape, {})  # raises the TypeError that says what x is
    dims: dict[str, tuple[int, str]] = {}
    check_array("Wh", Wh, ("H", "H"), dims, x.dtype)
    check_array("Wx", Wx, ("D", "H"), dims, x.dtype)
    check_array("b", b, ("H",), dims, x.dtype)
    check_array("x", x, x_shape, dims, x.dtype)
    check_array(h_name, h, ("N", "H"), dims, x.dtype)


@dataclass
class RNNStepCache:
    """What :func:`rnn_step_backward` needs from the forward step."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    h_next: np.ndarray  # (N, H)
    nonlinearity: str


@dataclass
class RNNCache:
    """What :func:`rnn_backward` needs from the forward pass over a sequence."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    h: np.ndarray  # (N, T, H): hidden state after each step (held, not updated, where masked)
    nonlinearity: str
    mask: np.ndarray | None = None  # (N, T) bool; None when every step is valid

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays that grow with the sequence (x and h)."""
        return self.x.nbytes + self.h.nbytes


def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, RNNStepCache]:
    """One step of a vanilla RNN: ``h_next = f(x @ Wx + h_prev @ Wh + b)``.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Input at this step for a batch of N sequences.
    h_prev : ndarray, shape (N, H)
        Hidden state from the previous step.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden (recurrent) weights.
    b : ndarray, shape (H,)
        Bias.
    nonlinearity : {"tanh", "relu"}
        The activation ``f``.

    Returns
    -------
    h_next : ndarray, shape (N, H)
        The new hidden state.
    cache : RNNStepCache
        Values needed by :func:`rnn_step_backward`.
    """
    _check_args(x, ("N", "D"), "h_prev", h_prev, Wx, Wh, b)
    check_nonlinearity(nonlinearity)
    h_next = _activate(x @ Wx + h_prev @ Wh + b, nonlinearity)
    return h_next, RNNStepCache(x, h_prev, Wx, Wh, h_next, nonlinearity)


def rnn_step_backward(
    dh_next: np.ndarray, cache: RNNStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
        Gradient of the loss with respect to ``h_next``.
    cache : RNNStepCache
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    check_array("dh_next", dh_next, cache.h_next.shape, {}, cache.h_next.dtype)
    da = dh_next * _activation_grad(cache.h_next, cache.nonlinearity)  # gradient at f's input
    dx = da @ cache.Wx.T
    dh_prev = da @ cache.Wh.T
    dWx = cache.x.T @ da
    dWh = cache.h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    nonlinearity: str = "tanh",
    *,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, RNNCache]:
    """Run a vanilla RNN over a whole sequence.

    The input projection ``x @ Wx + b`` of every step is computed in one matrix product before the
    loop; only ``h @ Wh`` has to wait for the previous step.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequences, batch first.
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)
    nonlinearity : {"tanh", "relu"}
    mask : ndarray of bool, shape (N, T), optional
        False marks padding (variable-length batches): there the state is held, not updated, and
        the output is zero. Omitted means every step is valid.

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step (zero where ``mask`` is False); without a mask ``h[:, -1]``
        is the final state, and in general ``cache.h[:, -1]`` is.
    cache : RNNCache
        Values needed by :func:`rnn_backward`.
    """
    _check_args(x, ("N", "T", "D"), "h0", h0, Wx, Wh, b)
    check_nonlinearity(nonlinearity)
    N, T, _ = x.shape
    if T == 0:
        raise ValueError(f"x must hold at least one step (T >= 1), got shape {x.shape}")
    mask = check_mask(mask, N, T)
    h = x @ Wx + b  # (N, T, H): the input part of every step; overwritten step by step below
    h_prev = h0
    for t in range(T):
        h[:, t] = _activate(h[:, t] + h_prev @ Wh, nonlinearity)
        if mask is not None:  # padded sequences hold their state
            h[:, t] = np.where(mask[:, t, None], h[:, t], h_prev)
        h_prev = h[:, t]
    out = h if mask is None else h * mask[:, :, None]
    return out, RNNCache(x, h0, Wx, Wh, h, nonlinearity, mask)


def rnn_backward(
    dh: np.ndarray, cache: RNNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`rnn_forward`.

    Walking backwards, the gradient reaching step t is the upstream ``dh[:, t]`` plus what flows
    back from step t+1 through ``Wh``. The parameter gradients are sums over steps, so they are
    computed after the loop with one matrix product each.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of the loss with respect to every hidden state ``h[:, t]``.
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    return rnn_backward_full(dh, cache)


def rnn_backward_full(
    dh: np.ndarray, cache: RNNCache, dh_last: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`rnn_backward` plus an upstream gradient ``dh_last`` (N, H) of the final state
    ``cache.h[:, -1]`` (a layer's ``h_n``), which differs from the last output under a mask."""
    check_array("dh", dh, cache.h.shape, {}, cache.h.dtype)
    x, h, Wh, mask = cache.x, cache.h, cache.Wh, cache.mask
    N, T, D = x.shape
    H = h.shape[2]
    if mask is not None:
        dh = dh * mask[:, :, None]  # padded outputs are constant zeros
    da = np.empty_like(h)  # gradient at the nonlinearity's input, every step
    dh_carry = np.zeros_like(cache.h0) if dh_last is None else dh_last.copy()  # from later steps
    for t in reversed(range(T)):
        g = dh[:, t] + dh_carry  # everything that reaches h_t
        keep = None if mask is None else mask[:, t, None]
        da[:, t] = (g if keep is None else g * keep) * _activation_grad(h[:, t], cache.nonlinearity)
        dh_carry = da[:, t] @ Wh.T
        if keep is not None:  # a held state passes its gradient straight back
            dh_carry += g * ~keep
    h_prev = np.concatenate([cache.h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): input of each step
    da2 = da.reshape(N * T, H)
    dx = (da2 @ cache.Wx.T).reshape(N, T, D)
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(axis=0)
    return dx, dh_carry, dWx, dWh, db


class RNN(_layer.RecurrentLayer):
    """A multi-layer, optionally bidirectional vanilla RNN with the contract of ``torch.nn.RNN``.

    Parameters live in :attr:`params` under torch's names and shapes (``weight_ih_l{k}`` (H, D_k),
    ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}`` (H,), ``bias_hh_l{k}`` (H,), and the same with
    ``_reverse`` for the backward direction), so weights move between this class,
    :class:`course_lib.nn_torch.RNN` and ``torch.nn.RNN`` unchanged. Torch stores ``W`` for
    ``x @ W.T``; the functional API above uses ``x @ Wx``, so ``Wx = W.T``, and ``b = b_ih + b_hh``.

    Parameters
    ----------
    input_size : int
        D, features per step of the input.
    hidden_size : int
        H, size of the hidden state.
    num_layers : int
        Stacked layers; layer k > 0 reads the outputs of layer k - 1.
    nonlinearity : {"tanh", "relu"}
    bias : bool
        Whether the layers have ``bias_ih`` and ``bias_hh``.
    batch_first : bool
        Input and output are ``(N, T, ...)`` if True, ``(T, N, ...)`` if False (torch's default).
    dropout : float
        Probability of zeroing each input of layers above the first while :attr:`training`.
    bidirectional : bool
        Also run each layer from the end of the sequence to its start; outputs are concatenated.
    dtype : numpy dtype
        float64 (default; for gradient checks) or float32 (for speed).
    seed : int or numpy.random.Generator, optional
        Source of the initial weights (U(-1/sqrt(H), 1/sqrt(H)), like torch) and of dropout masks.

    Attributes
    ----------
    params, grads : dict of ndarray
        Parameters and, after :meth:`backward`, their gradients (overwritten, not accumulated).
    d_hx : ndarray
        After :meth:`backward`, the gradient of the initial state ``hx``.
    """

    gates = 1
    torch_name = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype: np.dtype | type = np.float64,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            dtype=dtype, seed=seed,
        )

    def _config(self) -> dict:
        return {"nonlinearity": self.nonlinearity, **super()._config()}

    @classmethod
    def _config_from_torch(cls, module) -> dict:
        return {"nonlinearity": module.nonlinearity, **super()._config_from_torch(module)}

    def _run(self, x, states, weights, mask):
        Wx, Wh, b_ih, b_hh = weights
        out, cache = rnn_forward(x, states[0], Wx, Wh, b_ih + b_hh, self.nonlinearity, mask=mask)
        return out, (cache.h[:, -1],), cache

    def _grad(self, d_out, d_finals, cache):
        dx, dh0, dWx, dWh, db = rnn_backward_full(d_out, cache, d_finals[0])
        return dx, (dh0,), (dWx, dWh, db, db.copy())  # b = b_ih + b_hh: both receive db

    def forward(
        self, x: np.ndarray, hx: np.ndarray | None = None, lengths=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run every layer and direction over the sequence.

        Parameters
        ----------
        x : ndarray, shape (T, N, D), (N, T, D) if ``batch_first``, or (T, D) unbatched
        hx : ndarray, shape (L*dirs, N, H) or (L*dirs, H) unbatched, optional
            Initial hidden state of every layer and direction (index ``layer * dirs + direction``);
            zeros if omitted.
        lengths : sequence of int, shape (N,), optional
            Valid steps of each sequence (any order, each 1..T). Padding steps get zero output,
            ``h_n`` is taken at each sequence's last valid step and the reverse direction starts
            there: the results of ``torch.nn.RNN`` on a ``PackedSequence``.

        Returns
        -------
        output : ndarray, shape (T, N, dirs*H), (N, T, dirs*H) if ``batch_first``, or (T, dirs*H)
            Outputs of the last layer at every step (both directions concatenated).
        h_n : ndarray, shape (L*dirs, N, H) or (L*dirs, H) unbatched
            Final hidden state of every layer and direction.
        """
        return super().forward(x, hx, lengths)

    def backward(self, d_output: np.ndarray, d_h_n: np.ndarray | None = None) -> np.ndarray:
        """Backpropagate through every layer, direction and step of the last :meth:`forward`.

        Parameters
        ----------
        d_output : ndarray, shape of ``output``
        d_h_n : ndarray, shape of ``h_n``, optional (zeros if omitted)

        Returns
        -------
        dx : ndarray, shape of ``x``
            Also fills :attr:`grads` (keys of :attr:`params`) and :attr:`d_hx`.
        """
        return super().backward(d_output, d_h_n)
