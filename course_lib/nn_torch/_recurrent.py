"""The machinery shared by ``course_lib.nn_torch.RNN``, ``LSTM`` and ``GRU``.

It gives them the public contract of ``torch.nn.RNN``/``LSTM``/``GRU``: constructor arguments,
parameter names and order (so state dicts load both ways), time-first or batch-first layout,
unbatched input, stacked layers with dropout between them, both directions, initial states, and
variable-length batches given either as ``lengths=`` or as a ``PackedSequence``.

A subclass supplies the cell in two forms over one layer and direction, both time-major:

* ``_scan_readable(xp, states, layer, suffix, mask)``: a plain Python loop of tensor operations that
  autograd differentiates (the version the book shows);
* ``_scan_fast(xp, states, layer, suffix, mask)``: the same numbers from a custom autograd
  function whose backward is written by hand, so the per-step graph bookkeeping disappears and the
  weight gradients become one matrix product per sequence.

``xp`` is the input projection of every step, ``x @ W_ih^T + b`` for the whole sequence in one
matrix product, computed here with ordinary autograd.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from course_lib._checks import check_positive_int


def lengths_to_mask(lengths: object, N: int, T: int, device: torch.device) -> Tensor:
    """Check ``lengths`` (list, NumPy array or tensor of N integers in 1..T) and return the
    time-major mask (T, N, 1) of valid steps."""
    if isinstance(lengths, Tensor):
        lengths = lengths.detach().cpu()
    else:
        try:
            lengths = torch.as_tensor(lengths)
        except (TypeError, ValueError) as err:
            raise TypeError(f"lengths must be a list, array or tensor of integers, got {lengths!r}") from err
    if lengths.dtype.is_floating_point or lengths.dtype == torch.bool or lengths.is_complex():
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if tuple(lengths.shape) != (N,):
        raise ValueError(f"lengths must have one entry per sequence, shape ({N},), got {tuple(lengths.shape)}")
    bad = lengths[(lengths < 1) | (lengths > T)]
    if bad.numel():
        raise ValueError(f"lengths must lie between 1 and T={T}, got {bad.tolist()}")
    mask = torch.arange(T)[:, None] < lengths[None, :]
    return mask.to(device)[:, :, None]


def reverse_padded(x: Tensor, mask: Tensor | None) -> Tensor:
    """Reverse each sequence of time-major ``x`` (T, N, F) within its own valid steps (padding
    stays at the end). Its own inverse."""
    if mask is None:
        return x.flip(0)
    T = x.shape[0]
    lengths = mask[:, :, 0].sum(0)  # (N,)
    t = torch.arange(T, device=x.device)[:, None]
    index = torch.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)  # (T, N)
    return x.gather(0, index[:, :, None].expand_as(x))


class RecurrentBase(nn.Module):
    """Base class; see the module docstring. Subclasses set ``gates``, ``n_states`` and ``mode``."""

    gates = 1
    n_states = 1
    mode = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        fast: bool = True,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.fast = bool(fast)
        self.proj_size = 0
        factory = {"device": device, "dtype": dtype}
        G, H = self.gates * hidden_size, hidden_size
        for layer in range(num_layers):
            d_in = input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes:
                # Registered in torch's order, so state dicts list the same keys in the same order.
                shapes = [(G, d_in), (G, H)] + ([(G,), (G,)] if bias else [])
                for name, shape in zip(self._names(layer, suffix), shapes, strict=False):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    @staticmethod
    def _names(layer: int, suffix: str) -> list[str]:
        return [f"{p}_l{layer}{suffix}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn`` does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        for name in ("bias", "batch_first", "dropout", "bidirectional", "fast"):
            s += f", {name}={getattr(self, name)}"
        return s

    def _weights(self, layer: int, suffix: str) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        names = self._names(layer, suffix)
        return tuple(getattr(self, n, None) for n in names)  # type: ignore[return-value]

    # ------------------------------------------------------------------ subclass hooks
    def _scan_readable(self, xp, states, layer, suffix, mask):  # pragma: no cover - abstract
        raise NotImplementedError

    def _scan_fast(self, xp, states, layer, suffix, mask):  # pragma: no cover - abstract
        raise NotImplementedError

    def _projection(self, x: Tensor, layer: int, suffix: str) -> Tensor:
        """``x @ W_ih^T`` plus the biases that can be added outside the loop (subclass-specific)."""
        w_ih, _, b_ih, b_hh = self._weights(layer, suffix)
        xp = x @ w_ih.T
        if b_ih is not None:
            xp = xp + b_ih + b_hh
        return xp

    # ------------------------------------------------------------------ input checks
    def _check_input(self, x: object) -> tuple[Tensor, bool]:
        """Return x time-major (T, N, D) and whether it was one unbatched sequence."""
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a torch.Tensor or PackedSequence, got {type(x).__name__}")
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the parameters are {w.dtype}")
        if x.device != w.device:
            raise ValueError(f"x is on {x.device} but the parameters are on {w.device}")
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"x must have shape {layout} (or (T, D) unbatched) with D={self.input_size}, "
                f"got {tuple(x.shape)}"
            )
        if x.numel() == 0:
            raise ValueError(f"x must hold at least one step, got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("x contains NaN or infinite values; all must be finite")
        if x.dim() == 2:
            return x.unsqueeze(1), True
        return (x.transpose(0, 1) if self.batch_first else x), False

    def _check_state(self, name: str, hx: object, x: Tensor, unbatched: bool) -> Tensor:
        S, N, H = self.num_layers * self.num_directions, x.shape[1], self.hidden_size
        if hx is None:
            return x.new_zeros(S, N, H)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor or None, got {type(hx).__name__}")
        expected = (S, H) if unbatched else (S, N, H)
        if tuple(hx.shape) != expected:
            raise ValueError(
                f"{name} must have shape {expected} (num_layers * num_directions, N, H), got {tuple(hx.shape)}"
            )
        if hx.dtype != x.dtype or hx.device != x.device:
            raise TypeError(f"{name} must match x: dtype {x.dtype} on {x.device}, got {hx.dtype} on {hx.device}")
        if not torch.isfinite(hx).all():
            raise ValueError(f"{name} contains NaN or infinite values; all must be finite")
        return hx.unsqueeze(1) if unbatched else hx

    def _initial_states(self, hx: object, x: Tensor, unbatched: bool) -> list[Tensor]:
        if self.n_states == 1:
            return [self._check_state("hx", hx, x, unbatched)]
        if hx is None:
            hx = (None, None)
        if not isinstance(hx, tuple) or len(hx) != 2:
            raise TypeError(f"hx must be a tuple (h_0, c_0) or None, got {type(hx).__name__}")
        return [self._check_state(n, v, x, unbatched) for n, v in zip(("h_0", "c_0"), hx, strict=True)]

    # ------------------------------------------------------------------ forward
    def forward(self, input: Tensor | PackedSequence, hx=None, lengths=None):  # noqa: A002 - torch's name
        """Run every layer and direction; returns what the matching ``torch.nn`` module returns.

        Parameters
        ----------
        input : Tensor (T, N, D), (N, T, D) if ``batch_first``, (T, D) unbatched; or PackedSequence
        hx : Tensor (L*dirs, N, H), or for the LSTM a tuple (h_0, c_0) of them; optional
        lengths : list, NumPy array or tensor of N ints, optional
            Valid steps of each sequence (any order, 1..T). Not with a PackedSequence, which
            carries its own.

        Returns
        -------
        output : Tensor of shape (T, N, dirs*H) (or batch first, or unbatched), or a PackedSequence
            when the input was one. Padding steps are zero.
        h_n : Tensor (L*dirs, N, H), or for the LSTM a tuple (h_n, c_n)
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            if lengths is not None:
                raise ValueError("lengths must not be given with a PackedSequence, which carries its own")
            x, lengths = pad_packed_sequence(input, batch_first=False)
            x, unbatched = self._check_input(x.transpose(0, 1) if self.batch_first else x)
        else:
            x, unbatched = self._check_input(input)
        T, N, _ = x.shape
        mask = None if lengths is None else lengths_to_mask(lengths, N, T, x.device)
        states0 = self._initial_states(hx, x, unbatched)
        finals: list[list[Tensor]] = [[] for _ in range(self.n_states)]
        scan = self._scan_fast if self.fast else self._scan_readable
        out = x
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                out = nn.functional.dropout(out, self.dropout, training=True)
            outs = []
            for d, suffix in enumerate(self._suffixes):
                idx = layer * self.num_directions + d
                xin = out if d == 0 else reverse_padded(out, mask)
                y, fin = scan(self._projection(xin, layer, suffix), [s[idx] for s in states0], layer, suffix, mask)
                outs.append(y if d == 0 else reverse_padded(y, mask))
                for k, f in enumerate(fin):
                    finals[k].append(f)
            out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
        fins = [torch.stack(f) for f in finals]
        if unbatched:
            fins = [f[:, 0] for f in fins]
            output: Tensor | PackedSequence = out[:, 0]
        elif packed:
            output = _repack(out, lengths, input)
        else:
            output = out.transpose(0, 1) if self.batch_first else out
        return output, (fins[0] if self.n_states == 1 else tuple(fins))


def _repack(out: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack the time-major ``out`` in exactly the batch order of the input ``like``."""
    order = like.sorted_indices
    if order is None:
        data = pack_padded_sequence(out, lengths, enforce_sorted=True)
    else:
        data = pack_padded_sequence(out[:, order.to(out.device)], lengths[order.cpu()], enforce_sorted=True)
    return PackedSequence(data.data, data.batch_sizes, like.sorted_indices, like.unsorted_indices)
