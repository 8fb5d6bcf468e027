"""Small hand-written sorts for compiled kernels: cheap to compile, no allocation.

``np.argsort(kind="mergesort")`` and ``ndarray.sort()`` inside a kernel make Numba
compile its generic sort implementations (``argmergesort_inner``, the quicksort
``partition`` / ``run_quicksort1`` family, their comparison helpers, the fancy index
``a[order]``): about 1.5-2 s of CPU in a cold day compile (``benchmarks/bench_compile.py
--list``), and their code is linked into, and optimised again with, every kernel that
calls them.  The two sorts here do what the kernels need with a few dozen lines each,
write into arrays the caller preallocated and are compiled with ``_nrt=False``.

Both are deterministic: ties keep their input order (:func:`sort_by_key`) or are equal
values (:func:`sort_ints`), so results do not depend on the sort used.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from transport_sim.kernels.bundles import PYTHON_ENTRY

__all__ = ["sort_by_key", "sort_ints"]


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def sort_by_key(
    keys: np.ndarray, items: np.ndarray, key_scratch: np.ndarray, item_scratch: np.ndarray
) -> None:
    """Sort ``items`` by ``keys``, both in place, stably (equal keys keep their order).

    A bottom-up merge sort, ``O(n log n)`` for ``n = keys.shape[0]``.  Equivalent to
    ``order = np.argsort(keys, kind="stable"); keys[:] = keys[order]; items[:] =
    items[order]`` for keys without NaN.

    Parameters
    ----------
    keys : float64[n]
        Sort keys (mutated: sorted ascending).  No NaN.
    items : int64[n]
        Payload moved with its key (mutated).
    key_scratch : float64[>= n]
        Scratch, overwritten.
    item_scratch : int64[>= n]
        Scratch, overwritten.
    """
    n = keys.shape[0]
    src_k, src_i, dst_k, dst_i = keys, items, key_scratch, item_scratch
    width = 1
    in_scratch = False
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a, b, out = lo, mid, lo
            while a < mid and b < hi:
                if src_k[b] < src_k[a]:  # strict: the left run wins ties (stable)
                    dst_k[out] = src_k[b]
                    dst_i[out] = src_i[b]
                    b += 1
                else:
                    dst_k[out] = src_k[a]
                    dst_i[out] = src_i[a]
                    a += 1
                out += 1
            while a < mid:
                dst_k[out] = src_k[a]
                dst_i[out] = src_i[a]
                a += 1
                out += 1
            while b < hi:
                dst_k[out] = src_k[b]
                dst_i[out] = src_i[b]
                b += 1
                out += 1
            lo = hi
        src_k, dst_k = dst_k, src_k
        src_i, dst_i = dst_i, src_i
        in_scratch = not in_scratch
        width *= 2
    if in_scratch:
        for j in range(n):
            keys[j] = key_scratch[j]
            items[j] = item_scratch[j]


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def sort_ints(values: np.ndarray, n: int) -> None:
    """Sort ``values[:n]`` ascending in place (insertion sort; for the short lists of a tick).

    ``O(n^2)`` in the worst case: meant for lists of at most a few hundred entries, such
    as the vehicles that join charger queues in one tick.

    Parameters
    ----------
    values : int64[>= n]
        Values; the first ``n`` are sorted (mutated), the rest are left alone.
    n : int
        How many leading entries to sort.
    """
    for j in range(1, n):
        x = values[j]
        i = j - 1
        while i >= 0 and values[i] > x:
            values[i + 1] = values[i]
            i -= 1
        values[i + 1] = x
