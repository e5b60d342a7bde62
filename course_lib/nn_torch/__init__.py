"""PyTorch versions of the course's layers, built from tensor operations, on any device.

``RNN``, ``LSTM`` and ``GRU`` have the surface of ``torch.nn.RNN``/``LSTM``/``GRU`` (so state dicts
load both ways) plus a ``lengths=`` keyword; ``fast=False`` selects the readable step-by-step loop.
"""

import torch

from course_lib.nn_torch.gru import GRU
from course_lib.nn_torch.lstm import LSTM
from course_lib.nn_torch.rnn import RNN
from course_lib.nn_torch.seq2seq import Attention, Seq2Seq

__all__ = ["GRU", "LSTM", "RNN", "Attention", "Seq2Seq", "pick_device"]


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device to run on: ``device`` if given, else CUDA, then Apple MPS, then the CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
