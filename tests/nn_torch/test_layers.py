"""course_lib.nn_torch.RNN / LSTM / GRU against torch.nn, for every combination of kind x 1-3 layers
x uni/bidirectional x batch_first x with/without lengths (a length of 1, unsorted) x with/without
initial state; both the readable loop (fast=False) and the fast path; lengths given as a
PackedSequence and as ``lengths=`` (list, NumPy array, tensor)."""

import numpy as np
import pytest
import torch

from course_lib import nn_numpy, nn_torch
from course_lib.gradcheck import rel_error
from tests.conftest import FLOAT32_RTOL, FLOAT64_RTOL, requires_cuda
from tests.oracle import Case, all_cases, assert_match, make_data, run_torch, torch_module


def ours_from(module: torch.nn.Module, case: Case, fast: bool, device="cpu") -> torch.nn.Module:
    cls = getattr(nn_torch, case.kind)
    ours = cls(
        case.D, case.H, case.num_layers, bias=case.bias, batch_first=case.batch_first,
        bidirectional=case.bidirectional, dtype=getattr(torch, case.dtype), fast=fast, device=device,
    )
    ours.load_state_dict(module.state_dict())
    return ours


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "readable"])
@pytest.mark.parametrize("case", all_cases(), ids=str)
def test_matches_torch_nn(case, fast):
    module = torch_module(case)
    data = make_data(case)
    ref = run_torch(module, case, *data)
    assert_match(run_torch(ours_from(module, case, fast), case, *data), ref, FLOAT64_RTOL)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("as_type", [list, np.array, torch.tensor])
def test_lengths_keyword_equals_packed_sequence(kind, fast, as_type):
    case = Case(kind, 2, True, True, (2, 5, 1), True)
    module = torch_module(case)
    x, hx, d_out, d_fin = make_data(case)
    ref = run_torch(module, case, x, hx, d_out, d_fin)
    ours = ours_from(module, case, fast)
    xt = torch.from_numpy(x).requires_grad_()
    state = tuple(torch.from_numpy(h) for h in hx)
    out, fin = ours(xt, state if kind == "LSTM" else state[0], lengths=as_type(case.lengths))
    fins = fin if isinstance(fin, tuple) else (fin,)
    loss = (out * torch.from_numpy(d_out)).sum()
    loss = loss + sum((f * torch.from_numpy(d)).sum() for f, d in zip(fins, d_fin, strict=True))
    loss.backward()
    assert rel_error(out.detach().numpy(), ref["output"]) < FLOAT64_RTOL
    assert rel_error(xt.grad.numpy(), ref["dx"]) < FLOAT64_RTOL
    for name, p in ours.named_parameters():
        assert rel_error(p.grad.numpy(), ref["grads"][name]) < FLOAT64_RTOL, name


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("lengths", [None, (5, 1, 3)])
def test_float32_fast_path(kind, lengths):
    case = Case(kind, 2, True, False, lengths, True, dtype="float32")
    module = torch_module(case)
    data = make_data(case)
    assert_match(run_torch(ours_from(module, case, True), case, *data), run_torch(module, case, *data), FLOAT32_RTOL)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_without_bias_and_relu(kind):
    case = Case(kind, 2, True, True, (4, 5, 2), True, bias=False)
    module = torch_module(case)
    data = make_data(case)
    for fast in (True, False):
        ours = run_torch(ours_from(module, case, fast), case, *data)
        assert_match(ours, run_torch(module, case, *data), FLOAT64_RTOL)
    relu = torch.nn.RNN(3, 4, 2, nonlinearity="relu", dtype=torch.float64)
    ours = nn_torch.RNN(3, 4, 2, nonlinearity="relu", dtype=torch.float64)
    ours.load_state_dict(relu.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    assert rel_error(ours(x)[0].detach().numpy(), relu(x)[0].detach().numpy()) < FLOAT64_RTOL


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_state_dicts_load_both_ways_and_numpy_agrees(kind):
    ours = getattr(nn_torch, kind)(3, 4, 2, bidirectional=True, dtype=torch.float64)
    ref = getattr(torch.nn, kind)(3, 4, 2, bidirectional=True, dtype=torch.float64)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    out, _ = ours(x)
    out_np, _ = getattr(nn_numpy, kind).from_torch(ours).forward(x.numpy())
    assert rel_error(out.detach().numpy(), out_np) < FLOAT64_RTOL


def test_dropout_only_between_layers_and_only_in_training():
    torch.manual_seed(0)
    m = nn_torch.LSTM(3, 4, 2, dropout=0.5)
    x = torch.randn(5, 2, 3)
    assert not torch.equal(m(x)[0], m(x)[0])
    m.eval()
    assert torch.equal(m(x)[0], m(x)[0])
    one = nn_torch.LSTM(3, 4, 1, dropout=0.5)  # a single layer has nowhere to apply it
    assert torch.equal(one(x)[0], one(x)[0])


def test_bad_input_errors():
    m = nn_torch.GRU(3, 4, batch_first=True)
    x = torch.zeros(2, 5, 3)
    with pytest.raises(ValueError, match=r"lengths must lie between 1 and T=5, got \[6\]"):
        m(x, lengths=[6, 2])
    with pytest.raises(ValueError, match=r"lengths must lie between 1 and T=5, got \[0\]"):
        m(x, lengths=torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r"lengths must have one entry per sequence, shape \(2,\), got \(3,\)"):
        m(x, lengths=np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="lengths must hold integers"):
        m(x, lengths=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"hx must have shape \(1, 2, 4\)"):
        m(x, torch.zeros(2, 2, 4))
    lstm = nn_torch.LSTM(3, 4)
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        lstm(torch.zeros(5, 2, 3), torch.zeros(1, 2, 4))
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(5, 2, 3), [5, 2])
    with pytest.raises(ValueError, match="lengths must not be given with a PackedSequence"):
        lstm(packed, lengths=[5, 2])
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        nn_torch.LSTM(3, 4, dropout=-0.1)


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("lengths", [None, (5, 1, 3)])
def test_cuda_matches_torch_nn_and_numpy(kind, fast, lengths):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    case = Case(kind, 2, True, True, lengths, True)
    module = torch_module(case)
    data = make_data(case)
    ref_cpu = run_torch(module, case, *data)
    ours_gpu = run_torch(ours_from(module, case, fast, device="cuda"), case, *data, device="cuda")
    ref_gpu = run_torch(module.to("cuda"), case, *data, device="cuda")
    assert_match(ours_gpu, ref_gpu, FLOAT64_RTOL)
    assert_match(ours_gpu, ref_cpu, FLOAT64_RTOL)
