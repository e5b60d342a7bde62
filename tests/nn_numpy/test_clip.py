"""Gradient clipping against torch.nn.utils, the reference behaviour."""

import numpy as np
import pytest
import torch

from course_lib.nn_numpy import clip_by_global_norm, clip_by_value, global_norm


def as_torch_params(grads):
    params = []
    for g in grads.values():
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 5.0, 1e6])
def test_global_norm_clipping_matches_torch(rng, max_norm):
    grads = {"W": rng.standard_normal((4, 3)) * 3, "b": rng.standard_normal(3)}
    clipped, norm = clip_by_global_norm(grads, max_norm)
    params = as_torch_params(grads)
    torch_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert norm == pytest.approx(torch_norm.item(), rel=1e-12)
    for g, p in zip(clipped.values(), params, strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-12)
    assert global_norm(clipped) <= max_norm + 1e-9
    if norm <= max_norm:  # below the threshold nothing changes
        for name in grads:
            np.testing.assert_allclose(clipped[name], grads[name], rtol=1e-6)


def test_global_norm_keeps_direction_value_clipping_does_not():
    grads = {"g": np.array([10.0, 0.5])}
    by_norm, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(np.hypot(10.0, 0.5))
    cos = by_norm["g"] @ grads["g"] / (np.linalg.norm(by_norm["g"]) * norm)
    assert cos == pytest.approx(1.0)
    by_value = clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(by_value["g"], [1.0, 0.5])


def test_value_clipping_matches_torch(rng):
    grads = {"W": rng.standard_normal((5, 5)) * 2}
    clipped = clip_by_value(grads, 0.7)
    params = as_torch_params(grads)
    torch.nn.utils.clip_grad_value_(params, 0.7)
    np.testing.assert_array_equal(clipped["W"], params[0].grad.numpy())


def test_inputs_are_not_modified(rng):
    grads = {"W": rng.standard_normal((3, 3)) * 10}
    before = grads["W"].copy()
    clip_by_global_norm(grads, 1.0)
    clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(grads["W"], before)


def test_float32_stays_float32(rng):
    grads = {"W": rng.standard_normal((3, 3)).astype(np.float32) * 10}
    assert clip_by_global_norm(grads, 1.0)[0]["W"].dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_by_global_norm({"W": np.ones(2)}, 0)
    with pytest.raises(ValueError, match="clip_value must be positive"):
        clip_by_value({"W": np.ones(2)}, -1.0)
    with pytest.raises(TypeError, match="grads must be a dict"):
        clip_by_value([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match=r"grads\['W'\] must be a numpy.ndarray"):
        global_norm({"W": [1.0, 2.0]})
