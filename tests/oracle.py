"""torch.nn as the oracle: run torch.nn.RNN/LSTM/GRU (on a PackedSequence when lengths are given)
and return outputs, final states and every gradient, for comparison with our layers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.gradcheck import rel_error

KINDS = ("RNN", "LSTM", "GRU")


@dataclass(frozen=True)
class Case:
    """One configuration of a recurrent layer and its inputs."""

    kind: str
    num_layers: int
    bidirectional: bool
    batch_first: bool
    lengths: tuple[int, ...] | None
    with_hx: bool
    dtype: str = "float64"
    bias: bool = True
    N: int = 3
    T: int = 5
    D: int = 3
    H: int = 4

    @property
    def n_states(self) -> int:
        return 2 if self.kind == "LSTM" else 1

    @property
    def dirs(self) -> int:
        return 2 if self.bidirectional else 1


# Unsorted lengths, one of them 1, one of them T; and all shorter than T (output still has T steps).
LENGTHS = ((5, 1, 3), (2, 4, 1))


def all_cases() -> list[Case]:
    """RNN/LSTM/GRU x 1-3 layers x uni/bidirectional x batch_first x lengths x initial state."""
    grid = itertools.product(KINDS, (1, 2, 3), (False, True), (False, True), (None, *LENGTHS), (False, True))
    return [Case(*c) for c in grid]


def make_data(case: Case, seed: int = 0):
    """x, the initial states (or None), and upstream gradients for output and final states."""
    r = np.random.default_rng(seed)
    dt = np.dtype(case.dtype)
    N, T, D, H, S = case.N, case.T, case.D, case.H, case.num_layers * case.dirs
    x = r.standard_normal((N, T, D) if case.batch_first else (T, N, D)).astype(dt)
    hx = tuple(r.standard_normal((S, N, H)).astype(dt) for _ in range(case.n_states)) if case.with_hx else None
    d_out = r.standard_normal((N, T, case.dirs * H) if case.batch_first else (T, N, case.dirs * H)).astype(dt)
    d_fin = tuple(r.standard_normal((S, N, H)).astype(dt) for _ in range(case.n_states))
    return x, hx, d_out, d_fin


def torch_module(case: Case, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    cls = getattr(torch.nn, case.kind)
    return cls(
        case.D, case.H, case.num_layers, bias=case.bias, batch_first=case.batch_first,
        bidirectional=case.bidirectional, dtype=getattr(torch, case.dtype),
    )


def run_torch(module: torch.nn.Module, case: Case, x, hx, d_out, d_fin, device="cpu"):
    """Run ``module`` (torch.nn or ours) the torch.nn way; return numpy results and gradients."""
    module.zero_grad(set_to_none=True)  # gradients of an earlier run must not accumulate
    xt = torch.from_numpy(x).to(device).requires_grad_()
    hxt = None
    if hx is not None:
        hxt = tuple(torch.from_numpy(h).to(device).requires_grad_() for h in hx)
    state = None if hxt is None else (hxt if case.n_states == 2 else hxt[0])
    if case.lengths is None:
        out, fin = module(xt, state)
    else:
        packed = pack_padded_sequence(xt, torch.tensor(case.lengths), case.batch_first, enforce_sorted=False)
        out_p, fin = module(packed, state)
        out, _ = pad_packed_sequence(out_p, case.batch_first, total_length=case.T)
    fins = fin if isinstance(fin, tuple) else (fin,)
    loss = (out * torch.from_numpy(d_out).to(device)).sum()
    for f, d in zip(fins, d_fin, strict=True):
        loss = loss + (f * torch.from_numpy(d).to(device)).sum()
    loss.backward()
    as_np = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return {
        "output": as_np(out),
        "finals": [as_np(f) for f in fins],
        "dx": as_np(xt.grad),
        "d_hx": None if hxt is None else [as_np(h.grad) for h in hxt],
        "grads": {n: as_np(p.grad) for n, p in module.named_parameters()},
    }


def assert_match(ours: dict, ref: dict, tol: float) -> None:
    """Outputs, final states, input and initial-state gradients and every parameter gradient agree."""
    assert ours["output"].shape == ref["output"].shape
    assert rel_error(ours["output"], ref["output"]) < tol, "output"
    for k, (a, b) in enumerate(zip(ours["finals"], ref["finals"], strict=True)):
        assert a.shape == b.shape and rel_error(a, b) < tol, f"final state {k}"
    assert rel_error(ours["dx"], ref["dx"]) < tol, "dx"
    if ref["d_hx"] is not None:
        for k, (a, b) in enumerate(zip(ours["d_hx"], ref["d_hx"], strict=True)):
            assert rel_error(a, b) < tol, f"gradient of initial state {k}"
    assert list(ours["grads"]) == list(ref["grads"])
    for name, g in ref["grads"].items():
        assert ours["grads"][name].shape == g.shape, name
        assert rel_error(ours["grads"][name], g) < tol, name
