"""Checks that tell a student *what* is wrong, for the assignments' visible tests.

Every check raises :class:`GradingError` (an ``AssertionError``, so nbgrader counts it as a failed
test) with a message that names the output, says what was expected and what came, and, where it
can, which term of the computation is at fault. The reference values come from the same
``course_lib`` code the book teaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from course_lib.gradcheck import rel_error

__all__ = ["GradingError", "check_array", "check_outputs", "locate_rnn_step_error"]


class GradingError(AssertionError):
    """A failed check, with a message meant for the student."""


def check_array(name: str, got: object, expected: np.ndarray, tol: float = 1e-7) -> None:
    """Check one output: type, shape, finiteness, then relative error below ``tol``.

    Parameters
    ----------
    name : str
        What the student calls this output (``"h_next"``, ``"dWx"``).
    got : object
        The student's value.
    expected : ndarray
        The reference value.
    tol : float
        Largest accepted relative error (:func:`course_lib.gradcheck.rel_error`).
    """
    if got is None:
        raise GradingError(f"{name} is None: did the function reach its return statement (or still `pass`)?")
    if not isinstance(got, np.ndarray):
        raise GradingError(f"{name} should be a numpy array of shape {expected.shape}, got {type(got).__name__}")
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1]:
            hint = " (transposed? check the order of the factors in the matrix product)"
        raise GradingError(f"{name} has shape {got.shape} but should have shape {expected.shape}{hint}")
    if not np.all(np.isfinite(got)):
        raise GradingError(f"{name} contains NaN or infinite values")
    err = rel_error(got, expected)
    if err > tol:
        where = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        raise GradingError(
            f"{name} is off: relative error {err:.2e} (allowed {tol:.0e}); the largest difference is at "
            f"index {tuple(int(i) for i in where)}: got {got[where]:.6g}, expected {expected[where]:.6g}"
        )


def check_outputs(
    names: Sequence[str], got: object, expected: Sequence[np.ndarray], tol: float = 1e-7
) -> None:
    """Check a tuple of outputs (for example the gradients a backward pass returns), in order."""
    if not isinstance(got, tuple | list):
        raise GradingError(f"the function should return a tuple ({', '.join(names)}), got {type(got).__name__}")
    if len(got) != len(names):
        raise GradingError(f"the function should return {len(names)} values ({', '.join(names)}), got {len(got)}")
    for name, g, e in zip(names, got, expected, strict=True):
        check_array(name, g, e, tol)


def locate_rnn_step_error(
    student_step: Callable, reference_step: Callable, x, h_prev, Wx, Wh, b, tol: float = 1e-7
) -> None:
    """Compare a student's RNN step with the reference; on a mismatch, find which term is wrong.

    Each of the three terms ``x @ Wx``, ``h_prev @ Wh`` and ``b`` is switched off in turn (its
    weights or bias set to zero). If the two functions agree once a term is off, that term is
    the one the student computes wrongly; the message says so.
    """
    expected, _ = reference_step(x, h_prev, Wx, Wh, b)
    got = student_step(x, h_prev, Wx, Wh, b)
    got = got[0] if isinstance(got, tuple) else got
    try:
        check_array("h_next", got, expected, tol)
        return
    except GradingError as first:
        message = str(first)
    terms = {
        "the input term x @ Wx": (x, h_prev, np.zeros_like(Wx), Wh, b),
        "the recurrent term h_prev @ Wh": (x, h_prev, Wx, np.zeros_like(Wh), b),
        "the bias b": (x, h_prev, Wx, Wh, np.zeros_like(b)),
    }
    for term, args in terms.items():
        exp, _ = reference_step(*args)
        out = student_step(*args)
        out = out[0] if isinstance(out, tuple) else out
        if isinstance(out, np.ndarray) and out.shape == exp.shape and rel_error(out, exp) <= tol:
            raise GradingError(f"{message}. With {term} set to zero it matches, so look at how {term} enters.")
    raise GradingError(f"{message}. Switching off one term at a time did not help: check the nonlinearity.")
