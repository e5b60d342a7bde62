"""Tests for course_lib.data.datasets: the bundled, checksummed datasets and their loader."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import datasets
from course_lib.data.datasets import Dataset, available, bag_of_words_baseline, data_dir, load

NAMES = ["co2", "dates", "kjv", "names", "sentiment", "tagging"]
MANIFEST = json.loads((data_dir() / "MANIFEST.json").read_text(encoding="utf-8"))


def the_file(name: str) -> str:
    (filename,) = MANIFEST["datasets"][name]["files"]
    return filename


# --- the contract other code is written against ------------------------------------------------


def test_available_lists_exactly_the_six_datasets() -> None:
    assert available() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_loads_with_its_info(name: str) -> None:
    ds = load(name)
    assert isinstance(ds, Dataset) and ds.name == name
    for key in ("description", "source", "licence", "citation"):
        assert isinstance(ds.info[key], str), f"info[{key!r}] of {name} should be a str"
    for key in ("description", "source", "licence"):
        assert ds.info[key], f"info[{key!r}] of {name} is empty"
    sizes = (ds.info["n_train"], ds.info["n_val"], ds.info["n_test"])
    assert sizes == (len(ds.train), len(ds.val), len(ds.test))
    assert isinstance(ds.extras, dict)


def test_dataset_is_frozen() -> None:
    ds = load("co2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.train = None  # type: ignore[misc]


def test_changing_a_loaded_dataset_does_not_change_the_next_load() -> None:
    first = load("tagging")
    first.train[0][0].append("EXTRA")
    first.train.clear()
    first.extras["tags"].append("B-NOPE")
    first.info["licence"] = "changed"
    co2 = load("co2")
    co2.train[:] = 0.0
    co2.extras["values"][:] = 0.0
    again, co2_again = load("tagging"), load("co2")
    assert len(again.train) == 4000 and "EXTRA" not in again.train[0][0]
    assert "B-NOPE" not in again.extras["tags"] and again.info["licence"] != "changed"
    assert co2_again.train[0] > 300 and co2_again.extras["values"][0] > 300


# --- integrity: checksums, damaged, missing and unknown ----------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_file_matches_its_manifest_checksum_and_size(name: str) -> None:
    entry = MANIFEST["datasets"][name]
    for filename, meta in entry["files"].items():
        blob = (data_dir() / filename).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == meta["sha256"], f"{filename} does not match MANIFEST.json"
        assert len(blob) == meta["size"]
    for key in ("description", "source", "licence", "citation", "build_command"):
        assert key in entry, f"MANIFEST.json lacks {key!r} for {name}"


def test_bundled_files_are_small() -> None:
    total = sum(p.stat().st_size for p in data_dir().iterdir())
    assert total < 5 * 2**20, f"course_lib/data/files holds {total:,} bytes; keep it under 5 MiB"


def copy_of_files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    shutil.copytree(data_dir(), folder)
    return folder


def test_a_damaged_file_is_refused_with_both_checksums(tmp_path: Path) -> None:
    folder = copy_of_files(tmp_path)
    target = folder / the_file("names")
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    target.write_bytes(bytes(blob))
    with pytest.raises(ValueError) as info:
        load("names", data_dir=folder)
    message = str(info.value)
    assert str(target) in message and "'names'" in message
    assert MANIFEST["datasets"]["names"]["files"][the_file("names")]["sha256"] in message
    assert hashlib.sha256(bytes(blob)).hexdigest() in message
    assert "restore" in message


def test_an_intact_copy_loads_from_another_folder(tmp_path: Path) -> None:
    folder = copy_of_files(tmp_path)
    assert load("sentiment", data_dir=folder).train == load("sentiment").train


def test_a_missing_file_names_the_file_and_the_dataset(tmp_path: Path) -> None:
    folder = copy_of_files(tmp_path)
    (folder / the_file("dates")).unlink()
    with pytest.raises(FileNotFoundError, match=r"dates\.tsv\.gz.*'dates'"):
        load("dates", data_dir=folder)


def test_an_unknown_name_lists_the_known_ones() -> None:
    for error in (KeyError, ValueError):
        with pytest.raises(error) as info:
            load("imdb")
        assert "'imdb'" in str(info.value)
        assert all(name in str(info.value) for name in NAMES)


def test_a_name_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="name must be a str"):
        load(3)  # type: ignore[arg-type]


def test_the_loader_has_no_network_code() -> None:
    source = Path(datasets.__file__).read_text(encoding="utf-8")
    for word in ("urllib", "requests", "socket", "http"):
        assert word not in source, f"datasets.py mentions {word!r}; nothing may download at run time"


# --- kjv ---------------------------------------------------------------------------------------


def test_kjv_is_plain_text_split_by_position() -> None:
    ds = load("kjv")
    assert all(isinstance(part, str) for part in (ds.train, ds.val, ds.test))
    total = len(ds.train) + len(ds.val) + len(ds.test)
    assert 1_000_000 <= total <= 1_500_000
    assert len(ds.train) / total == pytest.approx(0.90, abs=0.005)
    assert len(ds.val) / total == pytest.approx(0.05, abs=0.005)
    assert ds.train.startswith("In the beginning God created the heaven and the earth.\n")
    assert ds.test.endswith("and the plague was stayed from Israel.\n")
    for part in (ds.train, ds.val):  # cut at line breaks, never inside a verse
        assert part.endswith("\n")
    for part in (ds.val, ds.test):
        assert part[0].isupper()
    whole = ds.train + ds.val + ds.test
    assert not re.search(r"\d", whole), "verse numbers should have been removed"
    assert set(whole) <= set("\n !'(),-.:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert ds.extras["books"][0] == "Genesis" and ds.extras["books"][-1] == "2 Samuel"


# --- names -------------------------------------------------------------------------------------


def test_names_are_stratified_and_disjoint() -> None:
    ds = load("names")
    labels = ds.extras["labels"]
    assert labels == sorted(labels) and 8 <= len(labels) <= 12
    assert 5000 <= len(ds.train) + len(ds.val) + len(ds.test) <= 12000
    sets = [{name for name, _ in part} for part in (ds.train, ds.val, ds.test)]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    per_split = [Counter(lang for _, lang in part) for part in (ds.train, ds.val, ds.test)]
    for lang in labels:
        n = [c[lang] for c in per_split]
        assert min(n) > 0, f"{lang} is missing from a split: {n}"
        assert n[0] / sum(n) == pytest.approx(0.8, abs=0.02), f"{lang} is not split 80/10/10: {n}"


def test_a_name_has_one_language_only() -> None:
    ds = load("names")
    language: dict[str, str] = {}
    for name, lang in ds.train + ds.val + ds.test:
        known = language.setdefault(name.casefold(), lang)
        assert known == lang, f"{name} is both {known} and {lang}"


# --- co2 ---------------------------------------------------------------------------------------


def test_co2_is_split_by_time_into_contiguous_parts() -> None:
    ds = load("co2")
    values, dates = ds.extras["values"], ds.extras["dates"]
    assert values.dtype == np.float64 and values.ndim == 1 and len(values) == len(dates)
    assert len(ds.train) + len(ds.val) + len(ds.test) == len(values)
    np.testing.assert_array_equal(np.concatenate([ds.train, ds.val, ds.test]), values)
    assert len(ds.train) / len(values) == pytest.approx(0.8, abs=0.03)
    assert len(ds.val) / len(values) == pytest.approx(0.1, abs=0.03)
    months = [dt.date(int(d[:4]), int(d[5:]), 1) for d in dates]
    steps = {(b.year - a.year) * 12 + b.month - a.month for a, b in zip(months, months[1:], strict=False)}
    assert steps == {1}, "the months must follow one another without gaps"
    n_train, n_val = len(ds.train), len(ds.val)
    assert dates[n_train - 1] < dates[n_train] == ds.extras["split_dates"]["val"]
    assert dates[n_train + n_val] == ds.extras["split_dates"]["test"]
    assert ds.extras["period"] == 12


def test_co2_values_are_plausible_and_few_are_filled_in() -> None:
    ds = load("co2")
    values = ds.extras["values"]
    assert np.all((values > 300) & (values < 400))
    assert ds.extras["dates"][0] == "1958-03" and ds.extras["dates"][-1] == "2001-12"
    assert ds.extras["interpolated"].dtype == bool and ds.extras["interpolated"].sum() == 5
    assert values[-12:].mean() - values[:12].mean() > 50  # the rise everyone knows


# --- sentiment ---------------------------------------------------------------------------------


def test_sentiment_is_balanced_sized_and_disjoint() -> None:
    ds = load("sentiment")
    assert ds.extras["labels"] == ["negative", "positive"]
    assert (len(ds.train), len(ds.val), len(ds.test)) == (6000, 1000, 1000)
    for part in (ds.train, ds.val, ds.test):
        counts = Counter(label for _, label in part)
        assert counts["negative"] == counts["positive"] == len(part) // 2
    sets = [{s for s, _ in part} for part in (ds.train, ds.val, ds.test)]
    assert sum(map(len, sets)) == len(set().union(*sets)) == 8000
    assert "GENERATED" in ds.info["description"]


def test_most_sentences_have_a_twin_with_the_same_words_and_the_other_label() -> None:
    ds = load("sentiment")
    labels_of_bag: dict[tuple[str, ...], set[str]] = {}
    for sentence, label in ds.train:
        labels_of_bag.setdefault(tuple(sorted(sentence.split())), set()).add(label)
    with_twin = sum(len(labels_of_bag[tuple(sorted(s.split()))]) == 2 for s, _ in ds.train)
    assert with_twin / len(ds.train) > 0.8


def test_a_bag_of_words_stays_near_chance_on_sentiment() -> None:
    ds = load("sentiment")
    accuracy = bag_of_words_baseline(ds.train, ds.test)
    assert 0.35 < accuracy < 0.65, f"bag-of-words accuracy {accuracy:.3f}: word order no longer matters"


def test_the_bag_of_words_baseline_learns_when_words_suffice() -> None:
    train = [("a fine good film", "positive"), ("a dull bad film", "negative")] * 20
    test = [("good film", "positive"), ("bad film", "negative")]
    assert bag_of_words_baseline(train, test) == 1.0
    with pytest.raises(ValueError, match="exactly 2 distinct labels"):
        bag_of_words_baseline([("x", "a"), ("y", "b"), ("z", "c")], test)
    with pytest.raises(ValueError, match="train lacks"):
        bag_of_words_baseline(train, [("x", "neutral")])


# --- tagging -----------------------------------------------------------------------------------


def bio_error(tags: list[str]) -> str | None:
    """None if ``tags`` is valid BIO, otherwise what is wrong."""
    previous = "O"
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return f"{tag} at position {i} follows {previous}"
        if tag != "O" and not re.fullmatch(r"[BI]-(PER|ORG|LOC|DATE)", tag):
            return f"unknown tag {tag} at position {i}"
        previous = tag
    return None


def test_tagging_has_one_valid_bio_tag_per_token() -> None:
    ds = load("tagging")
    assert (len(ds.train), len(ds.val), len(ds.test)) == (4000, 500, 500)
    assert ds.extras["tags"] == sorted(f"{p}-{t}" for p in "BI" for t in ("DATE", "LOC", "ORG", "PER")) + ["O"]
    for tokens, tags in ds.train + ds.val + ds.test:
        assert len(tokens) == len(tags), f"{tokens} has {len(tokens)} tokens but {len(tags)} tags"
        assert all(tok and " " not in tok for tok in tokens)
        assert bio_error(tags) is None, f"{bio_error(tags)} in {list(zip(tokens, tags, strict=True))}"


def test_tagging_splits_are_disjoint() -> None:
    ds = load("tagging")
    sets = [{" ".join(tokens) for tokens, _ in part} for part in (ds.train, ds.val, ds.test)]
    assert sum(map(len, sets)) == len(set().union(*sets)) == 5000


# --- dates -------------------------------------------------------------------------------------


def test_dates_targets_are_real_iso_dates_in_range() -> None:
    ds = load("dates")
    assert (len(ds.train), len(ds.val), len(ds.test)) == (20000, 1000, 1000)
    for source, target in ds.train + ds.val + ds.test:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", target), f"{target!r} is not YYYY-MM-DD"
        day = dt.date.fromisoformat(target)
        assert day.isoformat() == target and 1950 <= day.year <= 2049
        assert source and "\t" not in source


def test_dates_sources_are_unique_across_splits_and_varied() -> None:
    ds = load("dates")
    sets = [{s for s, _ in part} for part in (ds.train, ds.val, ds.test)]
    assert sum(map(len, sets)) == len(set().union(*sets)) == 22000
    sources = [s for s, _ in ds.test]
    assert any("March" in s for s in sources) and any("mars" in s for s in sources)
    assert any(re.fullmatch(r"\d\d\.\d\d\.\d\d(\d\d)?", s) for s in sources)
