"""An encoder-decoder (sequence-to-sequence) model with optional attention.

The encoder is a bidirectional GRU over the source; the decoder is a GRU that produces the target
one token at a time. Without attention the decoder sees the source only through its initial state
(Sutskever et al., 2014; Cho et al., 2014); with attention it also reads, at every step, a weighted
average of all encoder outputs, the weights saying where it "looks" (Bahdanau et al., 2015).
The weights are returned so that they can be plotted.

Decoding uses :mod:`course_lib.decode`: :meth:`Seq2Seq.step` has the ``step(tokens, state)``
signature the decoders expect and :meth:`Seq2Seq.reorder` reorders its state for beam search.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from course_lib.nn_torch.gru import GRU

__all__ = ["Attention", "Seq2Seq"]


class Attention(nn.Module):
    """Scores every key against a query and returns the weighted average of the keys.

    ``kind="additive"``: ``score(q, k) = v . tanh(W_q q + W_k k)`` (Bahdanau et al., 2015).
    ``kind="dot"``: ``score(q, k) = q . (W_k k) / sqrt(H_q)``, a scaled dot product after mapping
    the keys to the query's size.

    Parameters
    ----------
    query_size : int
        H_q, size of the decoder state.
    key_size : int
        H_k, size of each encoder output.
    kind : {"additive", "dot"}
    """

    def __init__(self, query_size: int, key_size: int, kind: str = "additive") -> None:
        super().__init__()
        if kind not in ("additive", "dot"):
            raise ValueError(f"kind must be 'additive' or 'dot', got {kind!r}")
        self.kind = kind
        self.key_proj = nn.Linear(key_size, query_size, bias=False)
        if kind == "additive":
            self.query_proj = nn.Linear(query_size, query_size, bias=False)
            self.v = nn.Linear(query_size, 1, bias=False)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """
        Parameters
        ----------
        query : Tensor (B, H_q)
        keys : Tensor (B, S, H_k)
        mask : bool Tensor (B, S)
            False at padding positions, which get zero weight.

        Returns
        -------
        context : Tensor (B, H_k)
        weights : Tensor (B, S), rows summing to 1
        """
        projected = self.key_proj(keys)  # (B, S, H_q)
        if self.kind == "additive":
            scores = self.v(torch.tanh(projected + self.query_proj(query)[:, None])).squeeze(-1)
        else:
            scores = (projected @ query[:, :, None]).squeeze(-1) / math.sqrt(query.shape[-1])
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        return (weights[:, :, None] * keys).sum(1), weights


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, GRU decoder, optional attention.

    Parameters
    ----------
    src_vocab, tgt_vocab : int
        Vocabulary sizes.
    emb_size, hidden_size : int
        Embedding size and the decoder's hidden size H (each encoder direction has H too).
    attention : {"additive", "dot", None}
    pad : int
        Padding id (its embedding stays zero).
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        emb_size: int = 32,
        hidden_size: int = 64,
        attention: str | None = "additive",
        pad: int = 0,
    ) -> None:
        super().__init__()
        H = hidden_size
        self.pad, self.hidden_size = pad, H
        self.src_emb = nn.Embedding(src_vocab, emb_size, padding_idx=pad)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb_size, padding_idx=pad)
        self.encoder = GRU(emb_size, H, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * H, H)  # both final encoder states -> initial decoder state
        self.attention = None if attention is None else Attention(H, 2 * H, attention)
        context = 0 if attention is None else 2 * H
        self.decoder = GRU(emb_size + context, H, batch_first=True)
        self.out = nn.Linear(H + context, tgt_vocab)

    def encode(self, src: Tensor, src_lengths) -> tuple[Tensor, Tensor, Tensor]:
        """Encode a padded source batch.

        Returns
        -------
        h : Tensor (1, B, H), the decoder's initial state
        memory : Tensor (B, S, 2H), encoder outputs (zero at padding)
        mask : bool Tensor (B, S), True at real source tokens
        """
        lengths = torch.as_tensor(src_lengths, device=src.device)
        memory, h_n = self.encoder(self.src_emb(src), lengths=lengths.cpu())
        mask = torch.arange(src.shape[1], device=src.device)[None] < lengths[:, None]
        h = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=-1)))[None]
        return h, memory, mask

    def _step(self, tokens: Tensor, h: Tensor, memory: Tensor, mask: Tensor):
        """One decoder step: (B,) previous tokens -> logits (B, V), new h, attention weights."""
        emb = self.tgt_emb(tokens)
        if self.attention is None:
            out, h = self.decoder(emb[:, None], h)
            return self.out(out[:, 0]), h, None
        context, weights = self.attention(h[0], memory, mask)
        out, h = self.decoder(torch.cat([emb, context], -1)[:, None], h)
        return self.out(torch.cat([out[:, 0], context], -1)), h, weights

    def forward(self, src: Tensor, src_lengths, tgt_in: Tensor) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: feed the true previous target token at every step.

        Parameters
        ----------
        src : LongTensor (B, S)
        src_lengths : ints (B,)
        tgt_in : LongTensor (B, T), the target shifted right (starting with ``bos``)

        Returns
        -------
        logits : Tensor (B, T, V)
        attention : Tensor (B, T, S), or None without attention
        """
        h, memory, mask = self.encode(src, src_lengths)
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            step_logits, h, w = self._step(tgt_in[:, t], h, memory, mask)
            logits.append(step_logits)
            weights.append(w)
        attn = None if self.attention is None else torch.stack(weights, 1)
        return torch.stack(logits, 1), attn

    # ---------------------------------------------------------------- decoding interface
    def start(self, src: Tensor, src_lengths) -> tuple:
        """The decoding state for a source batch: ``(h, memory, mask, attention history)``."""
        h, memory, mask = self.encode(src, src_lengths)
        return h, memory, mask, memory.new_zeros(memory.shape[0], 0, memory.shape[1])

    def step(self, tokens: Tensor, state: tuple) -> tuple[Tensor, tuple]:
        """``course_lib.decode`` interface: log-probabilities (B, V) of the next token and the new
        state. The state keeps the attention weights of every step so far, (B, t, S)."""
        h, memory, mask, history = state
        B = tokens.shape[0]
        if memory.shape[0] != B:  # the first call of a beam search: expand the single source
            h, memory, mask, history = (s.expand(-1, B, -1) if i == 0 else s.expand(B, *s.shape[1:])
                                        for i, s in enumerate((h, memory, mask, history)))
        logits, h, weights = self._step(tokens.to(memory.device), h.contiguous(), memory, mask)
        if weights is not None:
            history = torch.cat([history, weights[:, None]], 1)
        return torch.log_softmax(logits, -1), (h, memory, mask, history)

    @staticmethod
    def reorder(state: tuple, index: Tensor) -> tuple:
        """Select hypotheses ``index`` from a decoding state (for beam search)."""
        h, memory, mask, history = state
        index = index.to(memory.device)
        return h[:, index], memory[index], mask[index], history[index]
