import numpy as np
import pytest

from course_lib.data.synthetic import adding_problem


def test_adding_problem_structure():
    x, y = adding_problem(500, 20, np.random.default_rng(0))
    assert x.shape == (500, 20, 2) and y.shape == (500,) and x.dtype == y.dtype == np.float32
    markers = x[:, :, 1]
    assert np.all(markers.sum(1) == 2)
    assert np.all(markers[:, :10].sum(1) == 1) and np.all(markers[:, 10:].sum(1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * markers).sum(1), rtol=1e-6)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.03  # the constant guess scores about 1/6


def test_adding_problem_errors():
    with pytest.raises(ValueError, match="T must be at least 2"):
        adding_problem(3, 1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        adding_problem(3, 4, 0)
