"""Batches of sequences that have different lengths.

A recurrent layer reads a batch as one array ``(N, T, ...)``, so sequences of different lengths
are padded to the longest one in the batch, and the layer is told each sequence's true length
(``lengths=``) so that padding changes nothing. Padding is wasted work: every padded step is
computed and thrown away.

* :func:`pad_sequences` stacks a list of sequences into one padded array plus their lengths;
* :func:`random_batches` splits the examples into batches at random (the usual baseline);
* :func:`bucket_by_length` puts sequences of similar length in the same batch, then shuffles the
  order of the batches, so little padding is needed;
* :func:`padding_fraction` measures how much of a batching scheme's work is padding.

Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib._checks import check_positive_int

__all__ = ["bucket_by_length", "pad_sequences", "padding_fraction", "random_batches"]


def pad_sequences(
    seqs: Sequence[np.ndarray], pad_value: float = 0, dtype: np.dtype | type | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of different lengths into one array, padding at the end.

    Parameters
    ----------
    seqs : sequence of array-likes, each of shape (T_i,) or (T_i, F)
        N sequences: 1-D sequences of token ids, or 2-D sequences of feature vectors. All must
        have the same number of dimensions and the same trailing shape, and at least one step.
    pad_value : scalar
        Value written after the end of each sequence (0 by default, the ``<pad>`` id of
        :mod:`course_lib.data.vocab`). It must be exactly representable in ``dtype``.
    dtype : numpy dtype, optional
        dtype of the result; by default the common dtype of the sequences
        (``numpy.result_type``).

    Returns
    -------
    padded : ndarray, shape (N, T_max) or (N, T_max, F)
        ``padded[i, :lengths[i]]`` is ``seqs[i]``; the rest of row ``i`` is ``pad_value``.
        ``T_max = max(lengths)``. Batch first, as the NumPy layers expect.
    lengths : ndarray of int64, shape (N,)
        ``lengths[i] = len(seqs[i])``, ready for the ``lengths=`` argument of the layers.

    Raises
    ------
    TypeError
        If ``seqs`` is not a list or tuple, a sequence is not numeric, or a sequence's dtype
        cannot be cast to ``dtype`` (floats to integers, say).
    ValueError
        If ``seqs`` is empty, a sequence is empty or has the wrong rank, the feature shapes
        differ, or ``pad_value`` does not fit ``dtype``.
    """
    if not isinstance(seqs, (list, tuple)):
        raise TypeError(f"seqs must be a list or tuple of arrays, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise ValueError("seqs must hold at least one sequence, got an empty list")
    arrays = [np.asarray(s) for s in seqs]
    first = arrays[0]
    for i, a in enumerate(arrays):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"seqs[{i}] must hold numbers, got dtype {a.dtype}")
        if a.ndim not in (1, 2):
            raise ValueError(f"seqs[{i}] must have shape (T,) or (T, F), got shape {a.shape}")
        if a.ndim != first.ndim or a.shape[1:] != first.shape[1:]:
            raise ValueError(
                f"seqs[{i}] has shape {a.shape} but seqs[0] has shape {first.shape}; "
                "all sequences need the same feature shape"
            )
        if a.shape[0] == 0:
            raise ValueError(f"seqs[{i}] is empty (length 0); every sequence needs at least one step")
    out_dtype = np.result_type(*arrays) if dtype is None else np.dtype(dtype)
    for i, a in enumerate(arrays):
        if not np.can_cast(a.dtype, out_dtype, casting="same_kind"):
            raise TypeError(
                f"seqs[{i}] has dtype {a.dtype}, which cannot be cast to dtype={out_dtype} "
                "(a change of kind, such as float to int)"
            )
    if not _fits(pad_value, out_dtype):
        raise ValueError(f"pad_value must be a number representable in dtype {out_dtype}, got {pad_value!r}")
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    padded = np.full((len(arrays), int(lengths.max()), *first.shape[1:]), pad_value, dtype=out_dtype)
    for i, a in enumerate(arrays):
        padded[i, : a.shape[0]] = a
    return padded, lengths


def _fits(value: object, dtype: np.dtype) -> bool:
    """Whether the scalar ``value`` survives a round trip through ``dtype`` unchanged."""
    pad = np.asarray(value)
    if pad.ndim != 0 or pad.dtype.kind not in "biuf":
        return False
    if dtype.kind == "f" and np.isnan(pad):
        return True
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(pad.astype(dtype) == pad)


def _check_lengths(lengths: object) -> np.ndarray:
    """``lengths`` as a 1-D int64 array of positive integers, or raise naming it."""
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D array (N,), got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"lengths must hold integers, got dtype {arr.dtype}")
    if arr.min() < 1:
        raise ValueError(f"lengths must all be at least 1, got {arr[arr < 1].tolist()}")
    return arr.astype(np.int64)


def _check_rng(rng: object) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
    return rng


def random_batches(
    n: int, batch_size: int, rng: np.random.Generator | int | None = None
) -> list[np.ndarray]:
    """Split the indices ``0 .. n-1`` into batches at random, ignoring lengths (the baseline).

    Parameters
    ----------
    n : int
        Number of examples (at least 1).
    batch_size : int
        Examples per batch (at least 1); the last batch is smaller when ``batch_size`` does not
        divide ``n``.
    rng : numpy.random.Generator or int, optional
        Source of randomness (an int is a seed). ``None`` draws fresh, unreproducible entropy.

    Returns
    -------
    list of ndarray of int64
        ``ceil(n / batch_size)`` index arrays; every index appears exactly once.
    """
    n = check_positive_int("n", n)
    batch_size = check_positive_int("batch_size", batch_size)
    order = _check_rng(rng).permutation(n)
    return [order[s : s + batch_size] for s in range(0, n, batch_size)]


def bucket_by_length(
    lengths: Sequence[int] | np.ndarray,
    batch_size: int,
    rng: np.random.Generator | int | None = None,
    shuffle: bool = True,
) -> list[np.ndarray]:
    """Group examples of similar length into batches, so that each batch needs little padding.

    The examples are sorted from longest to shortest and cut into consecutive batches of
    ``batch_size``. With ``shuffle``, examples of equal length are first put in random order (so
    they do not always share a batch), and the order of the batches is then shuffled, so that a
    training epoch does not run from long sequences to short ones.

    Parameters
    ----------
    lengths : sequence of int, shape (N,)
        Length of every example (each at least 1).
    batch_size : int
        Examples per batch (at least 1). The batch of the shortest examples is smaller when
        ``batch_size`` does not divide N.
    rng : numpy.random.Generator or int, optional
        Source of randomness for ``shuffle`` (an int is a seed). ``None`` draws fresh,
        unreproducible entropy. Not used when ``shuffle`` is False.
    shuffle : bool
        If False the result is deterministic: batches from the longest examples to the shortest,
        ties in index order.

    Returns
    -------
    list of ndarray of int64
        ``ceil(N / batch_size)`` index arrays that together hold every index exactly once. Within
        a batch the indices go from the longest sequence to the shortest, the order that
        ``torch.nn.utils.rnn.pack_padded_sequence(..., enforce_sorted=True)`` expects.
    """
    lens = _check_lengths(lengths)
    batch_size = check_positive_int("batch_size", batch_size)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be a bool, got {type(shuffle).__name__} {shuffle!r}")
    if shuffle:
        gen = _check_rng(rng)
        start = gen.permutation(lens.size)  # random order among equal lengths
    else:
        start = np.arange(lens.size)
    order = start[np.argsort(-lens[start], kind="stable")]
    batches = [order[s : s + batch_size] for s in range(0, lens.size, batch_size)]
    if shuffle:
        batches = [batches[k] for k in gen.permutation(len(batches))]
    return batches


def padding_fraction(lengths: Sequence[int] | np.ndarray, batches: Sequence[Sequence[int]]) -> float:
    """Fraction of the computed steps that are padding when the examples are batched this way.

    A batch ``b`` is padded to its longest member, so it costs ``len(b) * max(lengths[b])``
    steps of which ``sum(lengths[b])`` are real. The fraction wasted is

    ``1 - sum_b sum(lengths[b]) / sum_b len(b) * max(lengths[b])``.

    Parameters
    ----------
    lengths : sequence of int, shape (N,)
        Length of every example (each at least 1).
    batches : sequence of index arrays
        Each a non-empty array of indices into ``lengths`` (as returned by
        :func:`bucket_by_length` or :func:`random_batches`).

    Returns
    -------
    float
        Between 0 (no padding at all) and 1.
    """
    lens = _check_lengths(lengths)
    if isinstance(batches, np.ndarray) and batches.ndim == 1:
        raise TypeError("batches must be a list of index arrays, got one 1-D array (wrap it in a list)")
    if len(batches) == 0:
        raise ValueError("batches must hold at least one batch, got none")
    real = total = 0
    for k, b in enumerate(batches):
        idx = np.asarray(b)
        if idx.size == 0:
            raise ValueError(f"batches[{k}] is empty; every batch needs at least one index")
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise TypeError(f"batches[{k}] must be a 1-D array of integer indices, got {idx.dtype} {idx.shape}")
        if idx.min() < 0 or idx.max() >= lens.size:
            raise ValueError(f"batches[{k}] holds indices outside 0..{lens.size - 1}: {idx.tolist()}")
        real += int(lens[idx].sum())
        total += idx.size * int(lens[idx].max())
    return 1.0 - real / total
