"""The course's datasets: small, bundled with the package, checked, and loaded with NumPy alone.

>>> from course_lib.data.datasets import available, load
>>> available()
['co2', 'dates', 'kjv', 'names', 'sentiment', 'tagging']
>>> ds = load("names")
>>> ds.train[0], ds.extras["labels"][:3]   # doctest: +SKIP
(('Westlund', 'Swedish'), ['Czech', 'Dutch', 'English'])

Every dataset is one gzip file in ``course_lib/data/files``; ``MANIFEST.json`` beside them records
each file's sha256, size, source, licence and how it was built (``scripts/build_datasets.py``).
:func:`load` checks the sha256 of every file before reading it, so a damaged or edited file is
never used by mistake. Nothing is downloaded, ever.

* ``kjv``: character-level language modelling on the King James Bible; ``train``, ``val``,
  ``test`` are ``str``, cut by position 90/5/5.
* ``names``: surname -> language (many-to-one); ``list[tuple[str, str]]`` of (name, language).
* ``co2``: Mauna Loa CO2 in ppm, monthly (forecasting); ``numpy.ndarray`` float64, cut by time.
* ``sentiment``: sentence -> negative/positive where word order decides; ``list[tuple[str, str]]``
  of (sentence, label).
* ``tagging``: token -> BIO entity tag (many-to-many, aligned); ``list[tuple[list[str], list[str]]]``
  of (tokens, tags).
* ``dates``: written date -> ISO date (sequence to sequence); ``list[tuple[str, str]]`` of
  (source, target).

Where the data come from, their licences and how each file was made: ``course_lib/data/README.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Dataset", "UnknownDatasetError", "available", "bag_of_words_baseline", "data_dir", "load"]

_FILES = Path(__file__).resolve().parent / "files"
_MANIFEST = "MANIFEST.json"
_RESTORE = (
    "restore it from the repository (git checkout -- course_lib/data/files) or reinstall course_lib; "
    "a maintainer can rebuild every file with scripts/build_datasets.py"
)

# Where the splits of the two position-split datasets fall (the others store a split per row).
KJV_FRACTIONS = (0.90, 0.05, 0.05)  # train, val, test; each cut moves forward to the next "\n"
CO2_VAL_START, CO2_TEST_START = "1994-01", "1998-01"  # train < 1994 <= val < 1998 <= test
CO2_PERIOD = 12  # months in a seasonal cycle


@dataclass(frozen=True, eq=False)  # eq=False: splits may be arrays, compare them yourself
class Dataset:
    """One dataset, split three ways.

    Attributes
    ----------
    name : str
        The name given to :func:`load`.
    train, val, test : str, list or numpy.ndarray
        The splits; their type depends on the dataset (see the module docstring). Every call to
        :func:`load` returns fresh copies, so changing them changes nothing for the next caller.
    info : dict
        ``description``, ``source``, ``licence``, ``citation`` (``""`` if none), ``n_train``,
        ``n_val``, ``n_test`` (characters for ``kjv``, months for ``co2``, examples otherwise).
    extras : dict
        What else a dataset offers, e.g. ``labels`` (sorted class names) for ``names`` and
        ``sentiment``, ``tags`` for ``tagging``, the whole series for ``co2``.
    """

    name: str
    train: Any
    val: Any
    test: Any
    info: dict = field(repr=False)
    extras: dict = field(repr=False)

    def __repr__(self) -> str:
        n = self.info
        return f"Dataset({self.name!r}, n_train={n['n_train']}, n_val={n['n_val']}, n_test={n['n_test']})"


class UnknownDatasetError(KeyError, ValueError):
    """Raised for a name that is not a dataset; both ``KeyError`` and ``ValueError`` catch it."""

    def __str__(self) -> str:  # KeyError would print the message inside quotes
        return str(self.args[0])


def data_dir() -> Path:
    """The folder that holds the bundled files and ``MANIFEST.json``."""
    return _FILES


@lru_cache(maxsize=1)
def _manifest() -> dict:
    path = _FILES / _MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"the dataset manifest {path} is missing; {_RESTORE}")
    return json.loads(path.read_text(encoding="utf-8"))


def available() -> list[str]:
    """The names that :func:`load` accepts, sorted.

    Returns
    -------
    list of str
        ``["co2", "dates", "kjv", "names", "sentiment", "tagging"]``.
    """
    return sorted(_manifest()["datasets"])


def load(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load a bundled dataset, after checking the sha256 of its file.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    data_dir : str or Path, optional
        Read the data file from this folder instead of the package's ``files`` folder. The
        expected checksums always come from the package's own ``MANIFEST.json``, so a copy that
        differs from the released file is refused. Used by the tests; you will rarely need it.

    Returns
    -------
    Dataset
        Fresh copies of the splits, ``info`` and ``extras`` (parsing is cached per process).

    Raises
    ------
    UnknownDatasetError
        (a ``KeyError`` and a ``ValueError``) if ``name`` is not a dataset; lists the known names.
    FileNotFoundError
        If the data file is missing; names the file and the dataset.
    ValueError
        If the file's sha256 differs from the manifest's; names the file and both checksums.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {available()}, got {type(name).__name__} {name!r}")
    if name not in _manifest()["datasets"]:
        raise UnknownDatasetError(f"unknown dataset {name!r}; the known datasets are {available()}")
    folder = _FILES if data_dir is None else Path(data_dir)
    return _fresh_copy(_load_cached(name, str(folder.resolve())))


def _copy_value(value: Any) -> Any:
    """A copy deep enough that changing it cannot reach the cache (strings are immutable)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    if isinstance(value, tuple) and any(isinstance(v, (list, dict, np.ndarray)) for v in value):
        return tuple(_copy_value(v) for v in value)
    return value  # str, int, float, and tuples of them


def _fresh_copy(ds: Dataset) -> Dataset:
    splits = []
    for part in (ds.train, ds.val, ds.test):
        if isinstance(part, list):  # of tuples of str, or of (list of str, list of str)
            splits.append([tuple(list(v) if isinstance(v, list) else v for v in item) for item in part])
        else:
            splits.append(_copy_value(part))
    return Dataset(ds.name, *splits, info=_copy_value(ds.info), extras=_copy_value(ds.extras))


@lru_cache(maxsize=32)
def _load_cached(name: str, folder: str) -> Dataset:
    entry = _manifest()["datasets"][name]
    (filename,) = entry["files"]
    text = _read_verified(name, Path(folder) / filename, entry["files"][filename]["sha256"])
    train, val, test, extras = _PARSERS[name](text, entry)
    sizes = [len(part) for part in (train, val, test)]
    info = {key: entry[key] for key in ("description", "source", "licence", "citation")}
    info.update(n_train=sizes[0], n_val=sizes[1], n_test=sizes[2])
    return Dataset(name=name, train=train, val=val, test=test, info=info, extras=extras)


def _read_verified(name: str, path: Path, expected: str) -> str:
    """The file's text, after its sha256 has been compared with the manifest's."""
    if not path.is_file():
        raise FileNotFoundError(f"the file {path} of dataset {name!r} is missing; {_RESTORE}")
    blob = path.read_bytes()
    actual = hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise ValueError(
            f"the file {path} of dataset {name!r} is damaged or was changed: its sha256 is {actual}, "
            f"the manifest expects {expected}; {_RESTORE}"
        )
    return gzip.decompress(blob).decode("utf-8")


# --- one parser per dataset: text of the file -> (train, val, test, extras) -------------------


def _rows(text: str, n_fields: int) -> list[list[str]]:
    rows = [line.split("\t") for line in text.splitlines()[1:]]  # the first line is a header
    assert all(len(r) == n_fields for r in rows), "malformed row in a dataset file"
    return rows


def _by_split(items: list[tuple[str, Any]]) -> tuple[list, list, list]:
    """Group (split, example) pairs into the train, val and test lists, keeping file order."""
    out: dict[str, list] = {"train": [], "val": [], "test": []}
    for split, example in items:
        out[split].append(example)
    return out["train"], out["val"], out["test"]


def _parse_kjv(text: str, entry: dict) -> tuple:
    cuts = []
    for fraction in (KJV_FRACTIONS[0], KJV_FRACTIONS[0] + KJV_FRACTIONS[1]):
        cut = text.index("\n", int(fraction * len(text))) + 1
        while text[cut] == "\n":  # a blank line (chapter break) stays with the part before
            cut += 1
        cuts.append(cut)
    extras = {"books": list(entry["books"])}
    return text[: cuts[0]], text[cuts[0] : cuts[1]], text[cuts[1] :], extras


def _parse_names(text: str, entry: dict) -> tuple:
    rows = _rows(text, 3)
    train, val, test = _by_split([(s, (name, lang)) for s, name, lang in rows])
    return train, val, test, {"labels": sorted({lang for _, _, lang in rows})}


def _parse_co2(text: str, entry: dict) -> tuple:
    rows = [line.split(",") for line in text.splitlines()[1:]]
    dates = [r[0] for r in rows]
    values = np.array([float(r[1]) for r in rows], dtype=np.float64)
    val_at, test_at = dates.index(CO2_VAL_START), dates.index(CO2_TEST_START)
    extras = {
        "values": values.copy(),
        "dates": dates,
        "period": CO2_PERIOD,
        "interpolated": np.array([r[2] == "1" for r in rows]),
        "split_dates": {"val": CO2_VAL_START, "test": CO2_TEST_START},
    }
    return values[:val_at].copy(), values[val_at:test_at].copy(), values[test_at:].copy(), extras


def _parse_sentiment(text: str, entry: dict) -> tuple:
    rows = _rows(text, 3)
    train, val, test = _by_split([(s, (sentence, label)) for s, label, sentence in rows])
    return train, val, test, {"labels": sorted({label for _, label, _ in rows})}


def _parse_tagging(text: str, entry: dict) -> tuple:
    rows = _rows(text, 3)
    train, val, test = _by_split([(s, (toks.split(" "), tags.split(" "))) for s, toks, tags in rows])
    return train, val, test, {"tags": sorted({t for _, _, tags in rows for t in tags.split(" ")})}


def _parse_dates(text: str, entry: dict) -> tuple:
    rows = _rows(text, 3)
    train, val, test = _by_split([(s, (source, target)) for s, source, target in rows])
    return train, val, test, {"locales": list(entry["locales"]), "formats": list(entry["formats"])}


_PARSERS = {
    "co2": _parse_co2,
    "dates": _parse_dates,
    "kjv": _parse_kjv,
    "names": _parse_names,
    "sentiment": _parse_sentiment,
    "tagging": _parse_tagging,
}


# --- a baseline that ignores word order ---------------------------------------------------------


def bag_of_words_baseline(
    train: list[tuple[str, str]], test: list[tuple[str, str]], steps: int = 300, lr: float = 0.5
) -> float:
    """Test accuracy of a logistic regression on word counts: a model that cannot see word order.

    Each sentence becomes a vector of word counts (words split on white space; words never seen in
    training are ignored). A binary logistic regression ``p(y=1 | x) = sigmoid(x @ w + b)`` is fitted
    to the training set by full-batch gradient descent on the mean cross-entropy, from zero weights
    (so the result is the same on every run). It is meant for the ``sentiment`` dataset: if this
    scores near 0.5, the labels depend on the order of the words, not on which words occur.

    Parameters
    ----------
    train : list of (str, str)
        (sentence, label) pairs with exactly two distinct labels; the later one in sorted order is
        class 1.
    test : list of (str, str)
        (sentence, label) pairs to score, with labels among those of ``train``.
    steps : int
        Gradient-descent steps.
    lr : float
        Step size.

    Returns
    -------
    float
        The fraction of ``test`` classified correctly, in [0, 1].
    """
    labels = sorted({label for _, label in train})
    if len(labels) != 2:
        raise ValueError(f"train must have exactly 2 distinct labels, got {len(labels)}: {labels}")
    unknown = {label for _, label in test} - set(labels)
    if unknown:
        raise ValueError(f"test has labels {sorted(unknown)} that train lacks; train has {labels}")
    if steps < 1 or lr <= 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got steps={steps}, lr={lr}")
    words = sorted({w for sentence, _ in train for w in sentence.split()})
    column = {w: j for j, w in enumerate(words)}

    def featurize(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # The count matrix X (N, V) is kept sparse, as one (row, column) entry per known word.
        rows, cols = [], []
        for i, (sentence, _) in enumerate(pairs):
            for w in sentence.split():
                if w in column:
                    rows.append(i)
                    cols.append(column[w])
        y = np.array([float(label == labels[1]) for _, label in pairs])  # (N,)
        return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), y

    def logits(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:  # X @ w + b, shape (n,)
        return np.bincount(rows, weights=w[cols], minlength=n) + b

    train_rows, train_cols, y_train = featurize(train)
    test_rows, test_cols, y_test = featurize(test)
    w, b = np.zeros(len(words)), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-logits(train_rows, train_cols, len(train))))
        err = p - y_train  # (N,) gradient of the mean cross-entropy w.r.t. the logits, times N
        w -= lr * np.bincount(train_cols, weights=err[train_rows], minlength=len(words)) / len(train)
        b -= lr * float(err.mean())
    predicted = logits(test_rows, test_cols, len(test)) > 0
    return float(np.mean(predicted == (y_test == 1.0)))
