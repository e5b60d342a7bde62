"""NumPy reference implementations with hand-written backward passes.

Batch first, ``x @ W``, every ``*_forward`` paired with a ``*_backward``; see :mod:`.rnn`.
"""

from course_lib.nn_numpy.clip import clip_by_global_norm, clip_by_value, global_norm
from course_lib.nn_numpy.rnn import (
    RNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_lib.nn_numpy.tbptt import tbptt_chunks, truncated_bptt

__all__ = [
    "RNN",
    "clip_by_global_norm",
    "clip_by_value",
    "global_norm",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "tbptt_chunks",
    "truncated_bptt",
]
