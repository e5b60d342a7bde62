"""Truncated BPTT: state carried across chunks, gradient cut at chunk borders.

The oracle is torch autograd on the same RNN with the hidden state detached at every border.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib.gradcheck import rel_error
from course_lib.nn_numpy import rnn_backward, rnn_forward, tbptt_chunks, truncated_bptt
from tests.conftest import FLOAT64_RTOL
from tests.nn_numpy.test_rnn import make_inputs


def squared_loss(target):
    """loss_grad for 0.5 * sum((h - target)^2) over the chunk's steps."""

    def loss_grad(h, start):
        diff = h - target[:, start : start + h.shape[1]]
        return 0.5 * float(np.sum(diff**2)), diff

    return loss_grad


def torch_truncated(x, h0, Wx, Wh, b, k, target):
    """Same loss in torch, with h detached at every chunk border."""
    Wx_t, Wh_t, b_t = (torch.from_numpy(a).requires_grad_() for a in (Wx, Wh, b))
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    h, loss = torch.from_numpy(h0), 0.0
    for t in range(x.shape[1]):
        if t % k == 0:
            h = h.detach()
        h = torch.tanh(xt[:, t] @ Wx_t + h @ Wh_t + b_t)
        loss = loss + 0.5 * ((h - tt[:, t]) ** 2).sum()
    loss.backward()
    return loss.item(), {"Wx": Wx_t.grad.numpy(), "Wh": Wh_t.grad.numpy(), "b": b_t.grad.numpy()}, h


@given(T=st.integers(1, 12), k=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_truncated_gradient_matches_torch_with_detach(T, k, seed):
    x, h0, Wx, Wh, b = make_inputs(seed, 2, T, 3, 4)
    target = np.random.default_rng(seed + 1).standard_normal((2, T, 4))
    loss, grads, h_last = truncated_bptt(x, h0, Wx, Wh, b, k, squared_loss(target))
    loss_t, grads_t, h_t = torch_truncated(x, h0, Wx, Wh, b, k, target)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    for name in grads:
        assert rel_error(grads[name], grads_t[name]) < FLOAT64_RTOL, name
    assert rel_error(h_last, h_t.detach().numpy()) < FLOAT64_RTOL


@pytest.mark.parametrize("k", [7, 8, 100])
def test_chunk_at_least_T_equals_full_bptt(k):
    x, h0, Wx, Wh, b = make_inputs(0, 2, 7, 3, 4)
    target = np.random.default_rng(1).standard_normal((2, 7, 4))
    _, grads, _ = truncated_bptt(x, h0, Wx, Wh, b, k, squared_loss(target))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    _, _, dWx, dWh, db = rnn_backward(h - target, cache)
    for name, full in (("Wx", dWx), ("Wh", dWh), ("b", db)):
        assert rel_error(grads[name], full) < 1e-12, name


def test_truncation_changes_the_gradient():
    x, h0, Wx, Wh, b = make_inputs(0, 2, 12, 3, 4)
    target = np.random.default_rng(1).standard_normal((2, 12, 4))
    _, full, _ = truncated_bptt(x, h0, Wx, Wh, b, 12, squared_loss(target))
    _, cut, _ = truncated_bptt(x, h0, Wx, Wh, b, 3, squared_loss(target))
    assert rel_error(full["Wh"], cut["Wh"]) > 1e-3


def test_state_is_carried_across_chunks():
    x, h0, Wx, Wh, b = make_inputs(3, 2, 9, 3, 4)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    seen = []

    def record(h_chunk, start):
        seen.append((start, h_chunk.copy()))
        return 0.0, np.zeros_like(h_chunk)

    chunks = list(tbptt_chunks(x, h0, Wx, Wh, b, 4, record))
    assert [c.start for c in chunks] == [0, 4, 8]
    np.testing.assert_allclose(np.concatenate([s[1] for s in seen], axis=1), h, rtol=1e-14)
    np.testing.assert_allclose(chunks[-1].h_last, h[:, -1], rtol=1e-14)


def test_bad_chunk_length():
    x, h0, Wx, Wh, b = make_inputs(0, 1, 3, 2, 2)
    with pytest.raises(ValueError, match="k must be a positive int"):
        truncated_bptt(x, h0, Wx, Wh, b, 0, squared_loss(np.zeros((1, 3, 2))))
    with pytest.raises(TypeError, match="k must be a positive int"):
        truncated_bptt(x, h0, Wx, Wh, b, 2.5, squared_loss(np.zeros((1, 3, 2))))
