"""Sliding windows over a time series, and train/validation/test splits that respect time.

A model that forecasts from a fixed amount of history is trained on pairs (input, target): the
``window`` steps ``x[s], ..., x[s + window - 1]`` and the ``horizon`` steps that follow them,
``x[s + window], ..., x[s + window + horizon - 1]``. :func:`make_windows` cuts a series into all
such pairs, every ``stride`` steps.

The pairs must be split by time, never at random: neighbouring windows overlap, so a random split
puts values of the test targets into the training inputs. :func:`split_by_time` gives contiguous
train, validation and test ranges in time order. Split the series first and window each part, so
that no training target lies inside a test range.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_lib._checks import check_positive_int

__all__ = ["make_windows", "n_windows", "split_by_time", "TimeSplit"]


def _check_series(series: object) -> np.ndarray:
    """``series`` itself if it is a finite, real-valued numeric array of shape (T,) or (T, F)."""
    if not isinstance(series, np.ndarray):
        raise TypeError(
            f"series must be a numpy.ndarray of shape (T,) or (T, F), got {type(series).__name__}"
        )
    if series.dtype.kind not in "iuf":
        raise TypeError(f"series must hold integers or floats, got dtype {series.dtype}")
    if series.ndim not in (1, 2):
        raise ValueError(
            f"series must have 1 dimension (T,) or 2 dimensions (T, F), got shape {series.shape}"
        )
    if series.dtype.kind == "f" and not np.all(np.isfinite(series)):
        bad = int(series.size - np.count_nonzero(np.isfinite(series)))
        raise ValueError(f"series contains {bad} NaN or infinite value(s); all must be finite")
    return series


def n_windows(length: int, window: int, horizon: int = 1, stride: int = 1) -> int:
    """How many (input, target) pairs :func:`make_windows` cuts from a series of ``length`` steps.

    ``M = (length - window - horizon) // stride + 1`` when ``length >= window + horizon``, else 0.

    Parameters
    ----------
    length : int
        T, the number of steps in the series (0 or more).
    window, horizon, stride : int
        As in :func:`make_windows` (each at least 1).

    Returns
    -------
    int
        M, the number of windows.
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"length must be an int, got {type(length).__name__} {length!r}")
    if length < 0:
        raise ValueError(f"length must be 0 or more, got {length}")
    window = check_positive_int("window", window)
    horizon = check_positive_int("horizon", horizon)
    stride = check_positive_int("stride", stride)
    if length < window + horizon:
        return 0
    return (int(length) - window - horizon) // stride + 1


def make_windows(
    series: np.ndarray, window: int, horizon: int = 1, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into every input window and the steps that follow it.

    Window ``m`` starts at ``s = m * stride``: its input is ``series[s : s + window]`` and its
    target is ``series[s + window : s + window + horizon]``. Steps at the end that do not fill a
    whole (input, target) pair are dropped.

    Parameters
    ----------
    series : ndarray, shape (T,) or (T, F)
        A series of T steps, with one value or F features per step. Integers or finite floats.
    window : int
        Number of input steps per example (at least 1).
    horizon : int
        Number of future steps to predict per example (at least 1).
    stride : int
        Steps between the starts of consecutive windows (at least 1; 1 gives every window).

    Returns
    -------
    inputs : ndarray, shape (M, window) or (M, window, F)
        ``inputs[m]`` is the m-th input window.
    targets : ndarray, shape (M, horizon) or (M, horizon, F)
        ``targets[m]`` are the ``horizon`` steps right after ``inputs[m]``.

    Both are new, writable arrays with the dtype of ``series`` (copies, not views), and
    ``M = (T - window - horizon) // stride + 1`` (see :func:`n_windows`).

    Raises
    ------
    TypeError
        If ``series`` is not a numeric ndarray, or an int argument is not an int.
    ValueError
        If ``series`` has the wrong rank or a NaN/inf, if ``window``, ``horizon`` or ``stride``
        is below 1, or if the series is shorter than ``window + horizon`` steps.
    """
    series = _check_series(series)
    window = check_positive_int("window", window)
    horizon = check_positive_int("horizon", horizon)
    stride = check_positive_int("stride", stride)
    T = series.shape[0]
    if T < window + horizon:
        raise ValueError(
            f"series is too short: window={window} plus horizon={horizon} needs at least "
            f"{window + horizon} steps, got {T}"
        )
    M = n_windows(T, window, horizon, stride)
    starts = np.arange(M) * stride  # (M,)
    # Fancy indexing with a (M, k) matrix of time indices copies the rows we need in one step.
    inputs = series[starts[:, None] + np.arange(window)]
    targets = series[starts[:, None] + window + np.arange(horizon)]
    return inputs, targets


class TimeSplit(NamedTuple):
    """Three contiguous slices in time order, returned by :func:`split_by_time`.

    Index an array with them (``x[split.train]``) or unpack them
    (``train, val, test = split``). ``range(n)[split.val]`` lists the indices themselves.

    Attributes
    ----------
    train : slice
        ``slice(0, n_train)``: the oldest steps.
    val : slice
        ``slice(n_train, n_train + n_val)``: the steps right after the training range.
    test : slice
        ``slice(n_train + n_val, n)``: the most recent steps.
    """

    train: slice
    val: slice
    test: slice


def _check_fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a float in (0, 1), got {type(value).__name__} {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be a fraction strictly between 0 and 1, got {value}")
    return float(value)


def split_by_time(
    n_or_array: int | np.ndarray, train: float = 0.7, val: float = 0.15
) -> TimeSplit:
    """Contiguous train, validation and test ranges in time order; nothing is shuffled.

    With ``n`` steps, the boundaries are ``round(train * n)`` and ``round((train + val) * n)``:
    every training index comes before every validation index, which comes before every test
    index; the three ranges are disjoint and together cover ``0, ..., n - 1``. The test range
    gets the remaining ``1 - train - val`` of the steps.

    Parameters
    ----------
    n_or_array : int or ndarray
        The number of steps n, or an array whose first axis is time (n = ``len(array)``), such as
        a series (T,) or (T, F), or the windows of :func:`make_windows` (M, window, ...).
    train : float
        Fraction of the steps for training, in (0, 1).
    val : float
        Fraction of the steps for validation, in (0, 1); ``train + val`` must be below 1.

    Returns
    -------
    TimeSplit
        Named tuple ``(train, val, test)`` of ``slice`` objects.

    Raises
    ------
    TypeError
        If ``n_or_array`` is neither an int nor an ndarray, or a fraction is not a number.
    ValueError
        If a fraction is outside (0, 1), if ``train + val >= 1``, if the array has no axis,
        or if n is too small for all three ranges to hold at least one step.
    """
    if isinstance(n_or_array, np.ndarray):
        if n_or_array.ndim == 0:
            raise ValueError("n_or_array must have a time axis (ndim >= 1), got a 0-d array")
        n = n_or_array.shape[0]
    elif isinstance(n_or_array, (int, np.integer)) and not isinstance(n_or_array, bool):
        n = int(n_or_array)
        if n < 0:
            raise ValueError(f"n_or_array must be 0 or more, got {n}")
    else:
        raise TypeError(
            f"n_or_array must be an int (the number of steps) or a numpy.ndarray, "
            f"got {type(n_or_array).__name__}"
        )
    train = _check_fraction("train", train)
    val = _check_fraction("val", val)
    if train + val >= 1:
        raise ValueError(
            f"train + val must be below 1 so that the test range is not empty, "
            f"got train={train} + val={val} = {train + val}"
        )
    end_train = round(train * n)
    end_val = round((train + val) * n)
    sizes = {"train": end_train, "val": end_val - end_train, "test": n - end_val}
    empty = [name for name, size in sizes.items() if size < 1]
    if empty:
        raise ValueError(
            f"n_or_array has {n} steps, too few for train={train}, val={val}: the "
            f"{' and '.join(empty)} range(s) would be empty (sizes {sizes})"
        )
    return TimeSplit(slice(0, end_train), slice(end_train, end_val), slice(end_val, n))
