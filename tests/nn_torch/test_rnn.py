"""course_lib.nn_torch.RNN against torch.nn.RNN as the oracle, on the CPU and (where present) CUDA."""

import numpy as np
import pytest
import torch

from course_lib.gradcheck import rel_error
from course_lib.nn_numpy import RNN as NumpyRNN
from course_lib.nn_torch import RNN, pick_device
from tests.conftest import FLOAT32_RTOL, FLOAT64_RTOL, requires_cuda


def compare(num_layers, nonlinearity, batch_first, bias, dtype, with_hx, device, unbatched=False):
    """Run both modules with the same weights on ``device``; check outputs and every gradient."""
    torch.manual_seed(0)
    D, H, N, T = 3, 4, 2, 5
    ref = torch.nn.RNN(D, H, num_layers, nonlinearity, bias, batch_first, dtype=dtype).to(device)
    ours = RNN(D, H, num_layers, nonlinearity, bias, batch_first, dtype=dtype, device=device)
    ours.load_state_dict(ref.state_dict())
    g = torch.Generator().manual_seed(1)
    if unbatched:
        x_shape, hx_shape = (T, D), (num_layers, H)
    else:
        x_shape = (N, T, D) if batch_first else (T, N, D)
        hx_shape = (num_layers, N, H)
    x = torch.randn(x_shape, generator=g, dtype=dtype).to(device)
    hx = torch.randn(hx_shape, generator=g, dtype=dtype).to(device) if with_hx else None
    tol = FLOAT64_RTOL if dtype == torch.float64 else FLOAT32_RTOL

    results = []
    for module in (ours, ref):
        xi = x.clone().requires_grad_()
        hi = hx.clone().requires_grad_() if with_hx else None
        out, h_n = module(xi, hi)
        d_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(2), dtype=dtype)
        d_h = torch.randn(h_n.shape, generator=torch.Generator().manual_seed(3), dtype=dtype)
        ((out * d_out.to(device)).sum() + (h_n * d_h.to(device)).sum()).backward()
        grads = {n: p.grad for n, p in module.named_parameters()}
        results.append((out, h_n, xi.grad, hi.grad if with_hx else None, grads))

    (o1, h1, dx1, dh1, g1), (o2, h2, dx2, dh2, g2) = results
    assert o1.device == o2.device and o1.dtype == dtype
    for name, a, b in (("output", o1, o2), ("h_n", h1, h2), ("dx", dx1, dx2), ("dhx", dh1, dh2)):
        if a is None:
            continue
        assert a.shape == b.shape, name
        assert rel_error(a.detach().cpu().numpy(), b.detach().cpu().numpy()) < tol, name
    assert list(g1) == list(g2)
    for name in g1:
        assert rel_error(g1[name].cpu().numpy(), g2[name].cpu().numpy()) < tol, name


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("with_hx", [False, True])
def test_matches_torch_nn_rnn_on_cpu(num_layers, nonlinearity, batch_first, dtype, with_hx):
    compare(num_layers, nonlinearity, batch_first, True, dtype, with_hx, "cpu")


@pytest.mark.parametrize("unbatched", [False, True])
def test_without_bias_and_unbatched(unbatched):
    compare(2, "tanh", True, False, torch.float64, True, "cpu", unbatched=unbatched)


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_torch_nn_rnn_on_cuda(num_layers, nonlinearity, batch_first, dtype):
    # cuDNN's float32 kernels may use TF32 tensor cores unless told not to; compare in true float32.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    compare(num_layers, nonlinearity, batch_first, True, dtype, True, "cuda")


@requires_cuda
@pytest.mark.gpu
def test_gpu_agrees_with_numpy_reference():
    torch.backends.cuda.matmul.allow_tf32 = False
    ours = RNN(3, 4, 2, batch_first=True, dtype=torch.float64, device="cuda")
    x = torch.randn(2, 5, 3, dtype=torch.float64, device="cuda")
    out, h_n = ours(x)
    ref = NumpyRNN.from_torch(ours.cpu())
    out_np, h_n_np = ref.forward(x.cpu().numpy())
    assert rel_error(out.detach().cpu().numpy(), out_np) < FLOAT64_RTOL
    assert rel_error(h_n.detach().cpu().numpy(), h_n_np) < FLOAT64_RTOL


def test_state_dict_loads_both_ways():
    ref = torch.nn.RNN(3, 4, num_layers=2, bias=True)
    ours = RNN(3, 4, num_layers=2)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [v.shape for v in ours.state_dict().values()] == [
        v.shape for v in ref.state_dict().values()
    ]
    ours.load_state_dict(ref.state_dict())
    other = torch.nn.RNN(3, 4, num_layers=2)
    other.load_state_dict(ours.state_dict())
    for name, value in other.state_dict().items():
        assert torch.equal(value, ref.state_dict()[name])


def test_numpy_and_torch_versions_agree():
    ours = RNN(3, 4, 2, nonlinearity="relu", dtype=torch.float64)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    out, h_n = ours(x)
    out_np, h_n_np = NumpyRNN.from_torch(ours).forward(x.numpy())
    assert rel_error(out.detach().numpy(), out_np) < FLOAT64_RTOL
    assert rel_error(h_n.detach().numpy(), h_n_np) < FLOAT64_RTOL


def test_initialisation_range_and_reset():
    ours = RNN(3, 16)
    for p in ours.parameters():
        assert p.abs().max().item() <= 1 / np.sqrt(16)


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert pick_device().type == "cuda"
    else:
        assert pick_device().type in ("cpu", "mps")


def test_runs_on_mps_when_present():
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        pytest.skip("Apple MPS is not available on this machine")
    ours = RNN(3, 4, device="mps")
    out, h_n = ours(torch.randn(5, 2, 3, device="mps"))
    assert out.device.type == "mps" and h_n.shape == (1, 2, 4)
