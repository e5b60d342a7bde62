"""The NumPy vanilla RNN: functional forward/backward and the torch.nn.RNN-like layer class.

Every backward pass is checked two ways, in float64 over random shapes (hypothesis): against
centred-difference numerical gradients and against torch autograd through torch.nn as the oracle.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.nn_numpy import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from tests.conftest import FLOAT32_RTOL, FLOAT64_RTOL

sizes = st.integers(1, 5)
seeds = st.integers(0, 2**32 - 1)
nonlinearities = st.sampled_from(["tanh", "relu"])


def make_inputs(seed, N, T, D, H, dtype=np.float64):
    """x (N, T, D), h0 (N, H), Wx, Wh, b with weights scaled so that tanh is not saturated."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((N, T, D))
    h0 = r.standard_normal((N, H))
    Wx = r.standard_normal((D, H)) / np.sqrt(D)
    Wh = r.standard_normal((H, H)) / np.sqrt(H)
    b = r.standard_normal(H) * 0.1
    return tuple(a.astype(dtype) for a in (x, h0, Wx, Wh, b))


def preactivations(x, h0, Wx, Wh, b, nonlinearity):
    """a_t of every step (N, T, H), recomputed independently of the library."""
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    h, out = h0, []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        out.append(a)
        h = act(a)
    return np.stack(out, axis=1)


def away_from_kink(args, nonlinearity):
    """ReLU has no derivative at 0; centred differences across the kink are meaningless."""
    return nonlinearity == "tanh" or np.min(np.abs(preactivations(*args, nonlinearity))) > 1e-4


def torch_oracle(x, h0, Wx, Wh, b, nonlinearity, dh):
    """torch.nn.RNN with the same weights: hidden states and the gradients of sum(h * dh)."""
    D, H = Wx.shape
    module = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        module.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        module.bias_ih_l0.copy_(torch.from_numpy(b))
        module.bias_hh_l0.zero_()
    xt = torch.from_numpy(x).requires_grad_()
    h0t = torch.from_numpy(h0)[None].requires_grad_()
    h, _ = module(xt, h0t)
    (h * torch.from_numpy(dh)).sum().backward()
    grads = (
        xt.grad.numpy(),
        h0t.grad[0].numpy(),
        module.weight_ih_l0.grad.T.numpy(),
        module.weight_hh_l0.grad.T.numpy(),
        module.bias_ih_l0.grad.numpy(),
    )
    return h.detach().numpy(), grads


NAMES = ("dx", "dh0", "dWx", "dWh", "db")


# ---------------------------------------------------------------- one step


@given(N=sizes, D=sizes, H=sizes, seed=seeds, nonlinearity=nonlinearities)
@example(N=1, D=1, H=1, seed=0, nonlinearity="tanh")
@example(N=1, D=5, H=2, seed=1, nonlinearity="relu")
def test_step_backward_matches_numerical_and_torch(N, D, H, seed, nonlinearity):
    x, h_prev, Wx, Wh, b = make_inputs(seed, N, 1, D, H)
    x = x[:, 0]
    assume(away_from_kink((x[:, None], h_prev, Wx, Wh, b), nonlinearity))
    h_next, cache = rnn_step_forward(x, h_prev, Wx, Wh, b, nonlinearity=nonlinearity)
    dh = np.random.default_rng(seed + 1).standard_normal(h_next.shape)
    grads = rnn_step_backward(dh, cache)

    h_ref, torch_grads = torch_oracle(x[:, None], h_prev, Wx, Wh, b, nonlinearity, dh[:, None])
    assert rel_error(h_next, h_ref[:, 0]) < FLOAT64_RTOL
    inputs = (x, h_prev, Wx, Wh, b)
    for name, arg, grad, ref in zip(NAMES, inputs, grads, torch_grads, strict=True):
        assert grad.shape == arg.shape, f"{name} shape"
        ref = ref[:, 0] if name == "dx" else ref
        assert rel_error(grad, ref) < FLOAT64_RTOL, f"{name} differs from torch autograd"

        def f(_):
            return rnn_step_forward(*inputs, nonlinearity=nonlinearity)[0]

        num = numerical_gradient(f, arg, dh)
        assert rel_error(grad, num) < FLOAT64_RTOL, f"{name} differs from numerical gradient"


# ---------------------------------------------------------------- a sequence


@given(N=sizes, T=st.integers(1, 6), D=sizes, H=sizes, seed=seeds, nonlinearity=nonlinearities)
@example(N=1, T=1, D=1, H=1, seed=0, nonlinearity="tanh")
@example(N=1, T=1, D=3, H=5, seed=2, nonlinearity="relu")
@example(N=2, T=6, D=5, H=2, seed=3, nonlinearity="tanh")
def test_sequence_backward_matches_numerical_and_torch(N, T, D, H, seed, nonlinearity):
    inputs = make_inputs(seed, N, T, D, H)
    assume(away_from_kink(inputs, nonlinearity))
    h, cache = rnn_forward(*inputs, nonlinearity=nonlinearity)
    assert h.shape == (N, T, H)
    dh = np.random.default_rng(seed + 1).standard_normal(h.shape)
    grads = rnn_backward(dh, cache)

    h_ref, torch_grads = torch_oracle(*inputs, nonlinearity, dh)
    assert rel_error(h, h_ref) < FLOAT64_RTOL
    for name, arg, grad, ref in zip(NAMES, inputs, grads, torch_grads, strict=True):
        assert grad.shape == arg.shape, f"{name} shape"
        assert rel_error(grad, ref) < FLOAT64_RTOL, f"{name} differs from torch autograd"
        num = numerical_gradient(lambda _: rnn_forward(*inputs, nonlinearity)[0], arg, dh)
        assert rel_error(grad, num) < FLOAT64_RTOL, f"{name} differs from numerical gradient"


def test_sequence_forward_equals_repeated_steps(rng):
    x, h0, Wx, Wh, b = make_inputs(7, 3, 5, 4, 6)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    h_prev = h0
    for t in range(5):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], h_prev, rtol=1e-13, atol=1e-15)


def test_forward_keeps_float32(rng):
    inputs = make_inputs(0, 2, 3, 4, 5, dtype=np.float32)
    h, cache = rnn_forward(*inputs)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(np.ones_like(h), cache))


# ---------------------------------------------------------------- the layer class vs torch.nn.RNN


def run_pair(num_layers, nonlinearity, batch_first, bias, dtype, with_hx, unbatched=False, seed=0):
    """Run nn_numpy.RNN and torch.nn.RNN with the same weights; return both sets of results."""
    torch.manual_seed(seed)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    D, H, N, T = 3, 4, 2, 5
    ref = torch.nn.RNN(D, H, num_layers, nonlinearity, bias, batch_first, dtype=tdtype)
    ours = RNN.from_torch(ref)
    assert ours.dtype == dtype
    r = np.random.default_rng(seed)
    if unbatched:
        x_shape, hx_shape = (T, D), (num_layers, H)
    else:
        x_shape = (N, T, D) if batch_first else (T, N, D)
        hx_shape = (num_layers, N, H)
    x = r.standard_normal(x_shape).astype(dtype)
    hx = r.standard_normal(hx_shape).astype(dtype) if with_hx else None

    out, h_n = ours.forward(x, hx)
    d_out = r.standard_normal(out.shape).astype(dtype)
    d_h_n = r.standard_normal(h_n.shape).astype(dtype)
    dx = ours.backward(d_out, d_h_n)

    xt = torch.from_numpy(x).requires_grad_()
    hxt = torch.from_numpy(hx).requires_grad_() if with_hx else None
    out_t, h_n_t = ref(xt, hxt)
    ((out_t * torch.from_numpy(d_out)).sum() + (h_n_t * torch.from_numpy(d_h_n)).sum()).backward()
    return ours, ref, (out, h_n, dx), (out_t, h_n_t, xt.grad), hxt


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_hx", [False, True])
def test_layer_matches_torch_nn_rnn(num_layers, nonlinearity, batch_first, dtype, with_hx):
    tol = FLOAT64_RTOL if dtype == np.float64 else FLOAT32_RTOL
    ours, ref, got, want, hxt = run_pair(num_layers, nonlinearity, batch_first, True, dtype, with_hx)
    for name, a, b in zip(("output", "h_n", "dx"), got, want, strict=True):
        assert a.shape == tuple(b.shape), name
        assert rel_error(a, b.detach().numpy()) < tol, name
    assert set(ours.grads) == set(ours.params) == set(dict(ref.named_parameters()))
    for name, p in ref.named_parameters():
        assert ours.grads[name].shape == ours.params[name].shape
        assert rel_error(ours.grads[name], p.grad.numpy()) < tol, name
    if with_hx:
        assert rel_error(ours.d_hx, hxt.grad.numpy()) < tol


@pytest.mark.parametrize("unbatched", [False, True])
def test_layer_without_bias_and_unbatched(unbatched):
    ours, ref, got, want, hxt = run_pair(2, "tanh", False, False, np.float64, True, unbatched)
    assert not any(k.startswith("bias") for k in ours.params)
    for a, b in zip(got, want, strict=True):
        assert a.shape == tuple(b.shape)
        assert rel_error(a, b.detach().numpy()) < FLOAT64_RTOL
    for name, p in ref.named_parameters():
        assert rel_error(ours.grads[name], p.grad.numpy()) < FLOAT64_RTOL, name
    assert rel_error(ours.d_hx, hxt.grad.numpy()) < FLOAT64_RTOL


def test_layer_gradients_match_numerical():
    """The class adds layer plumbing (transposes, two biases, h_n) on top of rnn_backward."""
    layer = RNN(2, 3, num_layers=2, batch_first=True, seed=0)
    r = np.random.default_rng(1)
    x = r.standard_normal((2, 4, 2))
    d_out, d_h_n = r.standard_normal((2, 4, 3)), r.standard_normal((2, 2, 3))

    def loss(_):
        out, h_n = layer.forward(x)
        return np.sum(out * d_out) + np.sum(h_n * d_h_n)

    loss(None)
    dx = layer.backward(d_out, d_h_n)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    assert rel_error(dx, numerical_gradient(loss, x)) < FLOAT64_RTOL
    for name, p in layer.params.items():
        assert rel_error(grads[name], numerical_gradient(loss, p)) < FLOAT64_RTOL, name


def test_params_have_torch_names_shapes_and_init_range():
    layer = RNN(3, 5, num_layers=2, seed=0)
    ref = torch.nn.RNN(3, 5, num_layers=2)
    assert list(layer.params) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert layer.params[name].shape == tuple(value.shape)
        assert np.all(np.abs(layer.params[name]) <= 1 / np.sqrt(5))
    assert layer.dtype == np.float64
    assert RNN(3, 5, dtype=np.float32).dtype == np.float32


def test_seed_makes_weights_reproducible():
    a, b = RNN(3, 4, seed=7), RNN(3, 4, seed=7)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])


def test_to_torch_round_trip():
    ours = RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True, seed=3)
    module = ours.to_torch()
    assert isinstance(module, torch.nn.RNN)
    assert (module.nonlinearity, module.num_layers, module.batch_first) == ("relu", 2, True)
    x = np.random.default_rng(0).standard_normal((2, 6, 3))
    out, h_n = ours.forward(x)
    out_t, h_n_t = module(torch.from_numpy(x))
    assert rel_error(out, out_t.detach().numpy()) < FLOAT64_RTOL
    assert rel_error(h_n, h_n_t.detach().numpy()) < FLOAT64_RTOL
    back = RNN.from_torch(module)
    for name in ours.params:
        np.testing.assert_array_equal(back.params[name], ours.params[name])
