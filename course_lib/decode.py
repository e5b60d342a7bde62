"""Turning a model's next-token distributions into sequences: greedy decoding, sampling with a
temperature and top-k, and beam search with length normalisation.

Every decoder talks to the model through one function,

    step(tokens, state) -> (log_probs, state)

where ``tokens`` is a LongTensor (B,) holding the previous token of each of B hypotheses,
``log_probs`` is (B, V) (log-softmax over the vocabulary) and ``state`` is whatever the model
carries from step to step (an RNN's hidden state, plus encoder outputs for an encoder-decoder).
The same decoders therefore serve a language model and an encoder-decoder alike.

Beam search has to reorder the state when hypotheses are dropped or duplicated; it calls
``reorder(state, index)``. The default indexes every tensor in the (nested tuple) state along
``batch_dim=1``, the batch axis of ``torch.nn`` RNN states (layers, N, H); pass your own for other
layouts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["greedy", "sample", "beam_search", "Hypothesis", "reorder_state"]

Step = Callable[[Tensor, Any], tuple[Tensor, Any]]


def reorder_state(state: Any, index: Tensor, batch_dim: int = 1) -> Any:
    """Select hypotheses ``index`` from every tensor of a (nested) tuple or list state."""
    if isinstance(state, Tensor):
        return state.index_select(batch_dim, index.to(state.device))
    if isinstance(state, tuple | list):
        return type(state)(reorder_state(s, index, batch_dim) for s in state)
    if state is None:
        return None
    raise TypeError(f"state must be tensors in tuples or lists, got {type(state).__name__}; pass reorder=")


def _check(log_probs: Tensor, B: int) -> None:
    if log_probs.dim() != 2 or log_probs.shape[0] != B:
        raise ValueError(f"step must return log_probs of shape (B={B}, V), got {tuple(log_probs.shape)}")


@torch.no_grad()
def greedy(step: Step, state: Any, bos: int, eos: int | None, max_len: int) -> list[int]:
    """Pick the most likely token at every step until ``eos`` or ``max_len`` tokens.

    Returns the generated tokens (without ``bos``; with ``eos`` if it was produced).
    """
    return sample(step, state, bos, eos, max_len, temperature=0.0)


@torch.no_grad()
def sample(
    step: Step,
    state: Any,
    bos: int,
    eos: int | None,
    max_len: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> list[int]:
    """Draw a sequence token by token.

    Parameters
    ----------
    temperature : float
        Divides the log-probabilities before sampling: below 1 sharpens the distribution (more
        conservative), above 1 flattens it (more varied); 0 means greedy.
    top_k : int, optional
        Sample only among the ``top_k`` most likely tokens (renormalised).
    generator : torch.Generator, optional
        Source of randomness, for reproducible samples.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k}")
    token = torch.tensor([bos])
    out: list[int] = []
    for _ in range(max_len):
        log_probs, state = step(token, state)
        _check(log_probs, 1)
        scores = log_probs[0].float().cpu()
        if temperature == 0:
            choice = int(scores.argmax())
        else:
            scores = scores / temperature
            if top_k is not None and top_k < scores.numel():
                threshold = scores.topk(top_k).values[-1]
                scores = scores.masked_fill(scores < threshold, float("-inf"))
            choice = int(torch.multinomial(torch.softmax(scores, 0), 1, generator=generator))
        out.append(choice)
        if choice == eos:
            break
        token = torch.tensor([choice])
    return out


@dataclass
class Hypothesis:
    """A finished beam: its tokens (without ``bos``), total log-probability and normalised score."""

    tokens: list[int]
    log_prob: float
    score: float


@torch.no_grad()
def beam_search(
    step: Step,
    state: Any,
    bos: int,
    eos: int,
    max_len: int,
    beam_size: int = 4,
    length_penalty: float = 1.0,
    reorder: Callable[[Any, Tensor], Any] = reorder_state,
) -> list[Hypothesis]:
    """Keep the ``beam_size`` most likely partial sequences at every step.

    A hypothesis ends when it produces ``eos`` (or reaches ``max_len``); the search stops when no
    live hypothesis can still beat the best ended one. Finished hypotheses are
    ranked by ``log_prob / length ** length_penalty``: with 0 the raw log-probability, which favours
    short outputs since every token multiplies in a probability below 1; with 1 the mean
    log-probability per token.

    Parameters
    ----------
    state : the model's state for ONE input (batch size 1); it is expanded to the beam.

    Returns
    -------
    list of Hypothesis, best first (at most ``beam_size``).
    """
    if beam_size < 1 or max_len < 1:
        raise ValueError(f"beam_size and max_len must be at least 1, got {beam_size} and {max_len}")
    tokens = torch.tensor([bos])
    seqs: list[list[int]] = [[]]
    totals = torch.zeros(1)
    finished: list[Hypothesis] = []
    for t in range(max_len):
        log_probs, state = step(tokens, state)
        _check(log_probs, len(seqs))
        log_probs = log_probs.float().cpu()
        V = log_probs.shape[1]
        candidates = (totals[:, None] + log_probs).reshape(-1)
        top = candidates.topk(min(len(candidates), 2 * beam_size))  # room for beams that end now
        keep_rows, keep_tokens, keep_totals = [], [], []
        for value, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            row, token = divmod(flat, V)
            seq = seqs[row] + [token]
            if token == eos or t == max_len - 1:
                finished.append(Hypothesis(seq, value, value / len(seq) ** length_penalty))
            else:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_totals.append(value)
            if len(keep_rows) == beam_size:
                break
        if not keep_rows:
            break
        # A live beam's log-probability can only fall, so its best possible final score is its
        # total now divided by the longest allowed length. Stop when none can beat the best ended.
        best_possible = max(keep_totals) / max_len**length_penalty
        if finished and max(h.score for h in finished) >= best_possible:
            break
        index = torch.tensor(keep_rows)
        seqs = [seqs[r] + [k] for r, k in zip(keep_rows, keep_tokens, strict=True)]
        totals = torch.tensor(keep_totals)
        tokens = torch.tensor(keep_tokens)
        state = reorder(state, index)
    finished.sort(key=lambda h: h.score, reverse=True)
    return finished[:beam_size]
