"""Bad input gets a clear error that names the argument and says what was expected and what came."""

import numpy as np
import pytest
import torch

from course_lib.nn_numpy import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from course_lib.nn_torch import RNN as TorchRNN


@pytest.fixture
def step_args(rng):
    N, D, H = 2, 3, 4
    return {
        "x": rng.standard_normal((N, D)),
        "h_prev": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, H)),
        "Wh": rng.standard_normal((H, H)),
        "b": rng.standard_normal(H),
    }


@pytest.fixture
def seq_args(rng):
    N, T, D, H = 2, 5, 3, 4
    return {
        "x": rng.standard_normal((N, T, D)),
        "h0": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, H)),
        "Wh": rng.standard_normal((H, H)),
        "b": rng.standard_normal(H),
    }


@pytest.mark.parametrize(
    ("name", "shape", "message"),
    [
        ("x", (2, 3, 1), r"x must have 2 dimensions \(N, D\), got shape \(2, 3, 1\)"),
        ("h_prev", (3, 4), r"h_prev must have shape \(N=2, H=4\), got \(3, 4\)"),
        ("Wx", (4, 4), r"x must have shape \(N=2, D=4\), got \(2, 3\) \(D=4 comes from Wx\)"),
        ("Wh", (4, 5), r"Wh must have shape \(H=4, H=4\), got \(4, 5\) \(H=4 comes from Wh\)"),
        ("b", (5,), r"b must have shape \(H=4,\), got \(5,\)"),
        ("b", (1, 4), r"b must have 1 dimensions \(H,\), got shape \(1, 4\)"),
    ],
)
def test_step_forward_wrong_shapes(step_args, name, shape, message):
    step_args[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=message):
        rnn_step_forward(**step_args)


@pytest.mark.parametrize(
    ("name", "shape", "message"),
    [
        ("x", (2, 3), r"x must have 3 dimensions \(N, T, D\), got shape \(2, 3\)"),
        ("h0", (2, 5), r"h0 must have shape \(N=2, H=4\), got \(2, 5\)"),
        ("h0", (1, 4), r"h0 must have shape \(N=2, H=4\), got \(1, 4\)"),
        ("Wx", (2, 4), r"x must have shape \(N=2, T=5, D=2\), got \(2, 5, 3\) \(D=2 comes from Wx\)"),
        ("Wh", (5, 5), r"Wx must have shape \(D=3, H=5\), got \(3, 4\) \(H=5 comes from Wh\)"),
        ("x", (2, 0, 3), r"x must hold at least one step"),
    ],
)
def test_sequence_forward_wrong_shapes(seq_args, name, shape, message):
    seq_args[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=message):
        rnn_forward(**seq_args)


@pytest.mark.parametrize("name", ["x", "h0", "Wx", "Wh", "b"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused(seq_args, name, bad):
    seq_args[name] = seq_args[name].copy()
    seq_args[name].flat[0] = bad
    with pytest.raises(ValueError, match=f"{name} contains 1 NaN or infinite"):
        rnn_forward(**seq_args)


@pytest.mark.parametrize("name", ["h0", "Wx", "Wh", "b"])
def test_mixed_dtypes_are_refused(seq_args, name):
    seq_args[name] = seq_args[name].astype(np.float32)
    with pytest.raises(TypeError, match=f"{name} has dtype float32 but the other inputs are float64"):
        rnn_forward(**seq_args)


def test_integer_and_non_array_inputs(seq_args):
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        rnn_forward(**{**seq_args, "x": np.ones((2, 5, 3), dtype=int)})
    with pytest.raises(TypeError, match="Wh must be a numpy.ndarray, got list"):
        rnn_forward(**{**seq_args, "Wh": [[0.0] * 4] * 4})


@pytest.mark.parametrize("nonlinearity", ["sigmoid", "Tanh", None])
def test_unknown_nonlinearity(seq_args, step_args, nonlinearity):
    with pytest.raises(ValueError, match=r"nonlinearity must be one of \('tanh', 'relu'\)"):
        rnn_forward(**seq_args, nonlinearity=nonlinearity)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        rnn_step_forward(**step_args, nonlinearity=nonlinearity)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        RNN(3, 4, nonlinearity=nonlinearity)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        TorchRNN(3, 4, nonlinearity=nonlinearity)


def test_backward_upstream_shape(seq_args, step_args):
    h, cache = rnn_forward(**seq_args)
    with pytest.raises(ValueError, match=r"dh must have shape \(2, 5, 4\), got \(2, 4, 4\)"):
        rnn_backward(np.zeros((2, 4, 4)), cache)
    with pytest.raises(TypeError, match="dh has dtype float32"):
        rnn_backward(np.zeros((2, 5, 4), dtype=np.float32), cache)
    h_next, step_cache = rnn_step_forward(**step_args)
    with pytest.raises(ValueError, match=r"dh_next must have 2 dimensions \(2, 4\), got shape \(4,\)"):
        rnn_step_backward(np.zeros(4), step_cache)


def test_layer_class_errors(rng):
    layer = RNN(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, 3\), got \(5, 2, 4\)"):
        layer.forward(rng.standard_normal((5, 2, 4)))
    with pytest.raises(ValueError, match=r"x must have 3 dimensions"):
        layer.forward(rng.standard_normal((5, 2, 3, 1)))
    with pytest.raises(TypeError, match="x has dtype float32"):
        layer.forward(rng.standard_normal((5, 2, 3)).astype(np.float32))
    with pytest.raises(ValueError, match=r"hx must have shape \(2, 2, 4\), got \(1, 2, 4\)"):
        layer.forward(rng.standard_normal((5, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((5, 2, 4)))
    out, h_n = layer.forward(rng.standard_normal((5, 2, 3)))
    with pytest.raises(ValueError, match=r"d_output must have shape \(5, 2, 4\), got \(2, 5, 4\)"):
        layer.backward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"d_h_n must have 3 dimensions \(2, 2, 4\), got shape \(2, 4\)"):
        layer.backward(np.zeros((5, 2, 4)), np.zeros((2, 4)))
    for bad in (0, -1, 2.5, True):
        with pytest.raises((TypeError, ValueError), match="hidden_size must be a positive int"):
            RNN(3, bad)
    with pytest.raises(KeyError, match="missing"):
        layer.load_state_dict({"weight_ih_l0": np.zeros((4, 3))})


def test_torch_module_errors():
    m = TorchRNN(3, 4, num_layers=2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, D\).*D=3, got \(5, 2, 4\)"):
        m(torch.zeros(5, 2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="x has dtype torch.float32 but the parameters are"):
        m(torch.zeros(5, 2, 3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor or PackedSequence, got ndarray"):
        m(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"hx must have shape \(2, 2, 4\).*got \(2, 4\)"):
        m(torch.zeros(5, 2, 3, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="x contains NaN"):
        m(torch.full((5, 2, 3), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="num_layers must be a positive int, got 0"):
        TorchRNN(3, 4, num_layers=0)
