"""Gradient clipping, the standard remedy for exploding gradients (Pascanu et al., 2013).

Both functions take the gradients as a dict of arrays (a layer's ``.grads``) and return new arrays;
the inputs are left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["clip_by_value", "clip_by_global_norm", "global_norm"]


def _check_grads(grads: Mapping[str, np.ndarray]) -> None:
    if not isinstance(grads, Mapping):
        raise TypeError(f"grads must be a dict of arrays, got {type(grads).__name__}")
    for name, g in grads.items():
        if not isinstance(g, np.ndarray):
            raise TypeError(f"grads[{name!r}] must be a numpy.ndarray, got {type(g).__name__}")


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The L2 norm of all gradients taken together, as if flattened into one vector."""
    _check_grads(grads)
    return float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads.values())))


def clip_by_value(grads: Mapping[str, np.ndarray], clip_value: float) -> dict[str, np.ndarray]:
    """Clamp every entry to ``[-clip_value, clip_value]`` (like ``torch.nn.utils.clip_grad_value_``).

    This changes the direction of the gradient whenever some entries are clipped and others not.
    """
    _check_grads(grads)
    if not clip_value > 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    return {name: np.clip(g, -clip_value, clip_value) for name, g in grads.items()}


def clip_by_global_norm(
    grads: Mapping[str, np.ndarray], max_norm: float
) -> tuple[dict[str, np.ndarray], float]:
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    The direction is kept; only the length changes. The scale is
    ``min(1, max_norm / (norm + 1e-6))``, the formula of ``torch.nn.utils.clip_grad_norm_``.

    Returns
    -------
    clipped : dict of ndarray
        The rescaled gradients.
    norm : float
        The global norm *before* clipping (useful to log: spikes show exploding gradients).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    norm = global_norm(grads)
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {name: g * g.dtype.type(scale) for name, g in grads.items()}, norm
