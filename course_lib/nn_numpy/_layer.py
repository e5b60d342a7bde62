"""Pieces shared by the NumPy layer classes that mirror ``torch.nn``: parameter names and
initialisation, input layout, and the checks on ``x`` and ``hx``."""

from __future__ import annotations

import numpy as np

from course_lib._checks import check_array, check_positive_int


def param_names(layer: int, bias: bool) -> list[str]:
    """torch's parameter names for one layer, in torch's order."""
    names = [f"weight_ih_l{layer}", f"weight_hh_l{layer}"]
    if bias:
        names += [f"bias_ih_l{layer}", f"bias_hh_l{layer}"]
    return names


def init_params(
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bias: bool,
    gates: int,
    dtype: np.dtype,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Parameters under torch's names and shapes, drawn like torch: U(-1/sqrt(H), 1/sqrt(H)).

    ``gates`` is the number of H-sized blocks stacked in each matrix (1 for RNN, 4 for LSTM,
    3 for GRU).
    """
    input_size = check_positive_int("input_size", input_size)
    hidden_size = check_positive_int("hidden_size", hidden_size)
    num_layers = check_positive_int("num_layers", num_layers)
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype (float32 or float64), got {dtype}")
    bound = 1.0 / np.sqrt(hidden_size)
    shapes = {}
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else hidden_size
        shapes[f"weight_ih_l{layer}"] = (gates * hidden_size, d_in)
        shapes[f"weight_hh_l{layer}"] = (gates * hidden_size, hidden_size)
        if bias:
            shapes[f"bias_ih_l{layer}"] = (gates * hidden_size,)
            shapes[f"bias_hh_l{layer}"] = (gates * hidden_size,)
    return {
        name: rng.uniform(-bound, bound, size=shape).astype(dtype) for name, shape in shapes.items()
    }


def to_batch_first(
    x: object, input_size: int, batch_first: bool, dtype: np.dtype
) -> tuple[np.ndarray, bool]:
    """Check the layer input and return it as ``(N, T, D)`` plus whether it was unbatched.

    Accepted, as in ``torch.nn``: ``(T, D)`` unbatched, ``(T, N, D)``, or ``(N, T, D)`` when
    ``batch_first``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy.ndarray, got {type(x).__name__}")
    if x.ndim == 2:
        check_array("x", x, ("T", input_size), {}, dtype)
        return x[None], True
    layout = ("N", "T", input_size) if batch_first else ("T", "N", input_size)
    if x.ndim != 3:
        raise ValueError(
            f"x must have 3 dimensions {layout} (or 2 for one unbatched sequence), "
            f"got shape {x.shape}"
        )
    check_array("x", x, layout, {}, dtype)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must hold at least one sequence and one step, got shape {x.shape}")
    return (x if batch_first else x.transpose(1, 0, 2)), False


def from_batch_first(y: np.ndarray, batch_first: bool, unbatched: bool) -> np.ndarray:
    """Inverse of :func:`to_batch_first` for an ``(N, T, H)`` array."""
    if unbatched:
        return y[0]
    return y if batch_first else y.transpose(1, 0, 2)


def check_state(
    name: str,
    value: object,
    num_layers: int,
    batch: int,
    hidden_size: int,
    unbatched: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """Check an initial or final state ``(num_layers, N, H)`` (or ``(num_layers, H)`` unbatched) and
    return it as ``(num_layers, N, H)``; ``None`` gives zeros."""
    if value is None:
        return np.zeros((num_layers, batch, hidden_size), dtype=dtype)
    if unbatched:
        check_array(name, value, (num_layers, hidden_size), {}, dtype)
        return value[:, None]
    check_array(name, value, (num_layers, batch, hidden_size), {}, dtype)
    return value
