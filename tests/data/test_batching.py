"""Tests for course_lib.data.batching: pad_sequences, random_batches, bucket_by_length and
padding_fraction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.data.batching import bucket_by_length, pad_sequences, padding_fraction, random_batches

# --- pad_sequences: exact small examples --------------------------------------------------------


def test_pad_1d_sequences_by_hand() -> None:
    padded, lengths = pad_sequences([np.array([4, 5, 6]), np.array([7]), np.array([8, 9])])
    np.testing.assert_array_equal(padded, [[4, 5, 6], [7, 0, 0], [8, 9, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    assert padded.dtype == np.int64 and lengths.dtype == np.int64


def test_pad_2d_sequences_keep_the_feature_axis() -> None:
    a = np.arange(6.0).reshape(3, 2)
    b = np.array([[10.0, 11.0]])
    padded, lengths = pad_sequences([a, b], pad_value=-1.0)
    assert padded.shape == (2, 3, 2)
    np.testing.assert_array_equal(padded[0], a)
    np.testing.assert_array_equal(padded[1], [[10, 11], [-1, -1], [-1, -1]])
    np.testing.assert_array_equal(lengths, [3, 1])


def test_pad_accepts_lists_and_a_dtype() -> None:
    padded, lengths = pad_sequences([[1, 2], [3]], dtype=np.float32)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded, [[1, 2], [3, 0]])
    np.testing.assert_array_equal(lengths, [2, 1])


def test_pad_with_nan_marks_padding_in_floats() -> None:
    padded, _ = pad_sequences([np.array([1.0, 2.0]), np.array([3.0])], pad_value=np.nan)
    assert np.isnan(padded[1, 1]) and not np.isnan(padded[:, 0]).any()


def test_pad_mixed_dtypes_uses_the_common_one() -> None:
    padded, _ = pad_sequences([np.array([1], dtype=np.int32), np.array([0.5])])
    assert padded.dtype == np.float64
    np.testing.assert_array_equal(padded, [[1.0], [0.5]])


def test_padded_output_does_not_alias_the_inputs() -> None:
    a = np.array([1, 2])
    padded, _ = pad_sequences([a])
    padded[0, 0] = 99
    assert a[0] == 1


@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    F=st.one_of(st.none(), st.integers(1, 3)),
)
def test_padding_round_trips(lengths: list[int], F: int | None) -> None:
    rng = np.random.default_rng(sum(lengths))
    seqs = [rng.standard_normal((n,) if F is None else (n, F)) for n in lengths]
    padded, lens = pad_sequences(seqs, pad_value=7.0)
    assert padded.shape[:2] == (len(lengths), max(lengths))
    np.testing.assert_array_equal(lens, lengths)
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(padded[i, : lengths[i]], s)
        assert np.all(padded[i, lengths[i] :] == 7.0)


@pytest.mark.parametrize(
    ("seqs", "kwargs", "error", "message"),
    [
        ([], {}, ValueError, r"seqs must hold at least one sequence, got an empty list"),
        (np.zeros((2, 3)), {}, TypeError, r"seqs must be a list or tuple of arrays, got ndarray"),
        ([np.zeros(2), np.zeros(0)], {}, ValueError, r"seqs\[1\] is empty \(length 0\)"),
        ([np.zeros((2, 3)), np.zeros((1, 4))], {}, ValueError,
         r"seqs\[1\] has shape \(1, 4\) but seqs\[0\] has shape \(2, 3\)"),
        ([np.zeros(2), np.zeros((2, 1))], {}, ValueError,
         r"seqs\[1\] has shape \(2, 1\) but seqs\[0\] has shape \(2,\)"),
        ([np.zeros((2, 1, 1))], {}, ValueError, r"seqs\[0\] must have shape \(T,\) or \(T, F\), got shape \(2, 1, 1\)"),
        ([np.array(["a", "b"])], {}, TypeError, r"seqs\[0\] must hold numbers, got dtype <U1"),
        ([np.array([1.5])], {"dtype": np.int64}, TypeError,
         r"seqs\[0\] has dtype float64, which cannot be cast to dtype=int64"),
        ([np.array([1, 2])], {"pad_value": 0.5}, ValueError,
         r"pad_value must be a number representable in dtype int64, got 0.5"),
        ([np.array([1], dtype=np.uint8)], {"pad_value": -1}, ValueError,
         r"pad_value must be a number representable in dtype uint8, got -1"),
    ],
)
def test_pad_sequences_errors_name_the_argument(seqs, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        pad_sequences(seqs, **kwargs)


# --- bucket_by_length ---------------------------------------------------------------------------


def test_bucket_without_shuffle_by_hand() -> None:
    lengths = [5, 1, 3, 3, 2, 8, 1]
    batches = bucket_by_length(lengths, batch_size=3, shuffle=False)
    # longest first; equal lengths (3, 3 and 1, 1) keep index order
    assert [b.tolist() for b in batches] == [[5, 0, 2], [3, 4, 1], [6]]


def test_bucket_with_shuffle_keeps_the_groups_and_changes_their_order() -> None:
    lengths = [10, 1, 9, 2, 8, 3, 7, 4]  # distinct lengths, so the groups are fixed
    fixed = {tuple(b.tolist()) for b in bucket_by_length(lengths, 2, shuffle=False)}
    assert fixed == {(0, 2), (4, 6), (7, 5), (3, 1)}
    orders = set()
    for seed in range(20):
        batches = bucket_by_length(lengths, 2, rng=np.random.default_rng(seed))
        assert {tuple(b.tolist()) for b in batches} == fixed
        orders.add(tuple(tuple(b.tolist()) for b in batches))
    assert len(orders) > 1, "the order of the batches never changed across 20 seeds"


def test_bucket_shuffles_ties_between_batches() -> None:
    lengths = [4] * 6
    groups = {
        tuple(sorted(bucket_by_length(lengths, 3, rng=seed)[0].tolist())) for seed in range(20)
    }
    assert len(groups) > 1, "sequences of equal length always ended up in the same batch"


def test_bucket_is_reproducible_with_a_seed() -> None:
    lengths = np.random.default_rng(0).integers(1, 50, size=40)
    a = bucket_by_length(lengths, 7, rng=np.random.default_rng(3))
    b = bucket_by_length(lengths, 7, rng=np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_batches_are_sorted_longest_first_for_packing() -> None:
    lengths = np.random.default_rng(1).integers(1, 30, size=25)
    for b in bucket_by_length(lengths, 4, rng=5):
        assert np.all(np.diff(lengths[b]) <= 0)


@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=50),
    batch_size=st.integers(1, 12),
    seed=st.integers(0, 2**16),
    shuffle=st.booleans(),
)
def test_bucketing_is_a_partition_with_the_right_sizes(
    lengths: list[int], batch_size: int, seed: int, shuffle: bool
) -> None:
    batches = bucket_by_length(lengths, batch_size, rng=np.random.default_rng(seed), shuffle=shuffle)
    n = len(lengths)
    assert len(batches) == -(-n // batch_size)
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    sizes = sorted(len(b) for b in batches)
    assert all(s == batch_size for s in sizes[1:]) and 1 <= sizes[0] <= batch_size
    if n % batch_size == 0:
        # With equal batch sizes, cutting the sorted order is optimal: the k-th most expensive batch
        # of any scheme is padded to at least the ((k-1) * batch_size + 1)-th longest length.
        wasted_random = padding_fraction(lengths, random_batches(n, batch_size, seed))
        assert padding_fraction(lengths, batches) <= wasted_random + 1e-12


@pytest.mark.parametrize(
    ("lengths", "kwargs", "error", "message"),
    [
        ([], {"batch_size": 2}, ValueError, r"lengths must be a non-empty 1-D array \(N,\), got shape \(0,\)"),
        ([[1, 2]], {"batch_size": 2}, ValueError, r"lengths must be a non-empty 1-D array \(N,\), got shape \(1, 2\)"),
        ([1.0, 2.0], {"batch_size": 2}, TypeError, r"lengths must hold integers, got dtype float64"),
        ([3, 0, 2], {"batch_size": 2}, ValueError, r"lengths must all be at least 1, got \[0\]"),
        ([3, 2], {"batch_size": 0}, ValueError, r"batch_size must be a positive int, got 0"),
        ([3, 2], {"batch_size": 2.0}, TypeError, r"batch_size must be a positive int, got float 2.0"),
        ([3, 2], {"batch_size": 1, "rng": "seed"}, TypeError,
         r"rng must be a numpy.random.Generator, an int seed or None, got str"),
        ([3, 2], {"batch_size": 1, "shuffle": 1}, TypeError, r"shuffle must be a bool, got int 1"),
    ],
)
def test_bucket_errors_name_the_argument(lengths, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        bucket_by_length(lengths, **kwargs)


# --- random_batches -----------------------------------------------------------------------------


def test_random_batches_partition_and_sizes() -> None:
    batches = random_batches(10, 4, rng=np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))


def test_random_batches_errors() -> None:
    with pytest.raises(ValueError, match=r"n must be a positive int, got 0"):
        random_batches(0, 2)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got -1"):
        random_batches(5, -1)


# --- padding_fraction ---------------------------------------------------------------------------


def test_padding_fraction_by_hand() -> None:
    lengths = [4, 1, 2, 2]
    # batch [0, 1] costs 2 * 4 = 8 steps, 5 real; batch [2, 3] costs 4, all real -> 3 / 12 wasted
    assert padding_fraction(lengths, [np.array([0, 1]), np.array([2, 3])]) == pytest.approx(0.25)
    # sorted into [0, 2] and [3, 1]: costs 8 + 4, real 6 + 3 -> 3 / 12 wasted as well
    assert padding_fraction(lengths, [[0, 2], [3, 1]]) == pytest.approx(0.25)
    # one batch of everything: 4 * 4 = 16 steps, 9 real
    assert padding_fraction(lengths, [[0, 1, 2, 3]]) == pytest.approx(7 / 16)


def test_equal_lengths_waste_nothing() -> None:
    assert padding_fraction([3, 3, 3], [[0, 2], [1]]) == 0.0


def test_bucketing_wastes_less_than_random_on_a_skewed_distribution() -> None:
    rng = np.random.default_rng(7)
    lengths = np.maximum(1, rng.lognormal(3.0, 0.7, size=2000).astype(int))
    wasted_random = padding_fraction(lengths, random_batches(lengths.size, 32, rng))
    wasted_bucket = padding_fraction(lengths, bucket_by_length(lengths, 32, rng))
    assert wasted_bucket < 0.1 < 0.3 < wasted_random


@pytest.mark.parametrize(
    ("batches", "error", "message"),
    [
        ([], ValueError, r"batches must hold at least one batch, got none"),
        ([[0], []], ValueError, r"batches\[1\] is empty"),
        ([[0, 3]], ValueError, r"batches\[0\] holds indices outside 0..2: \[0, 3\]"),
        ([[0.0, 1.0]], TypeError, r"batches\[0\] must be a 1-D array of integer indices"),
        (np.array([0, 1, 2]), TypeError, r"batches must be a list of index arrays, got one 1-D array"),
    ],
)
def test_padding_fraction_errors(batches, error, message) -> None:
    with pytest.raises(error, match=message):
        padding_fraction([1, 2, 3], batches)
