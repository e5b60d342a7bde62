"""Tests for course_lib.data.vocab: the Vocab base class and CharVocab."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.data.vocab import BOS, EOS, PAD, SPECIAL_TOKENS, UNK, CharVocab, Vocab


@pytest.fixture
def vocab() -> CharVocab:
    return CharVocab.from_text("hello world")


# --- construction and lookups ------------------------------------------------------------------


def test_reserved_tokens_have_fixed_ids(vocab: CharVocab) -> None:
    assert SPECIAL_TOKENS == (PAD, UNK, BOS, EOS) == ("<pad>", "<unk>", "<bos>", "<eos>")
    assert [vocab.index(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3]
    assert (vocab.PAD_ID, vocab.UNK_ID, vocab.BOS_ID, vocab.EOS_ID) == (0, 1, 2, 3)


def test_characters_are_sorted_after_the_reserved_tokens(vocab: CharVocab) -> None:
    # distinct characters of "hello world", sorted by code point: ' ' < 'd' < 'e' < ...
    assert vocab.tokens == (*SPECIAL_TOKENS, " ", "d", "e", "h", "l", "o", "r", "w")
    assert len(vocab) == 12
    assert vocab.index("h") == 7 and vocab.token(7) == "h"


def test_same_characters_in_any_order_give_the_same_vocabulary() -> None:
    assert CharVocab.from_text("cab") == CharVocab.from_text(["b", "ca", "a"])
    assert CharVocab.from_text("abc") != CharVocab.from_text("abd")


def test_rebuilding_from_tokens_gives_an_equal_vocabulary(vocab: CharVocab) -> None:
    assert CharVocab(vocab.tokens[4:]) == vocab
    assert hash(CharVocab(vocab.tokens[4:])) == hash(vocab)


def test_contains(vocab: CharVocab) -> None:
    assert "h" in vocab and "<pad>" in vocab
    assert "z" not in vocab and "he" not in vocab and 4 not in vocab


def test_unknown_token_looks_up_as_unk(vocab: CharVocab) -> None:
    assert vocab.index("z") == 1


def test_empty_text_gives_only_the_reserved_tokens() -> None:
    vocab = CharVocab.from_text("")
    assert len(vocab) == 4
    assert vocab.encode("ab").tolist() == [1, 1]


def test_repr_names_the_size(vocab: CharVocab) -> None:
    assert repr(vocab).startswith("CharVocab(size=12, tokens=[' ', 'd'")


# --- encode / decode ---------------------------------------------------------------------------


def test_encode_by_hand(vocab: CharVocab) -> None:
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and ids.shape == (5,)
    assert ids.tolist() == [7, 6, 8, 8, 9]


def test_encode_adds_markers(vocab: CharVocab) -> None:
    assert vocab.encode("he", add_bos=True).tolist() == [2, 7, 6]
    assert vocab.encode("he", add_eos=True).tolist() == [7, 6, 3]
    assert vocab.encode("", add_bos=True, add_eos=True).tolist() == [2, 3]
    assert vocab.encode("").shape == (0,)


def test_unknown_characters_encode_as_unk_and_show_in_decode(vocab: CharVocab) -> None:
    ids = vocab.encode("hex!")
    assert ids.tolist() == [7, 6, 1, 1]
    assert vocab.decode(ids) == "he<unk><unk>"


def test_decode_skips_structure_markers_unless_asked(vocab: CharVocab) -> None:
    ids = [2, 7, 6, 3, 0, 0]
    assert vocab.decode(ids) == "he"
    assert vocab.decode(ids, skip_special=False) == "<bos>he<eos><pad><pad>"
    assert vocab.decode(np.array(ids, dtype=np.int32)) == "he"
    assert vocab.decode([]) == ""


@given(st.text(max_size=200))
def test_round_trip_of_any_text(text: str) -> None:
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text, add_bos=True, add_eos=True)
    assert ids.dtype == np.int64 and len(ids) == len(text) + 2
    assert vocab.decode(ids) == text
    assert all(vocab.token(int(i)) == c for i, c in zip(ids[1:-1], text, strict=True))


@given(st.text(max_size=50), st.text(max_size=50))
def test_known_characters_survive_and_others_become_unk(train: str, text: str) -> None:
    vocab = CharVocab.from_text(train)
    decoded = vocab.decode(vocab.encode(text))
    assert decoded == "".join(c if c in train else UNK for c in text)


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [12, 99, -1])
def test_decode_names_an_out_of_range_id(vocab: CharVocab, bad_id: int) -> None:
    with pytest.raises(ValueError, match=rf"ids contains id {bad_id}, out of range.*0 \.\. 11"):
        vocab.decode([4, bad_id, 5])


def test_decode_refuses_floats_and_batches(vocab: CharVocab) -> None:
    with pytest.raises(TypeError, match="ids must be a 1-D sequence of ints.*float64"):
        vocab.decode(np.array([4.0, 5.0]))
    with pytest.raises(TypeError, match=r"ids must be a 1-D sequence of ints.*\(2, 2\)"):
        vocab.decode(np.array([[4, 5], [6, 7]]))


def test_token_checks_its_id(vocab: CharVocab) -> None:
    with pytest.raises(ValueError, match=r"token_id 12 is out of range.*0 \.\. 11"):
        vocab.token(12)
    with pytest.raises(ValueError, match="token_id -1 is out of range"):
        vocab.token(-1)
    with pytest.raises(TypeError, match="token_id must be an int, got str"):
        vocab.token("a")  # type: ignore[arg-type]


def test_index_and_encode_want_str(vocab: CharVocab) -> None:
    with pytest.raises(TypeError, match="token must be a str, got int"):
        vocab.index(4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be a str, got list"):
        vocab.encode(["h", "e"])  # type: ignore[arg-type]


def test_from_text_wants_strings() -> None:
    with pytest.raises(TypeError, match="text must be a str or an iterable of str; item 1 is int"):
        CharVocab.from_text(["ab", 3])  # type: ignore[list-item]


def test_constructor_refuses_bad_tokens() -> None:
    with pytest.raises(TypeError, match="single character, got 'ab'"):
        CharVocab(["a", "ab"])
    with pytest.raises(ValueError, match="'a' is listed twice"):
        CharVocab(["a", "b", "a"])
    with pytest.raises(TypeError, match="tokens must be an iterable of tokens.*single str"):
        CharVocab("abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'<unk>' is a reserved token"):
        Vocab(["word", "<unk>"])
    with pytest.raises(TypeError, match="every token must be a non-empty str, got ''"):
        Vocab([""])


def test_base_class_leaves_splitting_to_subclasses() -> None:
    with pytest.raises(NotImplementedError):
        Vocab(["word"]).encode("word")
