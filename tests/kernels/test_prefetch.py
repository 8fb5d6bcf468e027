"""The prefetch hint compiles to a prefetch instruction and changes no result."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from transport_sim.kernels.prefetch import _prefetch


@njit(_nrt=False)
def _gather_sum(values: np.ndarray, rows: np.ndarray) -> float:
    for i in range(rows.shape[0]):
        _prefetch(values, rows[i])
    total = 0.0
    for i in range(rows.shape[0]):
        total += values[rows[i]]
    return total


def test_prefetch_is_a_hint_only() -> None:
    rng = np.random.default_rng(0)
    values = rng.random(100_000)
    rows = rng.integers(0, values.size, 5_000)
    assert _gather_sum(values, rows) == pytest.approx(values[rows].sum(), rel=1e-12)
    if platform.machine() in ("x86_64", "AMD64"):
        asm = _gather_sum.inspect_asm(_gather_sum.signatures[0])
        assert "prefetch" in asm


def test_prefetch_takes_a_1d_array_and_an_integer() -> None:
    @njit
    def on_2d(a: np.ndarray) -> None:
        _prefetch(a, 0)

    with pytest.raises(TypingError):
        on_2d(np.zeros((2, 2)))
