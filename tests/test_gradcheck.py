"""The gradient-check helpers themselves must be right before they can judge anything else."""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, rel_error


def test_numerical_gradient_of_a_known_scalar_function(rng):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-9


def test_numerical_gradient_with_upstream_is_a_vector_jacobian_product(rng):
    A = rng.standard_normal((5, 3))
    x = rng.standard_normal((3,))
    df = rng.standard_normal((5,))
    grad = numerical_gradient(lambda v: A @ v, x, df)
    assert rel_error(grad, A.T @ df) < 1e-9


def test_numerical_gradient_restores_x(rng):
    x = rng.standard_normal((2, 2))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)


def test_rel_error_values():
    a = np.array([3.0, 4.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    assert rel_error(a, 1.01 * a) == pytest.approx(0.01 / 2.01)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_errors_name_the_argument(rng):
    with pytest.raises(TypeError, match="x must be a float64"):
        numerical_gradient(lambda v: v.sum(), rng.standard_normal(3).astype(np.float32))
    with pytest.raises(ValueError, match="pass df"):
        numerical_gradient(lambda v: v * 2, rng.standard_normal(3))
    with pytest.raises(ValueError, match="df must have the shape"):
        numerical_gradient(lambda v: v * 2, rng.standard_normal(3), np.ones(4))
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(2), np.ones(3))
