"""Bad input to the gated functions and the layer classes: clear errors naming the argument."""

import numpy as np
import pytest

from course_lib import nn_numpy
from course_lib.nn_numpy.gru import gru_forward
from course_lib.nn_numpy.lstm import lstm_forward


def test_mismatched_lstm_weights():
    x, h0 = np.zeros((2, 3, 4)), np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"Wx must have shape \(D, 20\), got \(4, 16\)"):
        lstm_forward(x, h0, np.zeros((4, 16)), np.zeros((5, 20)), np.zeros(20))
    with pytest.raises(ValueError, match=r"Wh must have shape \(H, 20\), got \(5, 15\)"):
        lstm_forward(x, h0, np.zeros((4, 20)), np.zeros((5, 15)), np.zeros(20))
    with pytest.raises(ValueError, match=r"h0 must have shape \(N=2, H=5\), got \(2, 4\)"):
        lstm_forward(x, np.zeros((2, 4)), np.zeros((4, 20)), np.zeros((5, 20)), np.zeros(20))
    with pytest.raises(ValueError, match=r"c0 must have shape \(N=2, H=5\), got \(3, 5\)"):
        lstm_forward(x, h0, np.zeros((4, 20)), np.zeros((5, 20)), np.zeros(20), np.zeros((3, 5)))


def test_mismatched_gru_weights():
    x, h0 = np.zeros((2, 3, 4)), np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"bh must have shape \(15,\), got \(20,\)"):
        gru_forward(x, h0, np.zeros((4, 15)), np.zeros((5, 15)), np.zeros(15), np.zeros(20))
    with pytest.raises(ValueError, match=r"x must have shape \(N=2, T=3, D=6\), got \(2, 3, 4\) \(D=6 comes from Wx\)"):
        gru_forward(x, h0, np.zeros((6, 15)), np.zeros((5, 15)), np.zeros(15), np.zeros(15))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, T\) = \(2, 3\), got \(3, 2\)"):
        gru_forward(x, h0, np.zeros((4, 15)), np.zeros((5, 15)), np.zeros(15), np.zeros(15), mask=np.ones((3, 2), bool))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_lengths_errors(kind):
    layer = getattr(nn_numpy, kind)(3, 4, batch_first=True)
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"lengths must lie between 1 and T=5, got \[6\]"):
        layer.forward(x, lengths=[6, 2])
    with pytest.raises(ValueError, match=r"lengths must lie between 1 and T=5, got \[0\]"):
        layer.forward(x, lengths=[0, 2])
    with pytest.raises(ValueError, match=r"lengths must have one entry per sequence, shape \(2,\), got \(3,\)"):
        layer.forward(x, lengths=[1, 2, 3])
    with pytest.raises(TypeError, match="lengths must hold integers, got dtype float64"):
        layer.forward(x, lengths=[1.5, 2.0])


def test_hx_errors():
    lstm = nn_numpy.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = np.zeros((5, 2, 3))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\) or None, got ndarray"):
        lstm.forward(x, np.zeros((4, 2, 4)))
    with pytest.raises(ValueError, match=r"c_0 must have shape \(4, 2, 4\), got \(2, 2, 4\)"):
        lstm.forward(x, (np.zeros((4, 2, 4)), np.zeros((2, 2, 4))))
    gru = nn_numpy.GRU(3, 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"hx must have shape \(2, 2, 4\), got \(1, 2, 4\)"):
        gru.forward(x, np.zeros((1, 2, 4)))


def test_constructor_and_from_torch_errors():
    import torch

    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        nn_numpy.GRU(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="module must be a torch.nn.LSTM or course_lib.nn_torch.LSTM, got GRU"):
        nn_numpy.LSTM.from_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="proj_size"):
        nn_numpy.LSTM.from_torch(torch.nn.LSTM(3, 4, proj_size=2))
