"""Hand-written kernel sorts against plain-Python sorts: identical order, stable ties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_sim.kernels.sorting import sort_by_key, sort_ints


def sort_by_key_reference(keys: list[float], items: list[int]) -> tuple[list[float], list[int]]:
    """Plain-Python twin of :func:`sort_by_key` (``sorted`` is stable)."""
    pairs = sorted(zip(keys, items, strict=True), key=lambda p: p[0])
    return [k for k, _ in pairs], [i for _, i in pairs]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([0.0, 1.5, 2.0, 2.0, 7.25, -3.0, np.inf, 1e9]), min_size=0, max_size=70
    )
)
def test_sort_by_key_matches_a_stable_python_sort(keys: list[float]) -> None:
    """Few distinct keys, so most lengths exercise ties across merge runs."""
    items = list(range(100, 100 + len(keys)))
    k = np.array(keys, np.float64)
    i = np.array(items, np.int64)
    sort_by_key(k, i, np.empty(k.shape[0], np.float64), np.empty(k.shape[0], np.int64))
    ref_k, ref_i = sort_by_key_reference(keys, items)
    assert k.tolist() == ref_k
    assert i.tolist() == ref_i


def test_sort_by_key_equals_numpy_stable_argsort_on_a_large_input() -> None:
    rng = np.random.default_rng(18)
    keys = np.round(rng.uniform(0.0, 86_400.0, 5_001), -2)  # many ties
    items = rng.permutation(5_001).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    k, i = keys.copy(), items.copy()
    sort_by_key(k, i, np.full(6_000, np.nan), np.full(6_000, -1, np.int64))  # longer scratch
    assert np.array_equal(k, keys[order])
    assert np.array_equal(i, items[order])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=0, max_size=40), st.integers(0, 45))
def test_sort_ints_sorts_the_prefix_only(values: list[int], n: int) -> None:
    n = min(n, len(values))
    a = np.array(values, np.int64)
    sort_ints(a, n)
    assert a.tolist() == sorted(values[:n]) + values[n:]
