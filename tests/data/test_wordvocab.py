"""Tests for course_lib.data.vocab.WordVocab: one token per word."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.data.vocab import SPECIAL_TOKENS, Vocab, WordVocab

TEXTS = ["the film was good", "the plot was bad", "the film was not bad"]


@pytest.fixture
def vocab() -> WordVocab:
    return WordVocab.from_text(TEXTS)


def test_words_follow_the_reserved_tokens_most_frequent_first(vocab: WordVocab) -> None:
    # counts: the 3, was 3, bad 2, film 2, good 1, not 1, plot 1; ties in code-point order
    assert vocab.tokens == (*SPECIAL_TOKENS, "the", "was", "bad", "film", "good", "not", "plot")
    assert isinstance(vocab, Vocab) and len(vocab) == 11


def test_encode_and_decode_by_hand(vocab: WordVocab) -> None:
    assert vocab.encode("the film was great", add_bos=True, add_eos=True).tolist() == [2, 4, 7, 5, 1, 3]
    assert vocab.decode([2, 4, 10, 5, 6, 3, 0, 0]) == "the plot was bad"
    assert vocab.decode([4, 1, 6]) == "the <unk> bad"


def test_round_trip_normalises_white_space(vocab: WordVocab) -> None:
    assert vocab.decode(vocab.encode("  the film\twas\n not good ")) == "the film was not good"


@given(st.lists(st.sampled_from(["the", "film", "was", "good", "bad", "not", "plot"]), max_size=20))
def test_known_words_round_trip(words: list[str]) -> None:
    vocab = WordVocab.from_text(TEXTS)
    text = " ".join(words)
    assert vocab.decode(vocab.encode(text)) == text


def test_rebuilding_from_tokens_gives_an_equal_vocabulary(vocab: WordVocab) -> None:
    assert WordVocab(vocab.tokens[4:]) == vocab


def test_min_count_and_max_size(vocab: WordVocab) -> None:
    assert WordVocab.from_text(TEXTS, min_count=2).tokens[4:] == ("the", "was", "bad", "film")
    assert WordVocab.from_text(TEXTS, max_size=2).tokens[4:] == ("the", "was")
    assert WordVocab.from_text(TEXTS, max_size=0).tokens == SPECIAL_TOKENS


def test_reserved_tokens_in_the_text_are_not_words() -> None:
    assert WordVocab.from_text("<unk> the <pad>").tokens[4:] == ("the",)


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(TypeError, match="without white space"):
        WordVocab(["two words"])
    with pytest.raises(ValueError, match="reserved"):
        WordVocab(["<eos>"])
    with pytest.raises(TypeError, match="item 1 is int"):
        WordVocab.from_text(["fine", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="min_count must be an int >= 1, got 0"):
        WordVocab.from_text(TEXTS, min_count=0)
    with pytest.raises(ValueError, match="max_size must be None or an int >= 0, got -1"):
        WordVocab.from_text(TEXTS, max_size=-1)


def test_works_on_the_sentiment_dataset() -> None:
    from course_lib.data.datasets import load

    ds = load("sentiment")
    vocab = WordVocab.from_text(s for s, _ in ds.train)
    sentence = ds.test[0][0]
    assert vocab.decode(vocab.encode(sentence)) == sentence
