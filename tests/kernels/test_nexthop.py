"""Compact next-hop tables against full int32 tables built independently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numba import njit
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from transport_sim.kernels.nexthop import (
    NextHop,
    compact_next_hop,
    expand_next_hop,
    next_hop,
    slot_dtype,
)

PLAN = Path(__file__).resolve().parents[2] / "experiments" / "shiyan_plan.toml"


@njit(cache=False)
def _all_hops(nh: NextHop, out: np.ndarray) -> None:
    for k in range(out.shape[0]):
        for u in range(out.shape[1]):
            out[k, u] = next_hop(nh, k, u)


def compiled_table(nh: NextHop) -> np.ndarray:
    """Every entry read through the compiled accessor the kernels use."""
    out = np.empty(nh.shape, np.int64)
    _all_hops(nh, out)
    return out


def full_table(indptr, tail, head, time_s, targets) -> np.ndarray:
    """int32[n_targets, n_nodes] next edges from scipy's predecessor trees (reference).

    Dijkstra on the transposed graph from each target; the next edge from ``u`` is the
    fastest edge ``u -> pred[u]`` (lowest id among equally fast parallel edges)."""
    n = indptr.shape[0] - 1
    best: dict[tuple[int, int], int] = {}
    for e in range(tail.shape[0]):
        key = (int(tail[e]), int(head[e]))
        if key[0] != key[1] and (key not in best or time_s[e] < time_s[best[key]]):
            best[key] = e
    keys = np.array(sorted(best), np.int64).reshape(-1, 2)
    edges = np.array([best[(int(a), int(b))] for a, b in keys], np.int64)
    rev = csr_matrix((time_s[edges], (keys[:, 1], keys[:, 0])), shape=(n, n))
    _, pred = dijkstra(rev, directed=True, indices=targets, return_predecessors=True)
    code = keys[:, 0] * n + keys[:, 1]
    order = np.argsort(code)
    out = np.full((len(targets), n), -1, np.int32)
    k, u = np.nonzero(pred >= 0)
    pos = np.searchsorted(code[order], u * n + pred[k, u])
    out[k, u] = edges[order][pos]
    return out


@pytest.fixture(scope="module")
def run_tables():
    """The tables of a plan run on the embedded schematic network (roads + water)."""
    from transport_sim.scenario.settings import load_scenario
    from transport_sim.sim.prepare import prepare

    prep = prepare(load_scenario(PLAN).with_overrides({"run.end_year": 2024}))
    return prep.context


def test_compact_tables_give_the_full_tables_edge_for_every_target_and_node(run_tables):
    ctx = run_tables
    g, nh = ctx.graph, ctx.targets.next_edge
    times = ctx.arrays.edge_travel_time_s
    full = full_table(g.indptr, g.edge_tail, g.edge_head, times, ctx.targets.node)
    assert nh.slot.dtype == np.uint8  # the schematic's largest out-degree is a handful
    assert nh.shape == full.shape == (ctx.targets.n_targets, g.n_nodes)
    np.testing.assert_array_equal(compiled_table(nh), full)
    np.testing.assert_array_equal(expand_next_hop(nh), full)
    rng = np.random.default_rng(0)
    for k, u in zip(rng.integers(0, full.shape[0], 500), rng.integers(0, full.shape[1], 500),
                    strict=True):
        assert nh.edge(int(k), int(u)) == full[k, u]
    # every hop leaves its node, and the table is a quarter of the int32 one
    has = full >= 0
    assert np.all(g.edge_tail[full[has]] == np.nonzero(has)[1])
    assert nh.slot.nbytes * 4 == full.nbytes


def _star(n_leaves: int):
    """Hub 0 with an edge to and from each leaf: out-degree ``n_leaves`` at the hub."""
    tail = np.r_[np.zeros(n_leaves, np.int64), np.arange(1, n_leaves + 1)]
    head = np.r_[np.arange(1, n_leaves + 1), np.zeros(n_leaves, np.int64)]
    order = np.argsort(tail, kind="stable")
    tail, head = tail[order], head[order]
    indptr = np.r_[0, np.cumsum(np.bincount(tail, minlength=n_leaves + 1))].astype(np.int32)
    return indptr, tail, head


@pytest.mark.parametrize(("leaves", "dtype"), [(254, np.uint8), (255, np.uint16)])
def test_slot_dtype_widens_past_254_out_edges(leaves, dtype):
    indptr, tail, head = _star(leaves)
    targets = np.array([leaves, 1, 0])
    full = full_table(indptr, tail, head, np.ones(tail.shape[0]), targets)
    nh = compact_next_hop(full, indptr)
    assert nh.slot.dtype == dtype
    np.testing.assert_array_equal(compiled_table(nh), full)
    assert full[0, 0] == leaves - 1  # the hub's last out-edge: slot 255 (uint8) or 256
    assert slot_dtype(65534) is np.uint16
    with pytest.raises(ValueError, match="out-edges"):
        slot_dtype(65535)


def test_compacting_refuses_an_edge_that_does_not_leave_its_node():
    indptr, _tail, _head = _star(3)
    full = np.full((1, 4), -1, np.int32)
    full[0, 1] = 0  # edge 0 leaves the hub (node 0), not node 1
    with pytest.raises(ValueError, match="does not leave"):
        compact_next_hop(full, indptr)
