"""Data for the course: bundled datasets and the utilities that turn raw sequences into what a
recurrent network reads.

* :mod:`course_lib.data.datasets` -- six small datasets shipped inside the package, checksummed,
  loaded offline: ``load(name)``, ``available()``;
* :mod:`course_lib.data.windows` -- sliding (input, target) windows over a time series, and
  train/validation/test splits in time order;
* :mod:`course_lib.data.vocab` -- vocabularies of characters or words that map text to integer ids
  and back, with the reserved tokens ``<pad>`` = 0, ``<unk>`` = 1, ``<bos>`` = 2, ``<eos>`` = 3;
* :mod:`course_lib.data.batching` -- padding with lengths, shuffled batches, bucketing by length.

Nothing here imports torch.
"""

from course_lib.data.batching import bucket_by_length, pad_sequences, padding_fraction, random_batches
from course_lib.data.datasets import Dataset, UnknownDatasetError, available, bag_of_words_baseline, load
from course_lib.data.vocab import BOS, EOS, PAD, SPECIAL_TOKENS, UNK, CharVocab, Vocab, WordVocab
from course_lib.data.windows import TimeSplit, make_windows, n_windows, split_by_time

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIAL_TOKENS",
    "UNK",
    "CharVocab",
    "Dataset",
    "TimeSplit",
    "UnknownDatasetError",
    "Vocab",
    "WordVocab",
    "available",
    "bag_of_words_baseline",
    "bucket_by_length",
    "load",
    "make_windows",
    "n_windows",
    "pad_sequences",
    "padding_fraction",
    "random_batches",
    "split_by_time",
]
