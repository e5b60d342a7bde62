"""Decoders on hand-built models whose answers are known."""

import math

import pytest
import torch

from course_lib.decode import beam_search, greedy, reorder_state, sample

BOS, EOS, A, B, X, Y, Z = 0, 1, 2, 3, 4, 5, 6
V = 7


def table_model(table):
    """A 'model' whose next-token distribution depends only on the previous token.

    The state counts steps (shape (1, B, 1), batch on dim 1 like an RNN state) so that
    reordering is exercised.
    """

    def step(tokens, state):
        probs = torch.full((len(tokens), V), 1e-9)
        for row, tok in enumerate(tokens.tolist()):
            for nxt, p in table.get(tok, {EOS: 1.0}).items():
                probs[row, nxt] = p
        return probs.log(), state + 1

    return step


# Greedy takes A (0.6) then X (0.4): 0.24. The better sequence starts with the less likely B:
# B (0.4) then Z (0.9): 0.36. Both end with EOS (probability 1).
TRAP = {BOS: {A: 0.6, B: 0.4}, A: {X: 0.4, Y: 0.3, Z: 0.3}, B: {Z: 0.9, X: 0.1}, X: {EOS: 1.0}, Z: {EOS: 1.0}}


def test_greedy_falls_into_the_trap_beam_search_does_not():
    state = torch.zeros(1, 1, 1)
    assert greedy(table_model(TRAP), state, BOS, EOS, max_len=5) == [A, X, EOS]
    best = beam_search(table_model(TRAP), state, BOS, EOS, max_len=5, beam_size=2, length_penalty=0.0)
    assert best[0].tokens == [B, Z, EOS]
    assert best[0].log_prob == pytest.approx(math.log(0.36), rel=1e-5)
    assert best[1].tokens == [A, X, EOS]
    assert beam_search(table_model(TRAP), state, BOS, EOS, 5, beam_size=1)[0].tokens == [A, X, EOS]


def test_length_normalisation_changes_the_winner():
    # SHORT: EOS right away with 0.3. LONG: A (0.7) then EOS (0.5): 0.35 in total but per token
    # log(0.35)/2 > log(0.3)/1, and raw log-prob also slightly favours it; make LONG worse in total.
    table = {BOS: {EOS: 0.3, A: 0.7}, A: {B: 0.4, EOS: 0.3, X: 0.3}, B: {EOS: 1.0}}
    raw = beam_search(table_model(table), torch.zeros(1, 1, 1), BOS, EOS, 5, beam_size=3, length_penalty=0.0)
    norm = beam_search(table_model(table), torch.zeros(1, 1, 1), BOS, EOS, 5, beam_size=3, length_penalty=1.0)
    assert raw[0].tokens == [EOS]  # 0.3 > 0.7 * 0.4 = 0.28 > 0.21
    assert norm[0].tokens == [A, B, EOS]  # log(0.28)/3 = -0.42 > log(0.3)/1 = -1.2


def test_sampling_limits():
    state = torch.zeros(1, 1, 1)
    step = table_model(TRAP)
    assert sample(step, state, BOS, EOS, 5, temperature=0.0) == [A, X, EOS]
    assert sample(step, state, BOS, EOS, 5, top_k=1, generator=torch.Generator().manual_seed(0)) == [A, X, EOS]


def test_sampling_follows_the_distribution_and_the_temperature():
    step = table_model({BOS: {A: 0.6, B: 0.4}})
    g = torch.Generator().manual_seed(0)
    n = 4000
    firsts = [sample(step, torch.zeros(1, 1, 1), BOS, EOS, 1, generator=g)[0] for _ in range(n)]
    share = firsts.count(A) / n
    assert abs(share - 0.6) < 4 * math.sqrt(0.6 * 0.4 / n)  # within four standard errors
    cold = [sample(step, torch.zeros(1, 1, 1), BOS, EOS, 1, temperature=0.25, generator=g)[0] for _ in range(n)]
    # temperature 0.25 raises probabilities to the 4th power: 0.6^4 / (0.6^4 + 0.4^4) = 0.835
    assert abs(cold.count(A) / n - 0.835) < 4 * math.sqrt(0.835 * 0.165 / n)


def test_reorder_state_and_errors():
    h = torch.arange(6.0).reshape(1, 3, 2)
    c = torch.arange(6.0).reshape(1, 3, 2) * 10
    out = reorder_state((h, c), torch.tensor([2, 2, 0]))
    assert out[0][0, :, 0].tolist() == [4.0, 4.0, 0.0] and out[1][0, :, 0].tolist() == [40.0, 40.0, 0.0]
    with pytest.raises(TypeError, match="pass reorder="):
        reorder_state({"h": h}, torch.tensor([0]))
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sample(table_model(TRAP), None, BOS, EOS, 3, temperature=-1)
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        sample(table_model(TRAP), None, BOS, EOS, 3, top_k=0)

    def bad_step(tokens, state):
        return torch.zeros(V), state

    with pytest.raises(ValueError, match=r"log_probs of shape \(B=1, V\)"):
        greedy(bad_step, None, BOS, EOS, 3)
