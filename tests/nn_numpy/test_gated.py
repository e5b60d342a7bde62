"""LSTM and GRU functional API: step and sequence backward passes against centred differences and
torch autograd (torch.nn.LSTM / torch.nn.GRU as the oracle), float64, random shapes."""

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.nn_numpy.gru import (
    gru_backward,
    gru_backward_full,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)
from course_lib.nn_numpy.lstm import (
    lstm_backward,
    lstm_backward_full,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from tests.conftest import FLOAT64_RTOL

sizes = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def lstm_inputs(seed, N, T, D, H):
    r = np.random.default_rng(seed)
    return (
        r.standard_normal((N, T, D)),
        r.standard_normal((N, H)),
        r.standard_normal((D, 4 * H)) / np.sqrt(D),
        r.standard_normal((H, 4 * H)) / np.sqrt(H),
        r.standard_normal(4 * H) * 0.5,
        r.standard_normal((N, H)),
    )


def gru_inputs(seed, N, T, D, H):
    r = np.random.default_rng(seed)
    return (
        r.standard_normal((N, T, D)),
        r.standard_normal((N, H)),
        r.standard_normal((D, 3 * H)) / np.sqrt(D),
        r.standard_normal((H, 3 * H)) / np.sqrt(H),
        r.standard_normal(3 * H) * 0.5,
        r.standard_normal(3 * H) * 0.5,
    )


def torch_lstm(x, h0, Wx, Wh, b, c0, dh, dh_last, dc_last):
    D, H = Wx.shape[0], h0.shape[1]
    m = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        m.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        m.bias_ih_l0.copy_(torch.from_numpy(b))
        m.bias_hh_l0.zero_()
    xt, h0t, c0t = (torch.from_numpy(a).requires_grad_() for a in (x, h0[None], c0[None]))
    out, (hn, cn) = m(xt, (h0t, c0t))
    loss = (out * torch.from_numpy(dh)).sum()
    loss = loss + (hn[0] * torch.from_numpy(dh_last)).sum() + (cn[0] * torch.from_numpy(dc_last)).sum()
    loss.backward()
    grads = (xt.grad, h0t.grad[0], c0t.grad[0], m.weight_ih_l0.grad.T, m.weight_hh_l0.grad.T, m.bias_ih_l0.grad)
    return out.detach().numpy(), [g.numpy() for g in grads]


def torch_gru(x, h0, Wx, Wh, bx, bh, dh):
    D, H = Wx.shape[0], h0.shape[1]
    m = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p, v in zip(m.parameters(), (Wx.T, Wh.T, bx, bh), strict=True):
            p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
    xt, h0t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(h0[None]).requires_grad_()
    out, _ = m(xt, h0t)
    (out * torch.from_numpy(dh)).sum().backward()
    grads = (xt.grad, h0t.grad[0], m.weight_ih_l0.grad.T, m.weight_hh_l0.grad.T, m.bias_ih_l0.grad, m.bias_hh_l0.grad)
    return out.detach().numpy(), [g.numpy() for g in grads]


def check_against_numerical(f, args, grads, upstream):
    for k, (arg, grad) in enumerate(zip(args, grads, strict=True)):
        assert grad.shape == arg.shape, f"gradient {k} shape"
        num = numerical_gradient(f, arg, upstream)
        assert rel_error(grad, num) < FLOAT64_RTOL, f"gradient {k} differs from numerical"


# ------------------------------------------------------------------ LSTM


@given(N=sizes, D=sizes, H=sizes, seed=seeds)
@example(N=1, D=1, H=1, seed=0)
def test_lstm_step_backward(N, D, H, seed):
    x, h, Wx, Wh, b, c = lstm_inputs(seed, N, 1, D, H)
    x = x[:, 0]
    h_next, c_next, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    r = np.random.default_rng(seed + 1)
    dh, dc = r.standard_normal((N, H)), r.standard_normal((N, H))
    grads = lstm_step_backward(dh, dc, cache)
    args = (x, h, c, Wx, Wh, b)

    def f(_):  # one scalar combining both outputs: <h_next, dh> + <c_next, dc>
        hn, cn, _c = lstm_step_forward(*args)
        return np.sum(hn * dh) + np.sum(cn * dc)

    check_against_numerical(f, args, grads, None)
    out, tgrads = torch_lstm(x[:, None], h, Wx, Wh, b, c, np.zeros((N, 1, H)), dh, dc)
    assert rel_error(h_next, out[:, 0]) < FLOAT64_RTOL
    order = (0, 1, 2, 3, 4, 5)  # dx, dh_prev, dc_prev, dWx, dWh, db
    for k in order:
        ref = tgrads[k][:, 0] if k == 0 else tgrads[k]
        assert rel_error(grads[k], ref) < FLOAT64_RTOL, f"gradient {k} differs from torch"


@given(N=sizes, T=st.integers(1, 5), D=sizes, H=sizes, seed=seeds)
@example(N=1, T=1, D=1, H=1, seed=0)
@example(N=2, T=5, D=4, H=2, seed=3)
def test_lstm_sequence_backward(N, T, D, H, seed):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(seed, N, T, D, H)
    out, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    r = np.random.default_rng(seed + 1)
    dh, dh_last, dc_last = r.standard_normal((N, T, H)), r.standard_normal((N, H)), r.standard_normal((N, H))
    grads = lstm_backward_full(dh, cache, dh_last, dc_last)
    ref_out, ref = torch_lstm(x, h0, Wx, Wh, b, c0, dh, dh_last, dc_last)
    assert rel_error(out, ref_out) < FLOAT64_RTOL
    for k in range(6):
        assert rel_error(grads[k], ref[k]) < FLOAT64_RTOL, f"gradient {k} differs from torch"
    args = (x, h0, Wx, Wh, b, c0)

    def f(_):
        o, c = lstm_forward(*args[:5], c0)
        return np.sum(o * dh) + np.sum(c.h[:, -1] * dh_last) + np.sum(c.c[:, -1] * dc_last)

    # argument order of lstm_backward_full: dx, dh0, dc0, dWx, dWh, db
    check_against_numerical(f, (x, h0, c0, Wx, Wh, b), grads, None)
    # the public 5-output form drops only dc0
    short = lstm_backward(dh, cache)
    full = lstm_backward_full(dh, cache)
    for a, bb in zip(short, (full[0], full[1], full[3], full[4], full[5]), strict=True):
        np.testing.assert_array_equal(a, bb)


# ------------------------------------------------------------------ GRU


@given(N=sizes, D=sizes, H=sizes, seed=seeds)
@example(N=1, D=1, H=1, seed=0)
def test_gru_step_backward(N, D, H, seed):
    x, h, Wx, Wh, bx, bh = gru_inputs(seed, N, 1, D, H)
    x = x[:, 0]
    h_next, cache = gru_step_forward(x, h, Wx, Wh, bx, bh)
    dh = np.random.default_rng(seed + 1).standard_normal((N, H))
    grads = gru_step_backward(dh, cache)
    args = (x, h, Wx, Wh, bx, bh)
    check_against_numerical(lambda _: gru_step_forward(*args)[0], args, grads, dh)
    out, ref = torch_gru(x[:, None], h, Wx, Wh, bx, bh, dh[:, None])
    assert rel_error(h_next, out[:, 0]) < FLOAT64_RTOL
    for k in range(6):
        r_k = ref[k][:, 0] if k == 0 else ref[k]
        assert rel_error(grads[k], r_k) < FLOAT64_RTOL, f"gradient {k} differs from torch"


@given(N=sizes, T=st.integers(1, 5), D=sizes, H=sizes, seed=seeds)
@example(N=1, T=1, D=1, H=1, seed=0)
@example(N=2, T=5, D=4, H=2, seed=3)
def test_gru_sequence_backward(N, T, D, H, seed):
    args = gru_inputs(seed, N, T, D, H)
    out, cache = gru_forward(*args)
    dh = np.random.default_rng(seed + 1).standard_normal((N, T, H))
    grads = gru_backward(dh, cache)
    ref_out, ref = torch_gru(*args, dh)
    assert rel_error(out, ref_out) < FLOAT64_RTOL
    for k in range(6):
        assert rel_error(grads[k], ref[k]) < FLOAT64_RTOL, f"gradient {k} differs from torch"
    check_against_numerical(lambda _: gru_forward(*args)[0], args, grads, dh)


# ------------------------------------------------------------------ masks (variable lengths)


def test_masked_sequences_equal_the_unpadded_runs():
    """With a mask, each sequence gives exactly what running it alone, unpadded, gives."""
    lstm_args = lstm_inputs(0, 3, 6, 2, 3)
    gru_args = gru_inputs(0, 3, 6, 2, 3)
    lengths = [6, 1, 4]
    mask = np.arange(6)[None] < np.array(lengths)[:, None]
    out_l, cache_l = lstm_forward(*lstm_args[:5], lstm_args[5], mask=mask)
    out_g, cache_g = gru_forward(*gru_args, mask=mask)
    for n, L in enumerate(lengths):
        x, h0, Wx, Wh, b, c0 = lstm_args
        alone, c_alone = lstm_forward(x[n : n + 1, :L], h0[n : n + 1], Wx, Wh, b, c0[n : n + 1])
        np.testing.assert_allclose(out_l[n, :L], alone[0], rtol=1e-13)
        assert np.all(out_l[n, L:] == 0)
        np.testing.assert_allclose(cache_l.h[n, -1], alone[0, -1], rtol=1e-13)
        np.testing.assert_allclose(cache_l.c[n, -1], c_alone.c[0, -1], rtol=1e-13)
        x, h0, Wx, Wh, bx, bh = gru_args
        alone, _ = gru_forward(x[n : n + 1, :L], h0[n : n + 1], Wx, Wh, bx, bh)
        np.testing.assert_allclose(out_g[n, :L], alone[0], rtol=1e-13)
        np.testing.assert_allclose(cache_g.h[n, -1], alone[0, -1], rtol=1e-13)


def test_masked_backward_matches_numerical():
    lengths = np.array([4, 1, 3])
    mask = np.arange(4)[None] < lengths[:, None]
    r = np.random.default_rng(9)
    x, h0, Wx, Wh, b, c0 = lstm_inputs(1, 3, 4, 2, 3)
    dh, dh_last, dc_last = r.standard_normal((3, 4, 3)), r.standard_normal((3, 3)), r.standard_normal((3, 3))

    def f_lstm(_):
        o, c = lstm_forward(x, h0, Wx, Wh, b, c0, mask=mask)
        return np.sum(o * dh) + np.sum(c.h[:, -1] * dh_last) + np.sum(c.c[:, -1] * dc_last)

    _, cache = lstm_forward(x, h0, Wx, Wh, b, c0, mask=mask)
    grads = lstm_backward_full(dh, cache, dh_last, dc_last)
    check_against_numerical(f_lstm, (x, h0, c0, Wx, Wh, b), grads, None)

    args = gru_inputs(2, 3, 4, 2, 3)

    def f_gru(_):
        o, c = gru_forward(*args, mask=mask)
        return np.sum(o * dh) + np.sum(c.h[:, -1] * dh_last)

    _, cache = gru_forward(*args, mask=mask)
    check_against_numerical(f_gru, args, gru_backward_full(dh, cache, dh_last), None)


def test_cache_memory_is_proportional_to_T():
    """The backward's cache grows linearly with T (bytes per step constant)."""
    per_step = set()
    for T in (10, 20, 40):
        x, h0, Wx, Wh, b, c0 = lstm_inputs(0, 4, T, 3, 5)
        _, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
        per_step.add(cache.nbytes / T)
        assert cache.nbytes == T * 4 * 8 * (3 + 4 * 5 + 3 * 5)  # x, gates, c, tanh_c, h in float64
    assert len(per_step) == 1
