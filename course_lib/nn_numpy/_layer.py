"""Pieces shared by the NumPy layer classes that mirror ``torch.nn``: parameter names and
initialisation, input layout, and the checks on ``x`` and ``hx``."""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_array, check_positive_int


def to_batch_first(
    x: object, input_size: int, batch_first: bool, dtype: np.dtype
) -> tuple[np.ndarray, bool]:
    """Check the layer input and return it as ``(N, T, D)`` plus whether it was unbatched.

    Accepted, as in ``torch.nn``: ``(T, D)`` unbatched, ``(T, N, D)``, or ``(N, T, D)`` when
    ``batch_first``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy.ndarray, got {type(x).__name__}")
    if x.ndim == 2:
        check_array("x", x, ("T", input_size), {}, dtype)
        return x[None], True
    layout = ("N", "T", input_size) if batch_first else ("T", "N", input_size)
    if x.ndim != 3:
        raise ValueError(
            f"x must have 3 dimensions {layout} (or 2 for one unbatched sequence), "
            f"got shape {x.shape}"
        )
    check_array("x", x, layout, {}, dtype)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must hold at least one sequence and one step, got shape {x.shape}")
    return (x if batch_first else x.transpose(1, 0, 2)), False


def from_batch_first(y: np.ndarray, batch_first: bool, unbatched: bool) -> np.ndarray:
    """Inverse of :func:`to_batch_first` for an ``(N, T, H)`` array."""
    if unbatched:
        return y[0]
    return y if batch_first else y.transpose(1, 0, 2)


def check_state(
    name: str,
    value: object,
    num_layers: int,
    batch: int,
    hidden_size: int,
    unbatched: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """Check an initial or final state ``(num_layers, N, H)`` (or ``(num_layers, H)`` unbatched) and
    return it as ``(num_layers, N, H)``; ``None`` gives zeros."""
    if value is None:
        return np.zeros((num_layers, batch, hidden_size), dtype=dtype)
    if unbatched:
        check_array(name, value, (num_layers, hidden_size), {}, dtype)
        return value[:, None]
    check_array(name, value, (num_layers, batch, hidden_size), {}, dtype)
    return value


def lengths_to_mask(lengths: object, N: int, T: int) -> np.ndarray:
    """Check ``lengths`` (one valid length per sequence) and return the (N, T) boolean mask.

    Accepts a list, tuple, NumPy array or torch tensor of integers; each must lie in 1..T.
    """
    if hasattr(lengths, "detach"):  # a torch tensor
        lengths = lengths.detach().cpu().numpy()
    arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu" and not (arr.dtype == object and arr.size == 0):
        raise TypeError(f"lengths must hold integers, got dtype {arr.dtype}")
    if arr.shape != (N,):
        raise ValueError(f"lengths must have one entry per sequence, shape ({N},), got {arr.shape}")
    if arr.min() < 1 or arr.max() > T:
        bad = arr[(arr < 1) | (arr > T)]
        raise ValueError(f"lengths must lie between 1 and T={T}, got {bad.tolist()}")
    return np.arange(T)[None, :] < arr[:, None]


def reverse_padded(x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Reverse each sequence of ``x`` (N, T, ...) within its own valid steps.

    Padding stays at the end, so the reverse direction of a bidirectional layer starts at each
    sequence's own last step. The operation is its own inverse.
    """
    if mask is None:
        return x[:, ::-1]
    N, T = mask.shape
    lengths = mask.sum(axis=1)
    t = np.arange(T)[None, :]
    index = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return x[np.arange(N)[:, None], index]


class RecurrentLayer:
    """The machinery shared by :class:`~course_lib.nn_numpy.RNN`, ``LSTM`` and ``GRU``.

    It mirrors ``torch.nn.RNN``/``LSTM``/``GRU``: stacked layers, both directions, batch-first or
    time-first layout, unbatched input, an initial state, variable lengths, and parameters under
    torch's names (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, with
    the suffix ``_reverse`` for the backward direction). A subclass supplies the cell through
    :meth:`_run` and :meth:`_grad` and says how many weight blocks (``gates``) and state arrays
    (``n_states``: 1, or 2 for the LSTM's ``(h, c)``) it has.
    """

    gates = 1
    n_states = 1
    torch_name = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype: np.dtype | type = np.float64,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.training = True  # dropout between layers is applied only while training
        self.rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        H, G = self.hidden_size, self.gates * self.hidden_size
        bound = 1.0 / np.sqrt(H)
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype must be a floating dtype (float32 or float64), got {dtype}")
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes:
                shapes = [(G, d_in), (G, H)] + ([(G,), (G,)] if self.bias else [])
                for name, shape in zip(self._names(layer, suffix), shapes, strict=False):
                    self.params[name] = self.rng.uniform(-bound, bound, shape).astype(dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.d_hx: np.ndarray | tuple[np.ndarray, np.ndarray] | None = None
        self._tape: dict | None = None

    # ------------------------------------------------------------------ naming and weights
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    @property
    def dtype(self) -> np.dtype:
        return self.params["weight_ih_l0"].dtype

    def _names(self, layer: int, suffix: str) -> list[str]:
        return [f"{p}_l{layer}{suffix}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def _weights(self, layer: int, suffix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(Wx, Wh, b_ih, b_hh)`` in the functional API's layout (zeros for absent biases)."""
        w_ih, w_hh, b_ih, b_hh = self._names(layer, suffix)
        zeros = np.zeros(self.gates * self.hidden_size, dtype=self.dtype)
        p = self.params
        return p[w_ih].T, p[w_hh].T, p.get(b_ih, zeros), p.get(b_hh, zeros)

    def _store_grads(self, layer: int, suffix: str, dWx, dWh, db_ih, db_hh) -> None:
        w_ih, w_hh, b_ih, b_hh = self._names(layer, suffix)
        self.grads[w_ih], self.grads[w_hh] = dWx.T, dWh.T
        if self.bias:
            self.grads[b_ih], self.grads[b_hh] = db_ih, db_hh

    # ------------------------------------------------------------------ the cell (subclasses)
    def _run(self, x, states, weights, mask):
        """Run the cell over x (N, T, D): return (output (N, T, H), final states tuple, cache)."""
        raise NotImplementedError

    def _grad(self, d_out, d_finals, cache):
        """Backward of :meth:`_run`: return (dx, d_states0 tuple, (dWx, dWh, db_ih, db_hh))."""
        raise NotImplementedError

    # ------------------------------------------------------------------ forward and backward
    def _initial_states(self, hx, N: int, unbatched: bool) -> list[np.ndarray]:
        shape = (self.num_layers * self.num_directions, N, self.hidden_size)
        if self.n_states == 1:
            return [check_state("hx", hx, shape[0], N, shape[2], unbatched, self.dtype)]
        if hx is None:
            hx = (None, None)
        if not isinstance(hx, tuple) or len(hx) != 2:
            raise TypeError(f"hx must be a tuple (h_0, c_0) or None, got {type(hx).__name__}")
        return [
            check_state(name, value, shape[0], N, shape[2], unbatched, self.dtype)
            for name, value in zip(("h_0", "c_0"), hx, strict=True)
        ]

    def forward(self, x: np.ndarray, hx=None, lengths=None):
        """Run every layer (and direction) over the sequence; see the subclass for shapes."""
        x3, unbatched = to_batch_first(x, self.input_size, self.batch_first, self.dtype)
        N, T, _ = x3.shape
        mask = None if lengths is None else lengths_to_mask(lengths, N, T)
        states0 = self._initial_states(hx, N, unbatched)
        finals = [np.empty_like(s) for s in states0]
        tape = {"caches": {}, "drop": {}, "mask": mask, "unbatched": unbatched, "N": N, "T": T}
        inp = x3
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                keep = self.rng.random(inp.shape) >= self.dropout
                tape["drop"][layer] = keep / (1 - self.dropout)
                inp = inp * tape["drop"][layer]
            outs = []
            for d, suffix in enumerate(self._suffixes):
                idx = layer * self.num_directions + d
                xin = inp if d == 0 else reverse_padded(inp, mask)
                out, fin, cache = self._run(
                    xin, tuple(s[idx] for s in states0), self._weights(layer, suffix), mask
                )
                outs.append(out if d == 0 else reverse_padded(out, mask))
                for k, f in enumerate(fin):
                    finals[k][idx] = f
                tape["caches"][idx] = cache
            inp = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)
        self._tape = tape
        output = from_batch_first(inp, self.batch_first, unbatched)
        finals = [f[:, 0] if unbatched else f for f in finals]
        return output, (finals[0] if self.n_states == 1 else tuple(finals))

    __call__ = forward

    def backward(self, d_output: np.ndarray, *d_finals: np.ndarray | None) -> np.ndarray:
        """Backpropagate the last :meth:`forward`; fill :attr:`grads` and :attr:`d_hx`; return dx."""
        if self._tape is None:
            raise RuntimeError("backward called before forward: run forward(x) first")
        tape = self._tape
        N, T, unbatched, mask = tape["N"], tape["T"], tape["unbatched"], tape["mask"]
        H, L, Dn = self.hidden_size, self.num_layers, self.num_directions
        out_shape = (T, Dn * H) if unbatched else ((N, T, Dn * H) if self.batch_first else (T, N, Dn * H))
        check_array("d_output", d_output, out_shape, {}, self.dtype)
        d_out = to_batch_first(d_output, Dn * H, self.batch_first, self.dtype)[0]
        names = ("d_h_n", "d_c_n")[: self.n_states]
        d_fin = [
            check_state(name, value, L * Dn, N, H, unbatched, self.dtype)
            for name, value in zip(names, d_finals + (None,) * (self.n_states - len(d_finals)), strict=True)
        ]
        d_states0 = [np.empty((L * Dn, N, H), dtype=self.dtype) for _ in range(self.n_states)]
        for layer in reversed(range(L)):
            d_in = 0.0
            for d, suffix in enumerate(self._suffixes):
                idx = layer * Dn + d
                dpart = d_out[:, :, d * H : (d + 1) * H]
                if d == 1:
                    dpart = reverse_padded(dpart, mask)
                dx, d0, wgrads = self._grad(
                    np.ascontiguousarray(dpart), tuple(g[idx] for g in d_fin), tape["caches"][idx]
                )
                d_in = d_in + (dx if d == 0 else reverse_padded(dx, mask))
                for k, g in enumerate(d0):
                    d_states0[k][idx] = g
                self._store_grads(layer, suffix, *wgrads)
            if layer in tape["drop"]:
                d_in = d_in * tape["drop"][layer]
            d_out = d_in
        d_states0 = [g[:, 0] if unbatched else g for g in d_states0]
        self.d_hx = d_states0[0] if self.n_states == 1 else tuple(d_states0)
        return from_batch_first(d_out, self.batch_first, unbatched)

    # ------------------------------------------------------------------ torch interop
    def _config(self) -> dict:
        return {
            "num_layers": self.num_layers, "bias": self.bias, "batch_first": self.batch_first,
            "dropout": self.dropout, "bidirectional": self.bidirectional,
        }

    @classmethod
    def _config_from_torch(cls, module) -> dict:
        return {
            "num_layers": module.num_layers, "bias": module.bias, "batch_first": module.batch_first,
            "dropout": module.dropout, "bidirectional": module.bidirectional,
        }

    @classmethod
    def from_torch(cls, module: object, dtype: np.dtype | type | None = None):
        """Build a layer with the configuration and weights of the matching ``torch.nn`` module
        (or ``course_lib.nn_torch`` module). ``dtype`` defaults to the module's own."""
        import torch

        mode = getattr(module, "mode", None)
        if not isinstance(module, torch.nn.Module) or mode is None or not mode.startswith(cls.torch_name):
            raise TypeError(
                f"module must be a torch.nn.{cls.torch_name} or course_lib.nn_torch.{cls.torch_name}, "
                f"got {type(module).__name__}"
            )
        if getattr(module, "proj_size", 0):
            raise ValueError("module has proj_size > 0 (projected LSTM), which is not supported")
        state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
        kwargs = cls._config_from_torch(module)
        layer = cls(module.input_size, module.hidden_size, **kwargs, dtype=dtype or state["weight_ih_l0"].dtype)
        layer.load_state_dict(state)
        return layer

    def to_torch(self):
        """The matching ``torch.nn`` module with this layer's configuration, weights and dtype."""
        import torch

        cls = getattr(torch.nn, self.torch_name)
        dtype = torch.float64 if self.dtype == np.float64 else torch.float32
        module = cls(self.input_size, self.hidden_size, **self._config(), dtype=dtype)
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.params.items()})
        return module

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into :attr:`params`; keys and shapes must match exactly."""
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise KeyError(f"state keys differ: missing {missing}, unexpected {unexpected}")
        for name, value in state.items():
            value = np.asarray(value)
            if value.shape != self.params[name].shape:
                raise ValueError(f"state[{name!r}] must have shape {self.params[name].shape}, got {value.shape}")
            self.params[name] = value.astype(self.dtype, copy=True)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of :attr:`params`."""
        return {k: v.copy() for k, v in self.params.items()}

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}, {extra}, dtype={self.dtype})"
