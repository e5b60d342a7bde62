"""Forward + backward time of the course's vanilla RNNs, relative to ``torch.nn.RNN``.

The same as ``python benchmarks/bench_recurrent.py --kind rnn`` (the options are those of
``bench_recurrent.py`` without ``--kind``): ``course_lib.nn_numpy.RNN``, ``course_lib.nn_torch.RNN``
(fast path, and the readable path as an extra row) and ``torch.nn.RNN`` on the CPU, with the same
weights, agreement checked before timing, interleaved rounds, medians and ratios; plus the GPU
comparison where CUDA is available.

Usage::

    python benchmarks/bench_rnn.py                      # T=100 N=64 D=128 H=256, 20 repeats
    python benchmarks/bench_rnn.py --threads 1 --json /tmp/bench_rnn.json

See ``benchmarks/README.md`` for what the numbers mean and the recorded results.
"""

from __future__ import annotations

from bench_recurrent import main

if __name__ == "__main__":
    main(kind="rnn")
