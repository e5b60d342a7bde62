"""A GRU written with tensor operations, with the contract of ``torch.nn.GRU`` (gates r, z, n)."""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.nn_torch._recurrent import RecurrentBase

__all__ = ["GRU"]


class GRU(RecurrentBase):
    """Gated recurrent unit: same constructor, parameters, inputs and outputs as ``torch.nn.GRU``,
    plus ``lengths=`` in :meth:`forward` and ``fast=`` (see :class:`course_lib.nn_torch.RNN`).

    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))`` and ``h' = (1 - z) * n + z * h``: the
    recurrent bias sits inside the reset gate's product, so only ``b_ih`` joins the input projection.
    """

    gates = 3
    mode = "GRU"

    def _projection(self, x: Tensor, layer: int, suffix: str) -> Tensor:
        w_ih, _, b_ih, _ = self._weights(layer, suffix)
        xp = x @ w_ih.T
        return xp if b_ih is None else xp + b_ih

    def _scan_readable(self, xp, states, layer, suffix, mask):
        """One step at a time, as in the book; autograd differentiates it."""
        _, w_hh, _, b_hh = self._weights(layer, suffix)
        H = self.hidden_size
        h = states[0]
        outputs = []
        for t in range(xp.shape[0]):
            hp = h @ w_hh.T if b_hh is None else h @ w_hh.T + b_hh  # (N, 3H)
            r = torch.sigmoid(xp[t, :, :H] + hp[:, :H])
            z = torch.sigmoid(xp[t, :, H : 2 * H] + hp[:, H : 2 * H])
            n = torch.tanh(xp[t, :, 2 * H :] + r * hp[:, 2 * H :])
            h_new = (1 - z) * n + z * h  # interpolate between the candidate and the old state
            if mask is not None:
                h_new = torch.where(mask[t], h_new, h)
            outputs.append(h_new if mask is None else h_new * mask[t])
            h = h_new
        return torch.stack(outputs), [h]

    def _scan_fast(self, xp, states, layer, suffix, mask):
        _, w_hh, _, b_hh = self._weights(layer, suffix)
        if b_hh is None:
            b_hh = xp.new_zeros(3 * self.hidden_size)
        out, h_last = _GRUScan.apply(xp, states[0], w_hh, b_hh, mask)
        return out, [h_last]


class _GRUScan(torch.autograd.Function):
    """The GRU recurrence over a whole sequence with a hand-written backward (time-major)."""

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor, mask: Tensor | None):
        T, N, G = xp.shape
        H = G // 3
        rzn = torch.empty_like(xp)
        hp_n = xp.new_empty(T, N, H)
        h = xp.new_empty(T, N, H)
        h_prev, w_t = h0, w_hh.t()
        for t in range(T):
            hp = torch.addmm(b_hh, h_prev, w_t)
            a = rzn[t]
            torch.add(xp[t, :, : 2 * H], hp[:, : 2 * H], out=a[:, : 2 * H]).sigmoid_()
            r, z = a[:, :H], a[:, H : 2 * H]
            hp_n[t] = hp[:, 2 * H :]
            torch.addcmul(xp[t, :, 2 * H :], r, hp_n[t], out=a[:, 2 * H :]).tanh_()
            n = a[:, 2 * H :]
            h_t = n + z * (h_prev - n)  # = (1 - z) * n + z * h_prev
            h[t] = h_t if mask is None else torch.where(mask[t], h_t, h_prev)
            h_prev = h[t]
        ctx.save_for_backward(h0, w_hh, rzn, hp_n, h, mask)
        out = h if mask is None else h * mask
        return out, h[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out: Tensor, dh_last: Tensor):
        h0, w_hh, rzn, hp_n, h, mask = ctx.saved_tensors
        T, N, G = rzn.shape
        H = G // 3
        if mask is not None:
            d_out = d_out * mask
        dxp = torch.empty_like(rzn)
        dhp = torch.empty_like(rzn)
        carry = dh_last.clone()
        for t in range(T - 1, -1, -1):
            g = d_out[t] + carry
            gm = g if mask is None else g * mask[t]
            r, z, n = rzn[t, :, :H], rzn[t, :, H : 2 * H], rzn[t, :, 2 * H :]
            h_prev = h[t - 1] if t > 0 else h0
            da_n = gm * (1 - z) * (1 - n * n)
            dxp[t, :, :H] = da_n * hp_n[t] * r * (1 - r)
            dxp[t, :, H : 2 * H] = gm * (h_prev - n) * z * (1 - z)
            dxp[t, :, 2 * H :] = da_n
            dhp[t, :, : 2 * H] = dxp[t, :, : 2 * H]
            dhp[t, :, 2 * H :] = da_n * r
            carry = gm * z + dhp[t] @ w_hh
            if mask is not None:
                carry = carry + g * ~mask[t]
        h_prev_all = torch.cat([h0[None], h[:-1]])
        dw_hh = dhp.reshape(T * N, G).t() @ h_prev_all.reshape(T * N, H)
        return dxp, carry, dw_hh, dhp.sum((0, 1)), None
