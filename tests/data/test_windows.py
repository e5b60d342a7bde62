"""Tests for course_lib.data.windows: make_windows, n_windows and split_by_time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.data.windows import TimeSplit, make_windows, n_windows, split_by_time

# --- make_windows: exact small examples --------------------------------------------------------


def test_windows_of_a_1d_series_by_hand() -> None:
    inputs, targets = make_windows(np.arange(6), window=3)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(targets, [[3], [4], [5]])


def test_windows_with_horizon_and_stride_by_hand() -> None:
    # starts 0, 2, 4; the start 6 would need steps 6..10 and the series ends at 9
    inputs, targets = make_windows(np.arange(10.0), window=3, horizon=2, stride=2)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    np.testing.assert_array_equal(targets, [[3, 4], [5, 6], [7, 8]])
    assert inputs.dtype == np.float64 and targets.dtype == np.float64


def test_windows_of_a_2d_series_keep_the_feature_axis() -> None:
    series = np.arange(10).reshape(5, 2)  # step t is (2t, 2t + 1)
    inputs, targets = make_windows(series, window=2, horizon=2)
    assert inputs.shape == (2, 2, 2) and targets.shape == (2, 2, 2)
    np.testing.assert_array_equal(inputs[1], [[2, 3], [4, 5]])
    np.testing.assert_array_equal(targets[1], [[6, 7], [8, 9]])


def test_shortest_series_gives_exactly_one_window() -> None:
    inputs, targets = make_windows(np.array([1.0, 2.0, 3.0]), window=2, horizon=1)
    np.testing.assert_array_equal(inputs, [[1.0, 2.0]])
    np.testing.assert_array_equal(targets, [[3.0]])


def test_outputs_are_writable_copies() -> None:
    series = np.arange(5.0)
    inputs, targets = make_windows(series, window=2)
    inputs[0, 0] = 99.0
    targets[0, 0] = 99.0
    assert series[0] == 0.0 and series[2] == 2.0
    assert inputs.flags.writeable and targets.flags.writeable


@given(
    T=st.integers(2, 60),
    F=st.one_of(st.none(), st.integers(1, 3)),
    window=st.integers(1, 20),
    horizon=st.integers(1, 5),
    stride=st.integers(1, 7),
)
def test_every_window_matches_its_definition(
    T: int, F: int | None, window: int, horizon: int, stride: int
) -> None:
    shape = (T,) if F is None else (T, F)
    series = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    if T < window + horizon:
        with pytest.raises(ValueError, match="series is too short"):
            make_windows(series, window, horizon, stride)
        assert n_windows(T, window, horizon, stride) == 0
        return
    inputs, targets = make_windows(series, window, horizon, stride)
    M = (T - window - horizon) // stride + 1
    assert M == n_windows(T, window, horizon, stride)
    assert inputs.shape == (M, window) + shape[1:]
    assert targets.shape == (M, horizon) + shape[1:]
    for m in range(M):
        s = m * stride
        np.testing.assert_array_equal(inputs[m], series[s : s + window])
        np.testing.assert_array_equal(targets[m], series[s + window : s + window + horizon])
    # no room for one more window: it would run past the end
    assert M * stride + window + horizon > T


# --- make_windows: every error path ------------------------------------------------------------


def test_series_must_be_an_array() -> None:
    with pytest.raises(TypeError, match="series must be a numpy.ndarray.*got list"):
        make_windows([1.0, 2.0, 3.0], window=1)  # type: ignore[arg-type]


def test_series_must_be_numeric() -> None:
    with pytest.raises(TypeError, match="series must hold integers or floats.*<U1"):
        make_windows(np.array(list("abcd")), window=1)
    with pytest.raises(TypeError, match="series must hold integers or floats.*bool"):
        make_windows(np.ones(4, dtype=bool), window=1)


@pytest.mark.parametrize("shape", [(), (2, 3, 4)])
def test_series_must_have_rank_1_or_2(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"series must have 1 dimension.*got shape"):
        make_windows(np.zeros(shape), window=1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_series_must_be_finite(bad: float) -> None:
    series = np.arange(6.0)
    series[3] = bad
    with pytest.raises(ValueError, match="series contains 1 NaN or infinite"):
        make_windows(series, window=2)


@pytest.mark.parametrize("name", ["window", "horizon", "stride"])
@pytest.mark.parametrize("value", [0, -1])
def test_sizes_must_be_at_least_one(name: str, value: int) -> None:
    kwargs = {"window": 2, "horizon": 1, "stride": 1, name: value}
    with pytest.raises(ValueError, match=f"{name} must be a positive int, got {value}"):
        make_windows(np.arange(10.0), **kwargs)


@pytest.mark.parametrize("name", ["window", "horizon", "stride"])
def test_sizes_must_be_ints(name: str) -> None:
    kwargs = {"window": 2, "horizon": 1, "stride": 1, name: 2.0}
    with pytest.raises(TypeError, match=f"{name} must be a positive int, got float"):
        make_windows(np.arange(10.0), **kwargs)


def test_too_short_series_says_how_long_it_must_be() -> None:
    with pytest.raises(ValueError, match=r"needs at least 7 steps, got 6"):
        make_windows(np.arange(6.0), window=5, horizon=2)


def test_n_windows_checks_length() -> None:
    with pytest.raises(TypeError, match="length must be an int"):
        n_windows(3.0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="length must be 0 or more, got -1"):
        n_windows(-1, 1)


# --- split_by_time -----------------------------------------------------------------------------


def test_default_split_of_100_steps() -> None:
    split = split_by_time(100)
    assert isinstance(split, TimeSplit)
    assert split == (slice(0, 70), slice(70, 85), slice(85, 100))
    train, val, test = split  # unpacks like a tuple
    assert (train, val, test) == (split.train, split.val, split.test)


def test_split_of_an_array_uses_its_first_axis() -> None:
    x = np.zeros((20, 7, 3))
    split = split_by_time(x, train=0.5, val=0.25)
    assert [x[s].shape[0] for s in split] == [10, 5, 5]


def test_split_never_shuffles() -> None:
    series = np.arange(50)
    split = split_by_time(series)
    np.testing.assert_array_equal(np.concatenate([series[s] for s in split]), series)


@given(
    n=st.integers(3, 5000),
    train=st.floats(0.01, 0.98),
    val=st.floats(0.01, 0.98),
)
def test_splits_are_ordered_disjoint_and_cover_everything(n: int, train: float, val: float) -> None:
    if train + val >= 1:
        with pytest.raises(ValueError, match="train \\+ val must be below 1"):
            split_by_time(n, train, val)
        return
    end_train, end_val = round(train * n), round((train + val) * n)
    if min(end_train, end_val - end_train, n - end_val) < 1:  # n too small for these fractions
        with pytest.raises(ValueError, match="would be empty"):
            split_by_time(n, train, val)
        return
    split = split_by_time(n, train, val)
    idx = [np.arange(n)[s] for s in split]
    assert all(len(i) > 0 for i in idx)
    assert idx[0].max() < idx[1].min() and idx[1].max() < idx[2].min()  # train < val < test
    np.testing.assert_array_equal(np.concatenate(idx), np.arange(n))  # disjoint and covering
    assert abs(len(idx[0]) - train * n) <= 0.5 + 1e-9  # sizes are the rounded fractions
    assert abs(len(idx[0]) + len(idx[1]) - (train + val) * n) <= 0.5 + 1e-9


@pytest.mark.parametrize("name", ["train", "val"])
@pytest.mark.parametrize("value", [0, 0.0, 1, 1.0, -0.2, 1.5])
def test_fractions_must_be_inside_0_1(name: str, value: float) -> None:
    kwargs = {"train": 0.5, "val": 0.2, name: value}
    with pytest.raises(ValueError, match=f"{name} must be a fraction strictly between 0 and 1"):
        split_by_time(100, **kwargs)


@pytest.mark.parametrize("name", ["train", "val"])
def test_fractions_must_be_numbers(name: str) -> None:
    kwargs = {"train": 0.5, "val": 0.2, name: "0.3"}
    with pytest.raises(TypeError, match=f"{name} must be a float in \\(0, 1\\), got str"):
        split_by_time(100, **kwargs)


def test_fractions_must_leave_room_for_test() -> None:
    with pytest.raises(ValueError, match=r"train \+ val must be below 1.*train=0.8 \+ val=0.2"):
        split_by_time(100, train=0.8, val=0.2)


def test_too_few_steps_names_the_empty_range() -> None:
    with pytest.raises(ValueError, match="n_or_array has 4 steps.*the val range"):
        split_by_time(4, train=0.7, val=0.1)
    with pytest.raises(ValueError, match="n_or_array has 0 steps"):
        split_by_time(np.zeros((0, 3)))


def test_n_or_array_type_is_checked() -> None:
    with pytest.raises(TypeError, match="n_or_array must be an int.*got list"):
        split_by_time([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="n_or_array must be an int.*got bool"):
        split_by_time(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_or_array must be 0 or more, got -5"):
        split_by_time(-5)
    with pytest.raises(ValueError, match="n_or_array must have a time axis"):
        split_by_time(np.array(3.0))
