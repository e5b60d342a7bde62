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

from course_lib._checks import check_array, check_nonlinearity
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
    h: np.ndarray  # (N, T, H)
    nonlinearity: str

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

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step; ``h[:, -1]`` is the final state.
    cache : RNNCache
        Values needed by :func:`rnn_backward`.
    """
    _check_args(x, ("N", "T", "D"), "h0", h0, Wx, Wh, b)
    check_nonlinearity(nonlinearity)
    N, T, _ = x.shape
    if T == 0:
        raise ValueError(f"x must hold at least one step (T >= 1), got shape {x.shape}")
    h = x @ Wx + b  # (N, T, H): the input part of every step; overwritten step by step below
    h_prev = h0
    for t in range(T):
        h[:, t] = _activate(h[:, t] + h_prev @ Wh, nonlinearity)
        h_prev = h[:, t]
    return h, RNNCache(x, h0, Wx, Wh, h, nonlinearity)


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
    check_array("dh", dh, cache.h.shape, {}, cache.h.dtype)
    x, h, Wh = cache.x, cache.h, cache.Wh
    N, T, D = x.shape
    H = h.shape[2]
    da = np.empty_like(h)  # gradient at the nonlinearity's input, every step
    dh_carry = np.zeros_like(cache.h0)  # gradient flowing back from the step after
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + dh_carry) * _activation_grad(h[:, t], cache.nonlinearity)
        dh_carry = da[:, t] @ Wh.T
    h_prev = np.concatenate([cache.h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): input of each step
    da2 = da.reshape(N * T, H)
    dx = (da2 @ cache.Wx.T).reshape(N, T, D)
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(axis=0)
    return dx, dh_carry, dWx, dWh, db


class RNN:
    """A multi-layer vanilla RNN with the same contract as ``torch.nn.RNN``, in NumPy.

    Parameters live in :attr:`params` under torch's names and shapes (``weight_ih_l{k}`` (H, D_k),
    ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}`` (H,), ``bias_hh_l{k}`` (H,)), so weights move
    between this class, :class:`course_lib.nn_torch.RNN` and ``torch.nn.RNN`` unchanged. Torch
    stores ``W`` for ``x @ W.T``; the functional API above uses ``x @ Wx``, so ``Wx = W.T``.

    Parameters
    ----------
    input_size : int
        D, features per step of the input.
    hidden_size : int
        H, size of the hidden state.
    num_layers : int
        Stacked layers; layer k > 0 reads the hidden states of layer k - 1.
    nonlinearity : {"tanh", "relu"}
    bias : bool
        Whether the layers have ``bias_ih`` and ``bias_hh``.
    batch_first : bool
        Input and output are ``(N, T, ...)`` if True, ``(T, N, ...)`` if False (torch's default).
    dtype : numpy dtype
        float64 (default; for gradient checks) or float32 (for speed).
    seed : int or numpy.random.Generator, optional
        Source of the initial weights, drawn from U(-1/sqrt(H), 1/sqrt(H)) like torch.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        *,
        dtype: np.dtype | type = np.float64,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.nonlinearity = check_nonlinearity(nonlinearity)
        self.params: dict[str, np.ndarray] = _layer.init_params(
            input_size, hidden_size, num_layers, bias, 1, np.dtype(dtype),
            np.random.default_rng(seed),
        )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.grads: dict[str, np.ndarray] = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.d_hx: np.ndarray | None = None  # gradient of the initial state, set by backward
        self._caches: list[RNNCache] | None = None
        self._unbatched = False

    def __repr__(self) -> str:
        return (
            f"RNN({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"nonlinearity={self.nonlinearity!r}, bias={self.bias}, "
            f"batch_first={self.batch_first}, dtype={self.dtype})"
        )

    @property
    def dtype(self) -> np.dtype:
        return self.params["weight_ih_l0"].dtype

    def _weights(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Wx, Wh, b)`` of one layer in the functional API's layout."""
        p = self.params
        Wx, Wh = p[f"weight_ih_l{layer}"].T, p[f"weight_hh_l{layer}"].T
        if self.bias:
            b = p[f"bias_ih_l{layer}"] + p[f"bias_hh_l{layer}"]
        else:
            b = np.zeros(self.hidden_size, dtype=self.dtype)
        return Wx, Wh, b

    def forward(
        self, x: np.ndarray, hx: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run every layer over the sequence.

        Parameters
        ----------
        x : ndarray, shape (T, N, D), (N, T, D) if ``batch_first``, or (T, D) unbatched
        hx : ndarray, shape (num_layers, N, H) or (num_layers, H) unbatched, optional
            Initial hidden state of every layer; zeros if omitted.

        Returns
        -------
        output : ndarray, shape (T, N, H), (N, T, H) if ``batch_first``, or (T, H) unbatched
            Hidden states of the last layer at every step.
        h_n : ndarray, shape (num_layers, N, H) or (num_layers, H) unbatched
            Final hidden state of every layer.
        """
        x3, unbatched = _layer.to_batch_first(x, self.input_size, self.batch_first, self.dtype)
        h0 = _layer.check_state(
            "hx", hx, self.num_layers, x3.shape[0], self.hidden_size, unbatched, self.dtype
        )
        caches, h_n, inp = [], [], x3
        for layer in range(self.num_layers):
            inp, cache = rnn_forward(inp, h0[layer], *self._weights(layer), self.nonlinearity)
            caches.append(cache)
            h_n.append(inp[:, -1])
        self._caches, self._unbatched = caches, unbatched
        h_n_arr = np.stack(h_n)
        output = _layer.from_batch_first(inp, self.batch_first, unbatched)
        return output, (h_n_arr[:, 0] if unbatched else h_n_arr)

    __call__ = forward

    def backward(self, d_output: np.ndarray, d_h_n: np.ndarray | None = None) -> np.ndarray:
        """Backpropagate through every layer and step of the last :meth:`forward`.

        Fills :attr:`grads` (same keys and shapes as :attr:`params`, overwritten, not accumulated)
        and :attr:`d_hx`, the gradient of the initial state.

        Parameters
        ----------
        d_output : ndarray, same shape as ``output``
            Gradient of the loss with respect to ``output``.
        d_h_n : ndarray, same shape as ``h_n``, optional
            Gradient of the loss with respect to ``h_n``; zeros if omitted.

        Returns
        -------
        dx : ndarray, same shape as ``x``
        """
        if self._caches is None:
            raise RuntimeError("backward called before forward: run forward(x) first")
        top = self._caches[-1].h
        N, T, H = top.shape
        out_shape = (T, H) if self._unbatched else ((N, T, H) if self.batch_first else (T, N, H))
        check_array("d_output", d_output, out_shape, {}, self.dtype)
        d_out = _layer.to_batch_first(d_output, H, self.batch_first, self.dtype)[0]
        dh_n = _layer.check_state(
            "d_h_n", d_h_n, self.num_layers, N, H, self._unbatched, self.dtype
        )
        d_hx = np.empty((self.num_layers, N, H), dtype=self.dtype)
        for layer in reversed(range(self.num_layers)):
            dh = d_out.copy()
            dh[:, -1] += dh_n[layer]  # h_n is the last step's state, so its gradient joins there
            d_out, d_hx[layer], dWx, dWh, db = rnn_backward(dh, self._caches[layer])
            self.grads[f"weight_ih_l{layer}"] = dWx.T
            self.grads[f"weight_hh_l{layer}"] = dWh.T
            if self.bias:  # b = bias_ih + bias_hh, so both receive db
                self.grads[f"bias_ih_l{layer}"] = db
                self.grads[f"bias_hh_l{layer}"] = db.copy()
        self.d_hx = d_hx[:, 0] if self._unbatched else d_hx
        return _layer.from_batch_first(d_out, self.batch_first, self._unbatched)

    @classmethod
    def from_torch(cls, module: object, dtype: np.dtype | type | None = None) -> RNN:
        """Build an :class:`RNN` with the configuration and weights of a ``torch.nn.RNN`` (or of a
        :class:`course_lib.nn_torch.RNN`). ``dtype`` defaults to the module's own."""
        import torch

        if not isinstance(module, torch.nn.Module) or not hasattr(module, "nonlinearity"):
            raise TypeError(
                f"module must be a torch.nn.RNN or course_lib.nn_torch.RNN, got {type(module).__name__}"
            )
        if getattr(module, "bidirectional", False):
            raise ValueError("module is bidirectional; course_lib.nn_numpy.RNN is unidirectional")
        state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
        layer = cls(
            module.input_size, module.hidden_size, module.num_layers, module.nonlinearity,
            module.bias, module.batch_first,
            dtype=dtype or state["weight_ih_l0"].dtype,
        )
        layer.load_state_dict(state)
        return layer

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into :attr:`params`; keys and shapes must match exactly."""
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise KeyError(f"state keys differ: missing {missing}, unexpected {unexpected}")
        for name, value in state.items():
            value = np.asarray(value)
            if value.shape != self.params[name].shape:
                raise ValueError(
                    f"state[{name!r}] must have shape {self.params[name].shape}, got {value.shape}"
                )
            self.params[name] = value.astype(self.dtype, copy=True)

    def to_torch(self) -> object:
        """A ``torch.nn.RNN`` with this layer's configuration, weights and dtype."""
        import torch

        module = torch.nn.RNN(
            self.input_size, self.hidden_size, self.num_layers, self.nonlinearity, self.bias,
            self.batch_first, dtype=torch.float64 if self.dtype == np.float64 else torch.float32,
        )
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.params.items()})
        return module
