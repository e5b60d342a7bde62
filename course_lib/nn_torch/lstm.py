"""An LSTM written with tensor operations, with the contract of ``torch.nn.LSTM`` (gates i, f, g, o)."""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.nn_torch._recurrent import RecurrentBase

__all__ = ["LSTM"]


class LSTM(RecurrentBase):
    """Long short-term memory: same constructor, parameters, inputs and outputs as ``torch.nn.LSTM``
    (without ``proj_size``), plus ``lengths=`` in :meth:`forward` and ``fast=`` (see
    :class:`course_lib.nn_torch.RNN`). ``hx`` is a tuple ``(h_0, c_0)``; the result is
    ``(output, (h_n, c_n))``."""

    gates = 4
    n_states = 2
    mode = "LSTM"

    def _scan_readable(self, xp, states, layer, suffix, mask):
        """One step at a time, as in the book; autograd differentiates it."""
        w_hh = self._weights(layer, suffix)[1]
        h, c = states
        outputs = []
        for t in range(xp.shape[0]):
            a = xp[t] + h @ w_hh.T  # (N, 4H); xp[t] holds x_t W_ih^T + b_ih + b_hh
            i, f, g, o = a.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c_new = f * c + i * g  # the additive cell update
            h_new = o * torch.tanh(c_new)
            if mask is not None:  # padded sequences keep their state and output zeros
                c_new = torch.where(mask[t], c_new, c)
                h_new = torch.where(mask[t], h_new, h)
            outputs.append(h_new if mask is None else h_new * mask[t])
            h, c = h_new, c_new
        return torch.stack(outputs), [h, c]

    def _scan_fast(self, xp, states, layer, suffix, mask):
        w_hh = self._weights(layer, suffix)[1]
        out, h_last, c_last = _LSTMScan.apply(xp, states[0], states[1], w_hh, mask)
        return out, [h_last, c_last]


class _LSTMScan(torch.autograd.Function):
    """The LSTM recurrence over a whole sequence with a hand-written backward (time-major)."""

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, mask: Tensor | None):
        T, N, G = xp.shape
        H = G // 4
        gates = torch.empty_like(xp)
        c = xp.new_empty(T, N, H)
        tanh_c = torch.empty_like(c)
        h = torch.empty_like(c)
        h_prev, c_prev, w_t = h0, c0, w_hh.t()
        for t in range(T):
            a = torch.addmm(xp[t], h_prev, w_t, out=gates[t])
            a[:, : 2 * H].sigmoid_()
            a[:, 2 * H : 3 * H].tanh_()
            a[:, 3 * H :].sigmoid_()
            c_t = torch.addcmul(a[:, H : 2 * H] * c_prev, a[:, :H], a[:, 2 * H : 3 * H])
            if mask is not None:
                c_t = torch.where(mask[t], c_t, c_prev)
            c[t] = c_t
            torch.tanh(c[t], out=tanh_c[t])
            h_t = a[:, 3 * H :] * tanh_c[t]
            h[t] = h_t if mask is None else torch.where(mask[t], h_t, h_prev)
            h_prev, c_prev = h[t], c[t]
        ctx.save_for_backward(h0, c0, w_hh, gates, c, tanh_c, h, mask)
        out = h if mask is None else h * mask
        return out, h[-1].clone(), c[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out: Tensor, dh_last: Tensor, dc_last: Tensor):
        h0, c0, w_hh, gates, c, tanh_c, h, mask = ctx.saved_tensors
        T, N, G = gates.shape
        H = G // 4
        if mask is not None:
            d_out = d_out * mask
        da = torch.empty_like(gates)
        dh_carry, dc_carry = dh_last.clone(), dc_last.clone()
        for t in range(T - 1, -1, -1):
            gh, gc = d_out[t] + dh_carry, dc_carry
            if mask is not None:
                keep = mask[t]
                gh_in, gc_in = gh * keep, gc * keep
            else:
                gh_in, gc_in = gh, gc
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            c_prev = c[t - 1] if t > 0 else c0
            tc = tanh_c[t]
            dc = gc_in + gh_in * o * (1 - tc * tc)
            d = da[t]
            torch.mul(dc * g, i * (1 - i), out=d[:, :H])
            torch.mul(dc * c_prev, f * (1 - f), out=d[:, H : 2 * H])
            torch.mul(dc * i, 1 - g * g, out=d[:, 2 * H : 3 * H])
            torch.mul(gh_in * tc, o * (1 - o), out=d[:, 3 * H :])
            dh_carry = d @ w_hh
            dc_carry = dc * f
            if mask is not None:
                dh_carry = dh_carry + gh * ~keep
                dc_carry = dc_carry + gc * ~keep
        h_prev = torch.cat([h0[None], h[:-1]])
        dw_hh = da.reshape(T * N, G).t() @ h_prev.reshape(T * N, H)
        return da, dh_carry, dc_carry, dw_hh, None
