"""A vanilla RNN written with tensor operations, with the contract of ``torch.nn.RNN``.

It runs wherever its parameters live (CPU, CUDA, Apple's MPS). Parameters have torch's names and
shapes, so ``load_state_dict`` moves weights between this module and ``torch.nn.RNN`` both ways,
and ``torch.nn.RNN`` is the oracle in the tests.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib._checks import NONLINEARITIES
from course_lib.nn_torch._recurrent import RecurrentBase

__all__ = ["RNN"]


class RNN(RecurrentBase):
    """Elman RNN: ``h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, f = tanh or ReLU.

    Parameters
    ----------
    input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional
        As in ``torch.nn.RNN``.
    device, dtype
        Where and in which precision to create the parameters.
    fast : bool
        True (default): the hand-written autograd function; False: the readable loop that
        autograd differentiates. Both give the same numbers.
    """

    mode = "RNN_TANH"

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
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        fast: bool = True,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype,
            fast=fast,
        )

    def _scan_readable(self, xp, states, layer, suffix, mask):
        """The recurrence as written in the book: one step at a time, autograd does the rest."""
        w_hh = self._weights(layer, suffix)[1]
        act = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        h = states[0]
        outputs = []
        for t in range(xp.shape[0]):
            h_new = act(xp[t] + h @ w_hh.T)  # xp[t] already holds x_t W_ih^T + b_ih + b_hh
            if mask is not None:  # padded sequences keep their state and output zeros
                h_new = torch.where(mask[t], h_new, h)
            outputs.append(h_new if mask is None else h_new * mask[t])
            h = h_new
        return torch.stack(outputs), [h]

    def _scan_fast(self, xp, states, layer, suffix, mask):
        w_hh = self._weights(layer, suffix)[1]
        out, h_last = _RNNScan.apply(xp, states[0], w_hh, self.nonlinearity == "relu", mask)
        return out, [h_last]


class _RNNScan(torch.autograd.Function):
    """The recurrence over a whole sequence with a hand-written backward (time-major)."""

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, w_hh: Tensor, relu: bool, mask: Tensor | None):
        T = xp.shape[0]
        h = torch.empty_like(xp)  # states after each step
        h_prev, w_t = h0, w_hh.t()
        for t in range(T):
            a = torch.addmm(xp[t], h_prev, w_t)
            h_t = a.clamp_(min=0) if relu else a.tanh_()
            if mask is not None:
                h_t = torch.where(mask[t], h_t, h_prev)
            h[t] = h_t
            h_prev = h[t]
        ctx.relu = relu
        ctx.save_for_backward(h0, w_hh, h, mask)
        out = h if mask is None else h * mask
        return out, h[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out: Tensor, d_last: Tensor):
        h0, w_hh, h, mask = ctx.saved_tensors
        T, N, H = h.shape
        if mask is not None:
            d_out = d_out * mask
        da = torch.empty_like(h)
        carry = d_last.clone()
        for t in range(T - 1, -1, -1):
            g = d_out[t] + carry
            if mask is not None:
                keep = mask[t]
                gm = g * keep
            else:
                gm = g
            da[t] = gm * (h[t] > 0) if ctx.relu else gm * (1 - h[t] * h[t])
            carry = da[t] @ w_hh
            if mask is not None:
                carry = carry + g * ~keep
        h_prev = torch.cat([h0[None], h[:-1]])
        dw_hh = da.reshape(T * N, H).t() @ h_prev.reshape(T * N, H)
        return da, carry, dw_hh, None, None
