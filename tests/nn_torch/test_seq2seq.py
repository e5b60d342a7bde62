"""The encoder-decoder with attention: shapes, masking, the two score functions, and that it learns
a small task (reversing a sequence) and decodes it with greedy and beam search."""

import math

import pytest
import torch

from course_lib.decode import beam_search, greedy
from course_lib.nn_torch import Attention, Seq2Seq

PAD, BOS, EOS = 0, 1, 2


def test_attention_scores_match_their_formulas_and_respect_the_mask():
    torch.manual_seed(0)
    q, keys = torch.randn(2, 4), torch.randn(2, 5, 6)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    for kind in ("additive", "dot"):
        att = Attention(4, 6, kind)
        context, w = att(q, keys, mask)
        proj = keys @ att.key_proj.weight.T
        if kind == "additive":
            scores = (torch.tanh(proj + (q @ att.query_proj.weight.T)[:, None]) @ att.v.weight.T).squeeze(-1)
        else:
            scores = (proj * q[:, None]).sum(-1) / math.sqrt(4)
        expected = torch.softmax(scores.masked_fill(~mask, -math.inf), -1)
        torch.testing.assert_close(w, expected)
        torch.testing.assert_close(w.sum(-1), torch.ones(2))
        assert torch.all(w[1, 2:] == 0)
        torch.testing.assert_close(context, (expected[:, :, None] * keys).sum(1))
    with pytest.raises(ValueError, match="kind must be 'additive' or 'dot'"):
        Attention(4, 6, "cosine")


def reversal_batch(g, n=48, vocab=8):
    lengths = torch.randint(3, 6, (n,), generator=g)
    src = torch.full((n, 5), PAD)
    tgt = torch.full((n, 7), PAD)
    for i, L in enumerate(lengths.tolist()):
        s = torch.randint(3, vocab, (L,), generator=g)
        src[i, :L] = s
        tgt[i, : L + 2] = torch.cat([torch.tensor([BOS]), s.flip(0), torch.tensor([EOS])])
    return src, lengths, tgt


@pytest.mark.parametrize("attention", ["additive", "dot", None])
def test_shapes(attention):
    model = Seq2Seq(8, 9, emb_size=4, hidden_size=6, attention=attention)
    src, lengths, tgt = reversal_batch(torch.Generator().manual_seed(0), n=3)
    logits, attn = model(src, lengths, tgt[:, :-1])
    assert logits.shape == (3, 6, 9)
    if attention is None:
        assert attn is None
    else:
        assert attn.shape == (3, 6, 5)
        for i, L in enumerate(lengths.tolist()):
            assert torch.all(attn[i, :, L:] == 0)


def test_learns_to_reverse_and_decodes():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    src, lengths, tgt = reversal_batch(g)
    model = Seq2Seq(8, 8, emb_size=16, hidden_size=32, attention="additive")
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        logits, _ = model(src, lengths, tgt[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 8), tgt[:, 1:].reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
    model.eval()
    correct_greedy = correct_beam = 0
    for i in range(8):
        L = int(lengths[i])
        state = model.start(src[i : i + 1], lengths[i : i + 1])
        want = tgt[i, 1 : L + 2].tolist()
        correct_greedy += greedy(model.step, state, BOS, EOS, max_len=8) == want
        best = beam_search(model.step, state, BOS, EOS, max_len=8, beam_size=3, reorder=model.reorder)
        correct_beam += best[0].tokens == want
    assert correct_greedy >= 7 and correct_beam >= 7
