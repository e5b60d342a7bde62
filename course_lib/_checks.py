"""Input checks shared by the layers.

Every check raises an error that names the argument, says what was expected and what came, so a
student reading the message knows which input to look at. Nothing is broadcast silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NONLINEARITIES = ("tanh", "relu")


def check_array(
    name: str,
    value: object,
    shape: Sequence[int | str | None],
    dims: dict[str, tuple[int, str]],
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """Check that ``value`` is a finite floating-point NumPy array of the given shape.

    Parameters
    ----------
    name : str
        The argument's name, used in the error message.
    value : object
        What the caller passed.
    shape : sequence of int, str or None
        Expected shape. An ``int`` must match exactly; a ``str`` is a symbolic size (``"N"``,
        ``"H"``...) bound on first use through ``dims`` and compared afterwards; ``None`` accepts
        any size.
    dims : dict
        Symbolic sizes bound so far, each with the name of the argument that fixed it; updated in
        place.
    dtype : numpy dtype, optional
        Required dtype (the dtype of the first array checked, so that float32 and float64 are
        never mixed).

    Returns
    -------
    numpy.ndarray
        ``value`` itself, unchanged.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {value.dtype} but the other inputs are {dtype}; "
            "convert them to one dtype (float64 for gradient checks, float32 for speed)"
        )
    expected = _tuple_str(["?" if s is None else str(s) for s in shape])
    if value.ndim != len(shape):
        raise ValueError(
            f"{name} must have {len(shape)} dimensions {expected}, got shape {value.shape}"
        )
    for want, got in zip(shape, value.shape, strict=True):
        if want is None:
            continue
        if isinstance(want, str):
            bound, source = dims.setdefault(want, (got, name))
            if bound != got:
                raise ValueError(
                    f"{name} must have shape {_describe(shape, dims)}, got {value.shape} "
                    f"({want}={bound} comes from {source})"
                )
        elif want != got:
            raise ValueError(f"{name} must have shape {expected}, got {value.shape}")
    if not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all must be finite")
    return value


def _describe(shape: Sequence[int | str | None], dims: dict[str, tuple[int, str]]) -> str:
    parts = []
    for s in shape:
        if isinstance(s, str):
            parts.append(f"{s}={dims[s][0]}" if s in dims else s)
        else:
            parts.append("?" if s is None else str(s))
    return _tuple_str(parts)


def _tuple_str(parts: list[str]) -> str:
    """Format like a Python tuple: ``(a, b)``, and ``(a,)`` for one entry."""
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_nonlinearity(nonlinearity: object) -> str:
    """Return ``nonlinearity`` if it is one of :data:`NONLINEARITIES`, else raise ``ValueError``."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}"
        )
    return nonlinearity  # type: ignore[return-value]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is a positive ``int`` (booleans refused), else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def check_mask(mask: object, N: int, T: int) -> np.ndarray | None:
    """Return ``mask`` if it is a boolean array of shape (N, T) (or None), else raise."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"mask must be a boolean numpy.ndarray of shape (N, T), got {got}")
    if mask.shape != (N, T):
        raise ValueError(f"mask must have shape (N, T) = {(N, T)}, got {mask.shape}")
    return mask
