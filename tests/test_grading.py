"""The assignment checks must name the wrong output and, for the RNN step, the wrong term."""

import numpy as np
import pytest

from course_lib.grading import GradingError, check_array, check_outputs, locate_rnn_step_error
from course_lib.nn_numpy import rnn_step_forward


@pytest.fixture
def args(rng):
    return (
        rng.standard_normal((2, 3)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((4, 4)),
        rng.standard_normal(4),
    )


def test_check_array_messages():
    ref = np.arange(6.0).reshape(2, 3)
    check_array("h", ref.copy(), ref)
    with pytest.raises(GradingError, match=r"h is None: did the function reach its return statement"):
        check_array("h", None, ref)
    with pytest.raises(GradingError, match=r"h has shape \(3, 2\) but should have shape \(2, 3\) \(transposed\?"):
        check_array("h", ref.T.copy(), ref)
    with pytest.raises(GradingError, match="h should be a numpy array of shape"):
        check_array("h", [[0.0]], ref)
    with pytest.raises(GradingError, match="h contains NaN"):
        check_array("h", np.full((2, 3), np.nan), ref)
    bad = ref.copy()
    bad[1, 2] += 1
    with pytest.raises(GradingError, match=r"h is off: relative error .* index \(1, 2\): got 6, expected 5"):
        check_array("h", bad, ref)


def test_check_outputs_counts_and_names():
    refs = [np.zeros(2), np.ones(2)]
    check_outputs(["dx", "dW"], (np.zeros(2), np.ones(2)), refs)
    with pytest.raises(GradingError, match=r"should return 2 values \(dx, dW\), got 1"):
        check_outputs(["dx", "dW"], (np.zeros(2),), refs)
    with pytest.raises(GradingError, match="dW is off"):
        check_outputs(["dx", "dW"], (np.zeros(2), np.zeros(2)), refs)


@pytest.mark.parametrize(
    ("bug", "term"),
    [
        (lambda x, h, Wx, Wh, b: np.tanh(2 * (x @ Wx) + h @ Wh + b), "the input term x @ Wx"),
        (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), "the recurrent term h_prev @ Wh"),
        (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh - b), "the bias b"),
    ],
)
def test_locate_the_wrong_term(args, bug, term):
    with pytest.raises(GradingError, match=f"With {term} set to zero it matches"):
        locate_rnn_step_error(bug, rnn_step_forward, *args)


def test_locate_accepts_a_correct_step_and_blames_the_nonlinearity(args):
    locate_rnn_step_error(rnn_step_forward, rnn_step_forward, *args)
    with pytest.raises(GradingError, match="check the nonlinearity"):
        locate_rnn_step_error(lambda x, h, Wx, Wh, b: np.maximum(x @ Wx + h @ Wh + b, 0), rnn_step_forward, *args)
