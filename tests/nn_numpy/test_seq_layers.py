"""Embedding, temporal affine and masked temporal softmax loss: numerical gradients and torch."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.nn_numpy.seq_layers import (
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)
from tests.conftest import FLOAT64_RTOL

sizes = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


@given(N=sizes, T=sizes, V=st.integers(1, 6), D=sizes, seed=seeds)
def test_word_embedding(N, T, V, D, seed):
    r = np.random.default_rng(seed)
    x = r.integers(0, V, (N, T))
    W = r.standard_normal((V, D))
    out, cache = word_embedding_forward(x, W)
    dout = r.standard_normal(out.shape)
    dW = word_embedding_backward(dout, cache)
    assert rel_error(dW, numerical_gradient(lambda _: word_embedding_forward(x, W)[0], W, dout)) < FLOAT64_RTOL
    Wt = torch.from_numpy(W).requires_grad_()
    ref = torch.nn.functional.embedding(torch.from_numpy(x), Wt)
    (ref * torch.from_numpy(dout)).sum().backward()
    np.testing.assert_array_equal(out, ref.detach().numpy())
    assert rel_error(dW, Wt.grad.numpy()) < FLOAT64_RTOL


@given(N=sizes, T=sizes, D=sizes, M=sizes, seed=seeds)
def test_temporal_affine(N, T, D, M, seed):
    r = np.random.default_rng(seed)
    x, w, b = r.standard_normal((N, T, D)), r.standard_normal((D, M)), r.standard_normal(M)
    out, cache = temporal_affine_forward(x, w, b)
    dout = r.standard_normal(out.shape)
    grads = temporal_affine_backward(dout, cache)
    lin = torch.nn.Linear(D, M, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w.T))
        lin.bias.copy_(torch.from_numpy(b))
    xt = torch.from_numpy(x).requires_grad_()
    ref = lin(xt)
    (ref * torch.from_numpy(dout)).sum().backward()
    assert rel_error(out, ref.detach().numpy()) < FLOAT64_RTOL
    for arg, grad, tg in zip((x, w, b), grads, (xt.grad, lin.weight.grad.T, lin.bias.grad), strict=True):
        assert rel_error(grad, tg.numpy()) < FLOAT64_RTOL
        num = numerical_gradient(lambda _: temporal_affine_forward(x, w, b)[0], arg, dout)
        assert rel_error(grad, num) < FLOAT64_RTOL


@given(N=sizes, T=sizes, V=st.integers(2, 6), seed=seeds)
def test_temporal_softmax_loss(N, T, V, seed):
    r = np.random.default_rng(seed)
    x = r.standard_normal((N, T, V)) * 3
    y = r.integers(0, V, (N, T))
    mask = r.random((N, T)) > 0.3
    mask[0, 0] = True  # at least one valid step
    loss, dx = temporal_softmax_loss(x, y, mask)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.from_numpy(y).clone()
    yt[~torch.from_numpy(mask)] = -100  # torch's ignore_index
    ref = torch.nn.functional.cross_entropy(xt.reshape(-1, V), yt.reshape(-1), ignore_index=-100)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    assert rel_error(dx, xt.grad.numpy()) < FLOAT64_RTOL
    num = numerical_gradient(lambda _: temporal_softmax_loss(x, y, mask)[0], x)
    assert rel_error(dx, num) < FLOAT64_RTOL
    assert np.all(dx[~mask] == 0)


def test_softmax_loss_is_stable_for_huge_scores():
    x = np.array([[[1000.0, 0.0, -1000.0]]])
    loss, dx = temporal_softmax_loss(x, np.array([[0]]))
    assert loss == pytest.approx(0.0, abs=1e-12) and np.isfinite(dx).all()


def test_bad_input():
    W = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"x must lie in \[0, 5\), got \[7\]"):
        word_embedding_forward(np.array([[1, 7]]), W)
    with pytest.raises(TypeError, match="x must be an integer numpy.ndarray, got float64"):
        word_embedding_forward(np.zeros((2, 2)), W)
    with pytest.raises(ValueError, match=r"x must have shape \(N=2, T=2, D=3\), got \(2, 2, 4\) \(D=3 comes from w\)"):
        temporal_affine_forward(np.zeros((2, 2, 4)), np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"y must have shape \(2, 3\), got \(3, 2\)"):
        temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="mask marks no valid step"):
        temporal_softmax_loss(np.zeros((1, 2, 4)), np.zeros((1, 2), dtype=int), np.zeros((1, 2), bool))
    with pytest.raises(ValueError, match="mask must be a boolean array"):
        temporal_softmax_loss(np.zeros((1, 2, 4)), np.zeros((1, 2), dtype=int), np.ones((1, 2)))
