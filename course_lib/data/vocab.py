"""Vocabularies: the two-way map between tokens (strings) and integer ids.

A network reads integers, not text. A vocabulary assigns every token an id; encoding turns text
into an array of ids and decoding turns ids back into text. Four reserved tokens have the same ids
in every vocabulary of the course:

====== == ==========================================================================
token  id meaning
====== == ==========================================================================
<pad>  0  filler that makes sequences of a batch equally long; carries no content
<unk>  1  stands for any token the vocabulary does not know
<bos>  2  beginning of sequence: the first input when a model generates text
<eos>  3  end of sequence: the model predicts it to say "stop here"
====== == ==========================================================================

The ordinary tokens follow, from id 4 on. :class:`Vocab` holds everything that does not depend on
what a token is; a subclass says how text is cut into tokens and glued back
(:class:`CharVocab`: one token per character).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["Vocab", "CharVocab", "WordVocab", "PAD", "UNK", "BOS", "EOS", "SPECIAL_TOKENS"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, BOS, EOS)  # at ids 0, 1, 2, 3


class Vocab:
    """Base class: reserved tokens at fixed ids, then ordinary tokens, and lookups both ways.

    Subclasses define :meth:`split` (text to tokens) and :meth:`join` (tokens to text); encoding
    and decoding are built on them here.

    Parameters
    ----------
    tokens : iterable of str
        The ordinary tokens, in the order of their ids (the first gets id 4). No duplicates, no
        reserved token, no empty string. Use a subclass's ``from_text`` to build one from a corpus.
    """

    PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

    def __init__(self, tokens: Iterable[str]) -> None:
        if isinstance(tokens, str):
            raise TypeError(
                "tokens must be an iterable of tokens such as a list of str, got a single str; "
                "use from_text to build a vocabulary from text"
            )
        self._tokens: list[str] = list(SPECIAL_TOKENS)
        self._ids: dict[str, int] = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
        for tok in tokens:
            self._check_token(tok)
            if tok in self._ids:
                kind = "a reserved token" if tok in SPECIAL_TOKENS else "listed twice"
                raise ValueError(f"tokens must be distinct ordinary tokens; {tok!r} is {kind}")
            self._ids[tok] = len(self._tokens)
            self._tokens.append(tok)

    def _check_token(self, tok: object) -> None:
        """Refuse what cannot be a token; subclasses add their own rules."""
        if not isinstance(tok, str) or tok == "":
            raise TypeError(f"every token must be a non-empty str, got {tok!r}")

    # --- what a subclass decides -----------------------------------------------------------

    def split(self, text: str) -> list[str]:
        """Cut ``text`` into tokens."""
        raise NotImplementedError

    def join(self, tokens: Sequence[str]) -> str:
        """Glue tokens back into text; the inverse of :meth:`split` for known tokens."""
        raise NotImplementedError

    # --- lookups ---------------------------------------------------------------------------

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token in id order, reserved ones first (pass ``tokens[4:]`` to rebuild)."""
        return tuple(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token in self._ids

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._tokens == self._tokens  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._tokens)))

    def __repr__(self) -> str:
        preview = ", ".join(repr(t) for t in self._tokens[4:12])
        more = ", ..." if len(self) > 12 else ""
        return f"{type(self).__name__}(size={len(self)}, tokens=[{preview}{more}])"

    def index(self, token: str) -> int:
        """The id of ``token``; ``UNK_ID`` (1) if the vocabulary does not contain it."""
        if not isinstance(token, str):
            raise TypeError(f"token must be a str, got {type(token).__name__} {token!r}")
        return self._ids.get(token, self.UNK_ID)

    def token(self, token_id: int) -> str:
        """The token with id ``token_id``, which must be in ``0 .. len(self) - 1``."""
        if isinstance(token_id, bool) or not isinstance(token_id, (int, np.integer)):
            raise TypeError(
                f"token_id must be an int, got {type(token_id).__name__} {token_id!r}"
            )
        if not 0 <= token_id < len(self):
            raise ValueError(
                f"token_id {token_id} is out of range: this vocabulary has ids "
                f"0 .. {len(self) - 1}"
            )
        return self._tokens[token_id]

    # --- text <-> ids ----------------------------------------------------------------------

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> np.ndarray:
        """Turn text into token ids; unknown tokens become ``<unk>`` (id 1).

        Parameters
        ----------
        text : str
            The text to encode.
        add_bos : bool
            Put ``<bos>`` (id 2) in front.
        add_eos : bool
            Put ``<eos>`` (id 3) at the end.

        Returns
        -------
        ids : ndarray of int64, shape (L,)
            L is the number of tokens of ``text``, plus one for each marker added.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = [self._ids.get(tok, self.UNK_ID) for tok in self.split(text)]
        if add_bos:
            ids.insert(0, self.BOS_ID)
        if add_eos:
            ids.append(self.EOS_ID)
        return np.array(ids, dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray, skip_special: bool = True) -> str:
        """Turn token ids back into text.

        Parameters
        ----------
        ids : ndarray of int, shape (L,), or a sequence of int
            Token ids, each in ``0 .. len(self) - 1``.
        skip_special : bool
            Leave out ``<pad>``, ``<bos>`` and ``<eos>``, which mark structure, not content.
            ``<unk>`` is always written, as the text ``"<unk>"``, so that lost characters show.

        Returns
        -------
        str
            The decoded text.

        Raises
        ------
        TypeError
            If ``ids`` is not one-dimensional integers.
        ValueError
            If an id is outside ``0 .. len(self) - 1``; the message names the first such id.
        """
        arr = np.asarray(ids)
        if arr.size == 0:
            return ""
        if arr.dtype.kind not in "iu" or arr.ndim != 1:
            raise TypeError(
                f"ids must be a 1-D sequence of ints, got dtype {arr.dtype} and shape {arr.shape}"
            )
        bad = (arr < 0) | (arr >= len(self))
        if bad.any():
            first = int(arr[np.argmax(bad)])
            raise ValueError(
                f"ids contains id {first}, out of range: this vocabulary has ids "
                f"0 .. {len(self) - 1}"
            )
        skip = {self.PAD_ID, self.BOS_ID, self.EOS_ID} if skip_special else set()
        return self.join([self._tokens[i] for i in arr.tolist() if i not in skip])


class CharVocab(Vocab):
    """A vocabulary of single characters: every character of the text is one token.

    Parameters
    ----------
    chars : iterable of str
        The characters, one str of length 1 each, in the order of their ids (the first gets id 4).
        :meth:`from_text` sorts them, so that the same text always gives the same ids.

    Examples
    --------
    >>> vocab = CharVocab.from_text("abba")
    >>> vocab.encode("abc", add_eos=True).tolist()
    [4, 5, 1, 3]
    >>> vocab.decode([2, 5, 4, 3])
    'ba'
    """

    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> CharVocab:
        """Build the vocabulary of every distinct character of ``text``, sorted by code point.

        Parameters
        ----------
        text : str or iterable of str
            The training text, or several texts (lines, documents) taken together.

        Returns
        -------
        CharVocab
            Reserved tokens at ids 0-3, then the sorted characters.
        """
        texts = [text] if isinstance(text, str) else list(text)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(
                    f"text must be a str or an iterable of str; item {i} is {type(t).__name__}"
                )
        return cls(sorted(set().union(*texts)))

    def _check_token(self, tok: object) -> None:
        if not isinstance(tok, str) or len(tok) != 1:
            raise TypeError(f"every token of a CharVocab must be a single character, got {tok!r}")

    def split(self, text: str) -> list[str]:
        """One token per character."""
        return list(text)

    def join(self, tokens: Sequence[str]) -> str:
        """Characters glued with nothing in between."""
        return "".join(tokens)


class WordVocab(Vocab):
    """A vocabulary of words: text is cut at white space, and each word is one token.

    Parameters
    ----------
    words : iterable of str
        The words, each a non-empty str without white space, in the order of their ids (the first
        gets id 4). :meth:`from_text` orders them by falling frequency, ties alphabetically.

    Notes
    -----
    Decoding joins words with single spaces, so ``decode(encode(text))`` gives back
    ``" ".join(text.split())`` when every word is known; unknown words come back as ``<unk>``.
    Nothing is lower-cased or split off (``"good,"`` is one word): prepare the text before, as the
    course's ``sentiment`` and ``tagging`` datasets already are (punctuation stands apart).

    Examples
    --------
    >>> vocab = WordVocab.from_text(["the film was good", "the plot was bad"])
    >>> vocab.tokens[4:]
    ('the', 'was', 'bad', 'film', 'good', 'plot')
    >>> vocab.encode("the film was great", add_eos=True).tolist()
    [4, 7, 5, 1, 3]
    >>> vocab.decode([2, 4, 9, 5, 6, 3])
    'the plot was bad'
    """

    @classmethod
    def from_text(
        cls, text: str | Iterable[str], min_count: int = 1, max_size: int | None = None
    ) -> WordVocab:
        """Build the vocabulary of the words of ``text``, the most frequent first.

        Parameters
        ----------
        text : str or iterable of str
            The training text, or several texts (sentences, documents) taken together.
        min_count : int
            Leave out words seen fewer than ``min_count`` times (they will encode as ``<unk>``).
        max_size : int, optional
            Keep at most this many ordinary words (the most frequent), so that ``len(vocab)`` is
            at most ``max_size + 4``. ``None`` keeps all.

        Returns
        -------
        WordVocab
            Reserved tokens at ids 0-3, then the words by falling count, ties in code-point order.
        """
        from collections import Counter

        texts = [text] if isinstance(text, str) else list(text)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(
                    f"text must be a str or an iterable of str; item {i} is {type(t).__name__}"
                )
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0):
            raise ValueError(f"max_size must be None or an int >= 0, got {max_size!r}")
        counts = Counter(word for t in texts for word in t.split())
        for special in SPECIAL_TOKENS:  # "<unk>" written in a text is the unknown token, not a word
            counts.pop(special, None)
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(ranked if max_size is None else ranked[:max_size])

    def _check_token(self, tok: object) -> None:
        if not isinstance(tok, str) or tok == "" or len(tok.split()) != 1 or tok.split()[0] != tok:
            raise TypeError(f"every token of a WordVocab must be a non-empty str without white space, got {tok!r}")

    def split(self, text: str) -> list[str]:
        """The words of ``text``: the pieces between runs of white space."""
        return text.split()

    def join(self, tokens: Sequence[str]) -> str:
        """Words glued with single spaces."""
        return " ".join(tokens)


