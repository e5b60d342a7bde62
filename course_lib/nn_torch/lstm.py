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
        """The same numbers as :meth:`_scan_readable`, from :class:`_LSTMScan` (hand-written backward)."""
        w_hh = self._weights(layer, suffix)[1]
        out, h_last, c_last = _LSTMScan.apply(xp, states[0], states[1], w_hh, mask)
        return out, [h_last, c_last]


class _LSTMScan(torch.autograd.Function):
    """The LSTM recurrence over a whole sequence with a hand-written backward (time-major).

    Written for few tensor operations per step (each one is a kernel launch on a GPU, and
    interpreter and dispatch overhead on a CPU): results go straight into preallocated arrays with
    ``out=`` and in-place operations, ``o (1 - tanh(c)^2)`` is read off the stored ``h = o tanh(c)``,
    and the recurrent product of the backward also adds the next step's upstream gradient
    (``addmm``). Every elementwise operation works on one (N, H) gate block rather than on the
    whole (N, 4H) row: on a CPU, torch runs operations of 32768 elements or more on several threads,
    and for arrays this small waking the threads costs more than it saves. The hidden states are
    stored after ``h0`` in one array, so that the weight gradient is one matrix product without a
    copy.
    """

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, mask: Tensor | None):
        T, N, G = xp.shape
        H = G // 4
        gates = torch.empty_like(xp)  # i, f, g, o after their nonlinearities
        c = xp.new_empty(T, N, H)
        tanh_c = torch.empty_like(c)
        h_all = xp.new_empty(T + 1, N, H)  # h_all[0] = h0, h_all[t + 1] = h_t
        h_all[0] = h0
        c_prev, w_t = c0, w_hh.t()
        for t in range(T):
            h_prev, c_t, h_t = h_all[t], c[t], h_all[t + 1]
            a = torch.addmm(xp[t], h_prev, w_t, out=gates[t])  # (N, 4H) pre-activations
            i, f, g, o = a.chunk(4, dim=1)
            i.sigmoid_()
            f.sigmoid_()
            g.tanh_()
            o.sigmoid_()
            torch.mul(f, c_prev, out=c_t)
            c_t.addcmul_(i, g)  # c_t = f * c_prev + i * g
            if mask is not None:  # padded sequences keep their state
                torch.where(mask[t], c_t, c_prev, out=c_t)
            torch.tanh(c_t, out=tanh_c[t])
            torch.mul(o, tanh_c[t], out=h_t)
            if mask is not None:
                torch.where(mask[t], h_t, h_prev, out=h_t)
            c_prev = c_t
        ctx.save_for_backward(c0, w_hh, gates, c, tanh_c, h_all, mask)
        h = h_all[1:]
        out = h if mask is None else h * mask
        return out, h[-1].clone(), c[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out: Tensor, dh_last: Tensor, dc_last: Tensor):
        c0, w_hh, gates, c, tanh_c, h_all, mask = ctx.saved_tensors
        T, N, G = gates.shape
        H = G // 4
        if mask is not None:
            d_out = d_out * mask  # padded outputs are constant zeros
        da = torch.empty_like(gates)  # gradient at the pre-activations, every step
        one = gates.new_ones(())
        gh = d_out[T - 1] + dh_last  # gradient reaching h_t
        gc = dc_last  # gradient reaching c_t from later steps
        for t in range(T - 1, -1, -1):
            if mask is not None:  # a held state passes its gradient straight back
                keep, held = mask[t], ~mask[t]
                gh_pass, gc_pass = gh * held, gc * held
                gh, gc = gh * keep, gc * keep
            s, d = gates[t], da[t]
            i, f, g, o = s.chunk(4, dim=1)
            d_i, d_f, d_g, d_o = d.chunk(4, dim=1)
            c_prev = c[t - 1] if t > 0 else c0
            tc = tanh_c[t]
            # dc = gc + gh * o * (1 - tc^2), with o (1 - tc^2) = o - h_t * tc since h_t = o * tc
            dc = torch.addcmul(gc, gh, torch.addcmul(o, h_all[t + 1], tc, value=-1))
            # each gate's derivative, times what the gate multiplies, times the arriving gradient
            torch.addcmul(i, i, i, value=-1, out=d_i).mul_(g).mul_(dc)  # dc * g * i (1 - i)
            torch.addcmul(f, f, f, value=-1, out=d_f).mul_(c_prev).mul_(dc)  # dc * c_prev * f (1 - f)
            torch.addcmul(one, g, g, value=-1, out=d_g).mul_(i).mul_(dc)  # dc * i * (1 - g^2)
            torch.addcmul(o, o, o, value=-1, out=d_o).mul_(tc).mul_(gh)  # gh * tanh(c) * o (1 - o)
            gc = dc * f
            # the gradient reaching h_{t-1}: through the recurrence, plus its own output's
            gh = torch.addmm(d_out[t - 1], d, w_hh) if t > 0 else d @ w_hh
            if mask is not None:
                gh, gc = gh + gh_pass, gc + gc_pass
        dw_hh = da.reshape(T * N, G).t() @ h_all[:-1].reshape(T * N, H)
        return da, gh, gc, dw_hh, None
