"""nn_numpy.RNN / LSTM / GRU against torch.nn for every combination the course relies on:
kind x 1-3 layers x uni/bidirectional x batch_first x with/without lengths (including a length
of 1 and unsorted lengths) x with/without initial state: outputs, final states and all gradients."""

import numpy as np
import pytest

from course_lib import nn_numpy
from course_lib.gradcheck import numerical_gradient, rel_error
from tests.conftest import FLOAT32_RTOL, FLOAT64_RTOL
from tests.oracle import Case, all_cases, assert_match, make_data, run_torch, torch_module


def run_ours(case: Case, module, x, hx, d_out, d_fin):
    layer = getattr(nn_numpy, case.kind).from_torch(module)
    state = None if hx is None else (hx if case.n_states == 2 else hx[0])
    out, fin = layer.forward(x, state, lengths=None if case.lengths is None else list(case.lengths))
    fins = fin if isinstance(fin, tuple) else (fin,)
    dx = layer.backward(d_out, *d_fin)
    d_hx = layer.d_hx if isinstance(layer.d_hx, tuple) else (layer.d_hx,)
    return {"output": out, "finals": list(fins), "dx": dx, "d_hx": list(d_hx), "grads": layer.grads}


@pytest.mark.parametrize("case", all_cases(), ids=str)
def test_matches_torch_nn(case):
    module = torch_module(case)
    data = make_data(case)
    assert_match(run_ours(case, module, *data), run_torch(module, case, *data), FLOAT64_RTOL)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("lengths", [None, (5, 1, 3)])
def test_float32_matches_torch_nn(kind, lengths):
    case = Case(kind, 2, True, True, lengths, True, dtype="float32")
    module = torch_module(case)
    data = make_data(case)
    assert_match(run_ours(case, module, *data), run_torch(module, case, *data), FLOAT32_RTOL)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_without_bias(kind):
    case = Case(kind, 2, True, False, (2, 5, 3), True, bias=False)
    module = torch_module(case)
    data = make_data(case)
    assert_match(run_ours(case, module, *data), run_torch(module, case, *data), FLOAT64_RTOL)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(kind):
    import torch

    cls = getattr(nn_numpy, kind)
    layer = cls(3, 4, num_layers=2, bidirectional=True, seed=0)
    ref = layer.to_torch()
    x = np.random.default_rng(0).standard_normal((6, 3))
    out, fin = layer.forward(x)
    out_t, fin_t = ref(torch.from_numpy(x))
    assert out.shape == tuple(out_t.shape) == (6, 8)
    assert rel_error(out, out_t.detach().numpy()) < FLOAT64_RTOL
    fin = fin if isinstance(fin, tuple) else (fin,)
    fin_t = fin_t if isinstance(fin_t, tuple) else (fin_t,)
    for a, b in zip(fin, fin_t, strict=True):
        assert a.shape == tuple(b.shape) == (4, 4)
        assert rel_error(a, b.detach().numpy()) < FLOAT64_RTOL


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_padding_outputs_are_zero_and_ignore_their_gradient(kind):
    layer = getattr(nn_numpy, kind)(3, 4, bidirectional=True, batch_first=True, seed=1)
    r = np.random.default_rng(2)
    x = r.standard_normal((3, 5, 3))
    lengths = [5, 1, 3]
    out, _ = layer.forward(x, lengths=lengths)
    assert np.all(out[1, 1:] == 0) and np.all(out[2, 3:] == 0)
    d_out = r.standard_normal(out.shape)
    dx = layer.backward(d_out)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    d_out[1, 1:] = 1e6  # gradient on padding must change nothing
    x_changed = x.copy()
    x_changed[1, 1:] = 1e3  # nor may the values of padded inputs
    layer.forward(x_changed, lengths=lengths)
    dx2 = layer.backward(d_out)
    assert np.all(dx2[1, 1:] == 0) and np.all(dx[2, 3:] == 0)
    np.testing.assert_allclose(dx2[0], dx[0], rtol=1e-12)
    for k in grads:
        np.testing.assert_allclose(layer.grads[k], grads[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_layer_gradients_match_numerical(kind):
    """Independent of torch: the whole layer (2 layers, both directions, lengths) vs centred differences."""
    layer = getattr(nn_numpy, kind)(2, 3, num_layers=2, bidirectional=True, batch_first=True, seed=0)
    r = np.random.default_rng(1)
    x = r.standard_normal((2, 4, 2))
    lengths = [4, 2]
    out, fin = layer.forward(x, lengths=lengths)
    fins = fin if isinstance(fin, tuple) else (fin,)
    d_out = r.standard_normal(out.shape)
    d_fin = [r.standard_normal(f.shape) for f in fins]

    def loss(_):
        o, f = layer.forward(x, lengths=lengths)
        f = f if isinstance(f, tuple) else (f,)
        return np.sum(o * d_out) + sum(np.sum(a * b) for a, b in zip(f, d_fin, strict=True))

    loss(None)
    dx = layer.backward(d_out, *d_fin)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    assert rel_error(dx, numerical_gradient(loss, x)) < FLOAT64_RTOL
    for name, p in layer.params.items():
        assert rel_error(grads[name], numerical_gradient(loss, p)) < FLOAT64_RTOL, name


def test_dropout_between_layers():
    layer = nn_numpy.LSTM(3, 4, num_layers=2, dropout=0.5, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    a, _ = layer.forward(x)
    b, _ = layer.forward(x)
    assert not np.allclose(a, b), "training mode draws a fresh dropout mask per forward"
    layer.training = False
    c, _ = layer.forward(x)
    d, _ = layer.forward(x)
    np.testing.assert_array_equal(c, d)
    # dropout's backward: numerical check with the mask held fixed
    layer.training = True
    layer.forward(x)
    keep = layer._tape["drop"][1]
    d_out = np.ones((5, 2, 4))
    dx = layer.backward(d_out)
    assert dx.shape == x.shape and np.isfinite(dx).all() and keep.shape == (2, 5, 4)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_to_torch_round_trip(kind):
    layer = getattr(nn_numpy, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True, seed=5)
    back = type(layer).from_torch(layer.to_torch())
    assert list(back.params) == list(layer.params)
    for name in layer.params:
        np.testing.assert_array_equal(back.params[name], layer.params[name])
    assert (back.bidirectional, back.batch_first, back.num_layers) == (True, True, 2)
