"""Timing helpers shared by the benchmarks in this folder.

The benchmarks run on shared, noisy machines, so every figure they print is a ratio to a baseline
timed in the same process and in the same rounds. :func:`time_round_robin` times the candidates
in turn (one call each per round, the starting candidate rotating from round to round), so a burst
of load from another process slows all of them rather than one. :func:`summarize` reduces the
samples to a median and an interquartile range, which a few slow outliers barely move.

Only the standard library is imported at module level: :func:`set_thread_env` has to run before
NumPy and torch load their BLAS and OpenMP libraries.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def set_thread_env(threads: int) -> None:
    """Ask the BLAS and OpenMP libraries loaded *after* this call to use ``threads`` threads.

    NumPy's OpenBLAS reads ``OPENBLAS_NUM_THREADS`` once, when NumPy is first imported; there is
    no call to change it later without extra packages. So call this before importing NumPy or
    torch, then call ``torch.set_num_threads(threads)`` as well.

    Parameters
    ----------
    threads : int
        Threads per library, at least 1.
    """
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    already = sorted({"numpy", "torch"} & set(sys.modules))
    if already:
        raise RuntimeError(f"set_thread_env must run before importing {already}; they are loaded")
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, object]:
    """Versions, CPU and thread settings worth printing next to any timing.

    Imports NumPy and torch, so call it after :func:`set_thread_env`.

    Returns
    -------
    dict
        JSON-serialisable description of the machine and libraries.
    """
    import numpy as np
    import torch

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    env: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "numpy": np.__version__,
        "numpy_blas": f"{blas.get('name')} {blas.get('version')}",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "thread_env": {var: os.environ.get(var) for var in THREAD_ENV_VARS},
        "cuda_available": torch.cuda.is_available(),
        "torch_cuda_build": torch.version.cuda,
    }
    if env["cuda_available"]:
        env["gpu"] = torch.cuda.get_device_name()
        env["cudnn"] = torch.backends.cudnn.version()
    return env


def format_environment(env: Mapping[str, object]) -> str:
    """The dictionary of :func:`environment` as a few readable lines."""
    threads = ", ".join(f"{k}={v or 'unset'}" for k, v in env["thread_env"].items())  # type: ignore[union-attr]
    lines = [
        f"python {env['python']} on {env['platform']}",
        f"CPU: {env['cpu']}; {env['usable_cpus']} usable of {env['cpu_count']} cores; "
        f"load average {env['load_average']}",
        f"numpy {env['numpy']} (BLAS: {env['numpy_blas']}); torch {env['torch']} "
        f"(threads {env['torch_threads']}, inter-op {env['torch_interop_threads']})",
        f"thread variables: {threads}",
    ]
    if env.get("gpu"):
        lines.append(f"GPU: {env['gpu']}, CUDA {env['torch_cuda_build']}, cuDNN {env['cudnn']}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Summary:
    """Median and quartiles of repeated timings, in seconds."""

    median: float
    q1: float
    q3: float
    minimum: float
    n: int

    @property
    def iqr(self) -> float:
        """Interquartile range ``q3 - q1``: the spread of the middle half of the runs."""
        return self.q3 - self.q1


def summarize(samples: Sequence[float]) -> Summary:
    """Median, quartiles and minimum of at least two timings.

    Parameters
    ----------
    samples : sequence of float, length n >= 2
        Durations in seconds.

    Returns
    -------
    Summary
    """
    if len(samples) < 2:
        raise ValueError(f"samples must hold at least 2 timings, got {len(samples)}")
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return Summary(median=median, q1=q1, q3=q3, minimum=min(samples), n=len(samples))


def time_round_robin(
    candidates: Mapping[str, Callable[[], object]],
    repeats: int,
    warmup: int = 3,
    sync: Callable[[], object] | None = None,
    pause: float = 0.0,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Time each candidate ``repeats`` times, interleaved, after ``warmup`` untimed calls each.

    Round r calls the candidates in their order rotated by r, one call each, so each candidate
    runs equally often first, right after the others, and during whatever else the machine was
    doing in that round. The garbage collector is paused while timing.

    Interleaving libraries that keep their own thread pools has a trap: after a parallel call,
    OpenBLAS's worker threads keep spinning on their cores for about 0.1 s, and OpenMP's for a
    while too, so the next candidate, from another library, finds its cores busy. ``pause``
    sleeps (off the clock) before every timed call so that those threads have gone to sleep.

    Parameters
    ----------
    candidates : mapping of str to callable
        Name -> function of no arguments doing the work once.
    repeats : int
        Timed calls per candidate, at least 1.
    warmup : int
        Untimed calls per candidate first (caches, allocators, lazy initialisation).
    sync : callable, optional
        Called right before starting and right before stopping the clock, e.g.
        ``torch.cuda.synchronize`` so that queued GPU work is counted.
    pause : float
        Seconds slept before each timed call, not counted (0.1 to 0.2 is enough for OpenBLAS).
    clock : callable returning seconds
        ``time.perf_counter`` (wall-clock time, the default) or ``time.thread_time`` (CPU time of
        the calling thread: it leaves out the time the thread waited for a core, which makes it
        steadier on a loaded machine, but it is only the whole cost when the work runs on that
        one thread, that is with one BLAS and one torch thread).

    Returns
    -------
    dict of str to list of float
        Name -> the ``repeats`` durations in seconds, in the order measured.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be at least 0, got {warmup}")
    if pause < 0:
        raise ValueError(f"pause must be at least 0 seconds, got {pause}")
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    if sync is not None:
        sync()
    times: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                fn = candidates[name]
                if pause:
                    time.sleep(pause)
                if sync is not None:
                    sync()
                start = clock()
                fn()
                if sync is not None:
                    sync()
                times[name].append(clock() - start)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def paired_ratios(times: Mapping[str, Sequence[float]], baseline: str) -> dict[str, list[float]]:
    """Per-round ratio ``time / baseline time`` of every candidate (the baseline's are all 1).

    Rounds of :func:`time_round_robin` are close in time, so these ratios cancel much of the
    machine's drift; their quartiles show how stable a ratio is.
    """
    if baseline not in times:
        raise KeyError(f"baseline must be one of {sorted(times)}, got {baseline!r}")
    base = times[baseline]
    return {name: [t / b for t, b in zip(ts, base, strict=True)] for name, ts in times.items()}


def report(times: Mapping[str, Sequence[float]], baseline: str) -> tuple[str, dict[str, dict]]:
    """A table of medians, IQRs and ratios to ``baseline``, plus the same figures as a dict.

    Parameters
    ----------
    times : mapping of str to sequence of float
        Output of :func:`time_round_robin`.
    baseline : str
        The candidate the ratios are taken to.

    Returns
    -------
    table : str
        One line per candidate, baseline first, then fastest to slowest.
    results : dict
        Name -> ``median_s``, ``q1_s``, ``q3_s``, ``iqr_s``, ``min_s``, ``ratio`` (median / the
        baseline's median), ``ratio_median``, ``ratio_q1``, ``ratio_q3`` (median and quartiles
        of the per-round ratios) and ``samples_s``.
    """
    summaries = {name: summarize(ts) for name, ts in times.items()}
    ratios = {name: summarize(rs) for name, rs in paired_ratios(times, baseline).items()}
    base = summaries[baseline].median
    others = sorted((n for n in times if n != baseline), key=lambda n: summaries[n].median)
    order = [baseline, *others]
    width = max(len(n) for n in order)
    header = f"{'median':>9}  {'IQR (q1 .. q3)':>19}  {'ratio':>6}  per-round ratio median (q1 .. q3)"
    lines = [f"  {'':{width}}  {header}"]
    results: dict[str, dict] = {}
    for name in order:
        s, r = summaries[name], ratios[name]
        ms = 1e3
        lines.append(
            f"  {name:{width}}  {s.median * ms:7.2f}ms  {s.q1 * ms:7.2f} .. {s.q3 * ms:7.2f}ms  "
            f"{s.median / base:6.2f}  {r.median:.2f} ({r.q1:.2f} .. {r.q3:.2f})"
        )
        results[name] = {
            "median_s": s.median,
            "q1_s": s.q1,
            "q3_s": s.q3,
            "iqr_s": s.iqr,
            "min_s": s.minimum,
            "ratio": s.median / base,
            "ratio_median": r.median,
            "ratio_q1": r.q1,
            "ratio_q3": r.q3,
            "samples_s": list(times[name]),
        }
    return "\n".join(lines), results
