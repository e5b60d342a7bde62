"""Every metric against a case computed by hand."""

import math

import numpy as np
import pytest

from course_lib.metrics import accuracy, bleu, chrf, confusion_matrix, exact_match, mae, perplexity, rmse


def test_accuracy_with_and_without_mask():
    assert accuracy([1, 2, 3, 4], [1, 0, 3, 0]) == 0.5
    assert accuracy([[1, 2], [3, 4]], [[1, 0], [3, 0]], mask=[[True, False], [True, False]]) == 1.0
    with pytest.raises(ValueError, match="mask selects no position"):
        accuracy([1], [1], mask=[False])
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        accuracy([1, 2], [1, 2, 3])


def test_confusion_matrix():
    C = confusion_matrix(np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 0]), 3)
    expected = np.array([[1, 0, 1], [0, 1, 0], [0, 1, 1]])  # rows: true class, columns: predicted
    np.testing.assert_array_equal(C, expected)
    assert C.sum() == 5
    with pytest.raises(ValueError, match=r"pred must hold class ids in \[0, 3\)"):
        confusion_matrix(np.array([3]), np.array([0]), 3)


def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(50)) == pytest.approx(50.0)  # uniform over 50 symbols
    with pytest.raises(ValueError, match="mean_nll must be"):
        perplexity(float("nan"))


def test_mae_rmse():
    assert mae([1.0, 2.0, 4.0], [1.0, 0.0, 1.0]) == pytest.approx(5 / 3)
    assert rmse([1.0, 2.0, 4.0], [1.0, 0.0, 1.0]) == pytest.approx(math.sqrt(13 / 3))


def test_exact_match():
    assert exact_match(["2020-01-02", "1999-12-31"], ["2020-01-02", "1999-12-30"]) == 0.5
    assert exact_match([[1, 2]], [(1, 2)]) == 1.0
    with pytest.raises(ValueError, match="as many sequences"):
        exact_match(["a"], ["a", "b"])


def test_bleu_hand_computed():
    pred = ["the cat sat on the mat".split()]
    ref = ["the cat sat on a mat".split()]
    # clipped precisions 5/6, 3/5, 2/4, 1/3; equal lengths, so no brevity penalty
    assert bleu(pred, ref) == pytest.approx((5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)
    assert bleu(ref, ref) == pytest.approx(1.0)
    short = ["the cat sat on".split()]
    assert bleu(short, ref) == pytest.approx(math.exp(1 - 6 / 4))  # perfect precisions, too short
    assert bleu([["x", "y", "z", "w"]], ref) == 0.0


def test_chrf_hand_computed():
    assert chrf(["ab"], ["ac"], max_n=2) == pytest.approx(0.25)  # P = R = 1/4 averaged over n
    assert chrf(["same text"], ["same text"]) == pytest.approx(1.0)
    assert chrf(["abc"], ["xyz"]) == 0.0
