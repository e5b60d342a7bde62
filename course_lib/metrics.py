"""Evaluation metrics used by the applications: classification, language modelling, forecasting and
sequence-to-sequence. Inputs are NumPy arrays (or anything ``np.asarray`` accepts); tensors can be
passed after ``.cpu().numpy()``."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "perplexity", "mae", "rmse", "exact_match", "bleu", "chrf"]


def _same_shape(pred: object, target: object) -> tuple[np.ndarray, np.ndarray]:
    p, t = np.asarray(pred), np.asarray(target)
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    if p.size == 0:
        raise ValueError("pred and target are empty")
    return p, t


def accuracy(pred: object, target: object, mask: object | None = None) -> float:
    """Fraction of positions where ``pred == target``, counting only where ``mask`` is True."""
    p, t = _same_shape(pred, target)
    m = np.ones(p.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != p.shape:
        raise ValueError(f"mask must have the shape of pred, {p.shape}, got {m.shape}")
    if not m.any():
        raise ValueError("mask selects no position")
    return float(np.sum((p == t) & m) / np.sum(m))


def confusion_matrix(pred: object, target: object, n_classes: int) -> np.ndarray:
    """Counts ``C[i, j]`` of items whose true class is ``i`` and predicted class is ``j``."""
    p, t = _same_shape(pred, target)
    p, t = p.ravel(), t.ravel()
    for name, a in (("pred", p), ("target", t)):
        if a.dtype.kind not in "iu" or a.min() < 0 or a.max() >= n_classes:
            raise ValueError(f"{name} must hold class ids in [0, {n_classes}), got values {np.unique(a)[:10]}")
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def perplexity(mean_nll: float) -> float:
    """``exp`` of the mean negative log-likelihood per token (natural log): the effective number of
    equally likely choices the model hesitates between."""
    if not math.isfinite(mean_nll) or mean_nll < 0:
        raise ValueError(f"mean_nll must be a finite, non-negative mean negative log-likelihood, got {mean_nll}")
    return math.exp(mean_nll)


def mae(pred: object, target: object) -> float:
    """Mean absolute error."""
    p, t = _same_shape(pred, target)
    return float(np.mean(np.abs(p - t)))


def rmse(pred: object, target: object) -> float:
    """Root mean squared error."""
    p, t = _same_shape(pred, target)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def exact_match(pred: Sequence[Sequence], target: Sequence[Sequence]) -> float:
    """Fraction of predicted sequences (strings or token lists) equal to their target."""
    if len(pred) != len(target):
        raise ValueError(f"pred and target must hold as many sequences, got {len(pred)} and {len(target)}")
    if not pred:
        raise ValueError("pred and target are empty")
    return sum(list(p) == list(t) for p, t in zip(pred, target, strict=True)) / len(pred)


def _ngrams(tokens: Sequence, n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(pred: Sequence[Sequence], target: Sequence[Sequence], max_n: int = 4) -> float:
    """Corpus BLEU (Papineni et al., 2002) with one reference per sentence, in [0, 1].

    The geometric mean of the clipped n-gram precisions for n = 1..``max_n``, summed over the
    corpus, times the brevity penalty ``min(1, exp(1 - r / c))`` (r: reference length, c:
    prediction length). No smoothing: a corpus with no matching n-gram of some order scores 0.
    """
    if len(pred) != len(target):
        raise ValueError(f"pred and target must hold as many sequences, got {len(pred)} and {len(target)}")
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for p, t in zip(pred, target, strict=True):
        p, t = list(p), list(t)
        c, r = c + len(p), r + len(t)
        for n in range(1, max_n + 1):
            pn, tn = _ngrams(p, n), _ngrams(t, n)
            matches[n - 1] += sum(min(k, tn[g]) for g, k in pn.items())
            totals[n - 1] += max(len(p) - n + 1, 0)
    if c == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / k) for m, k in zip(matches, totals, strict=True)) / max_n
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_precision)


def chrf(pred: Sequence[str], target: Sequence[str], max_n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF (Popović, 2015): the F-beta score of character n-grams (n = 1..``max_n``,
    spaces removed), precision and recall averaged over n, in [0, 1]. beta = 2 weights recall
    twice as much as precision."""
    if len(pred) != len(target):
        raise ValueError(f"pred and target must hold as many strings, got {len(pred)} and {len(target)}")
    precisions, recalls = [], []
    for n in range(1, max_n + 1):
        match = p_total = t_total = 0
        for p, t in zip(pred, target, strict=True):
            pn, tn = _ngrams(p.replace(" ", ""), n), _ngrams(t.replace(" ", ""), n)
            match += sum(min(k, tn[g]) for g, k in pn.items())
            p_total += sum(pn.values())
            t_total += sum(tn.values())
        if p_total and t_total:
            precisions.append(match / p_total)
            recalls.append(match / t_total)
    if not precisions:
        return 0.0
    P, R = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if P + R == 0:
        return 0.0
    return (1 + beta**2) * P * R / (beta**2 * P + R)
