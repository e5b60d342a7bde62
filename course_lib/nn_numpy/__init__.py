"""NumPy reference implementations with hand-written backward passes.

Batch first, ``x @ W``, every ``*_forward`` paired with a ``*_backward``; the layer classes
``RNN``, ``LSTM`` and ``GRU`` mirror ``torch.nn``. See :mod:`.rnn`, :mod:`.lstm`, :mod:`.gru`.
"""

from course_lib.nn_numpy.clip import clip_by_global_norm, clip_by_value, global_norm
from course_lib.nn_numpy.gradient_flow import jacobian_norms, spectral_radius
from course_lib.nn_numpy.gru import GRU, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from course_lib.nn_numpy.init import identity, orthogonal, scaled_to_radius
from course_lib.nn_numpy.lstm import (
    LSTM,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_lib.nn_numpy.rnn import (
    RNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_lib.nn_numpy.tbptt import tbptt_chunks, truncated_bptt

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "clip_by_global_norm",
    "clip_by_value",
    "global_norm",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "identity",
    "jacobian_norms",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "orthogonal",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "scaled_to_radius",
    "spectral_radius",
    "tbptt_chunks",
    "truncated_bptt",
]
