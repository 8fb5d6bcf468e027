"""Bucket lists: items in doubly linked lists, one list per bucket, O(1) in and out.

The event loop's calendar (a bucket per tick, the item a vehicle) and the dispatch's
idle lists (a bucket per zone, the item an idle taxi) are both kept this way, with four
int64 arrays: ``key[v]`` the bucket item ``v`` is in (-1: none), ``head[b]`` the first
item of bucket ``b`` (-1: empty), ``nxt[v]``/``prv[v]`` its neighbours (-1: none).  An
item goes in at the head of its bucket.

Units: none (indices).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from transport_sim.kernels.bundles import PYTHON_ENTRY

__all__: list[str] = []  # compiled internals only


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _unlink(v: int, key: np.ndarray, head: np.ndarray, nxt: np.ndarray, prv: np.ndarray) -> None:
    """Take item ``v`` out of its bucket, if it is in one."""
    j = key[v]
    if j < 0:
        return
    a = prv[v]
    b = nxt[v]
    if a >= 0:
        nxt[a] = b
    else:
        head[j] = b
    if b >= 0:
        prv[b] = a
    key[v] = -1
    nxt[v] = -1
    prv[v] = -1


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _link(
    v: int, j: int, key: np.ndarray, head: np.ndarray, nxt: np.ndarray, prv: np.ndarray
) -> None:
    """Put item ``v`` at the head of bucket ``j`` (out of any bucket it was in)."""
    _unlink(v, key, head, nxt, prv)
    b = head[j]
    nxt[v] = b
    prv[v] = -1
    if b >= 0:
        prv[b] = v
    head[j] = v
    key[v] = j
