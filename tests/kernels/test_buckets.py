"""Bucket lists (``kernels/buckets.py``) against a plain-Python model of the same lists."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.kernels.buckets import _link, _unlink


def _walk_bucket(j: int, head: np.ndarray, nxt: np.ndarray, prv: np.ndarray) -> list[int]:
    items, before, v = [], -1, head[j]
    while v >= 0:
        assert prv[v] == before  # the back links agree with the forward ones
        items.append(int(v))
        before, v = v, nxt[v]
    return items


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_links_and_unlinks_match_python_lists(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_items, n_buckets = 40, 7
    key = np.full(n_items, -1, np.int64)
    head = np.full(n_buckets, -1, np.int64)
    nxt = np.full(n_items, -1, np.int64)
    prv = np.full(n_items, -1, np.int64)
    model: list[list[int]] = [[] for _ in range(n_buckets)]
    for _ in range(2000):
        v = int(rng.integers(n_items))
        for bucket in model:  # the model: out of its bucket, then (maybe) in at the head
            if v in bucket:
                bucket.remove(v)
        if rng.random() < 0.6:
            j = int(rng.integers(n_buckets))
            _link(v, j, key, head, nxt, prv)
            model[j].insert(0, v)
        else:
            _unlink(v, key, head, nxt, prv)
        for j in range(n_buckets):
            assert _walk_bucket(j, head, nxt, prv) == model[j]
        for w in range(n_items):
            want = next((j for j in range(n_buckets) if w in model[j]), -1)
            assert key[w] == want


def test_unlink_of_an_item_in_no_bucket_changes_nothing() -> None:
    key = np.array([-1, 0], np.int64)
    head = np.array([1], np.int64)
    nxt = np.full(2, -1, np.int64)
    prv = np.full(2, -1, np.int64)
    _unlink(0, key, head, nxt, prv)
    assert head.tolist() == [1]
    assert key.tolist() == [-1, 0]
