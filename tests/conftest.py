"""Shared test settings and fixtures.

Hypothesis runs derandomized (the same examples every run) so CI is reproducible; a failing
example is printed in full and can be replayed.
"""

import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

torch.set_num_threads(min(2, torch.get_num_threads()))

# float32 results are compared with this relative error (Frobenius norms, course_lib.gradcheck).
# float32 carries ~7 significant digits (eps = 1.2e-7); two implementations that add the same
# products in a different order (blocked BLAS vs a loop) differ by about eps * sqrt(terms) per matrix
# product, compounded over the steps and layers of the tests (T <= 7, L <= 3). Observed differences
# are 1e-7..1e-6; 1e-5 keeps a margin of ten while still catching any real error, which is O(1).
FLOAT32_RTOL = 1e-5
# float64 hand-written backward vs torch autograd: the same sums in a different order, ~1e-15;
# vs centred differences (h = 1e-6): truncation h^2 plus rounding eps/h, ~1e-9. Required below 1e-7.
FLOAT64_RTOL = 1e-7

CUDA_REASON = "CUDA is not available on this machine (the GPU variant runs where it is)"
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason=CUDA_REASON)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
