"""Shortest paths on :class:`~transport_sim.network.arrays.GraphArrays` (scipy, no networkx).

Routing minimises free-flow travel time.  Vehicles drive toward a target, so the main
product is a *to-target tree* per target: for every node ``u`` the first edge of a
minimum-time path from ``u`` to the target, with the length and time of that path.  Trees
come from one Dijkstra run per target on the *transposed* graph; with parallel edges the
fastest one is used.  :class:`Router` caches trees per target on the instance.

Next hops are stored compactly (:class:`~transport_sim.kernels.nexthop.NextHop`: the local
index among the node's out-edges, one or two bytes an entry) and built batch by batch, so
that the full int32 table is never held; batches are bounded so that Dijkstra's work
arrays stay at a few hundred MB on large graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from transport_sim.errors import UnreachableError
from transport_sim.kernels.nexthop import NextHop, expand_next_hop, slot_dtype, slots_of
from transport_sim.network.arrays import GraphArrays

__all__ = ["Router", "ToTargetTrees", "shortest_path", "shortest_path_trees"]

#: Targets per Dijkstra batch (bounds the float64 work arrays to batch x n_nodes).
_BATCH: Final = 128
#: At most this many batch x node entries per batch (~10 work arrays of 8 bytes each:
#: about 320 MB), so large graphs run smaller batches.
_BATCH_ENTRIES: Final = 4_000_000


@dataclass(frozen=True, eq=False)
class ToTargetTrees:
    """Minimum-travel-time trees toward a set of target nodes.

    Attributes
    ----------
    targets
        int32[n_targets]: the target node of each row.
    next_hop
        First edge of a fastest path from node ``u`` toward the row's target, as a
        compact :class:`~transport_sim.kernels.nexthop.NextHop` (no hop at the target
        itself and where the target is unreachable); :attr:`next_edge` expands it.
    dist_m
        float32[n_targets, n_nodes]: length of that path in metres (``inf`` if unreachable).
    time_s
        float32[n_targets, n_nodes]: free-flow time of that path in seconds (``inf`` if
        unreachable).
    """

    targets: np.ndarray
    next_hop: NextHop
    dist_m: np.ndarray
    time_s: np.ndarray

    @property
    def next_edge(self) -> np.ndarray:
        """The full ``int32[n_targets, n_nodes]`` next-edge table (``-1``: none), expanded.

        Four bytes an entry: for tests and small graphs; kernels read :attr:`next_hop`.
        """
        return expand_next_hop(self.next_hop)

    def row(self, target: int) -> int:
        """Return the row of ``target`` (``KeyError`` if it has no tree here)."""
        hits = np.flatnonzero(self.targets == target)
        if hits.size == 0:
            msg = f"node {target} is not a target of these trees"
            raise KeyError(msg)
        return int(hits[0])

    def path(self, graph: GraphArrays, source: int, target: int) -> np.ndarray:
        """Edge ids of the tree path from ``source`` to ``target`` (walking ``next_edge``).

        Raises
        ------
        UnreachableError
            If ``target`` cannot be reached from ``source``.
        """
        r = self.row(target)
        if source == target:
            return np.empty(0, dtype=np.int32)
        if self.next_hop.edge(r, source) < 0:
            raise UnreachableError(_unreachable_message(graph, source, target))
        edges = []
        node = source
        for _ in range(graph.n_nodes):
            if node == target:
                break
            edge = self.next_hop.edge(r, node)
            edges.append(edge)
            node = int(graph.edge_head[edge])
        return np.asarray(edges, dtype=np.int32)


def _unreachable_message(graph: GraphArrays, source: int, target: int) -> str:
    """One-line message for a missing route."""
    return (
        f"no route from node {source} (OSM {graph.index_to_osm(source)}) to node {target} "
        f"(OSM {graph.index_to_osm(target)}): the target cannot be reached from the source "
        "on this network"
    )


@dataclass(frozen=True, eq=False)
class _PairTable:
    """Fastest edge per ordered node pair, and the sparse time matrix built from it."""

    keys: np.ndarray  # int64 tail * n + head, sorted
    edges: np.ndarray  # int64 edge id of the fastest edge of each pair
    forward: csr_matrix
    transposed: csr_matrix

    @classmethod
    def build(cls, graph: GraphArrays) -> _PairTable:
        """Index the fastest edge between every connected ordered node pair."""
        n = graph.n_nodes
        tail = graph.edge_tail.astype(np.int64)
        head = graph.edge_head.astype(np.int64)
        proper = tail != head
        ids = np.flatnonzero(proper)
        key = tail[ids] * n + head[ids]
        order = np.lexsort((graph.edge_travel_time_s[ids], key))
        key_sorted = key[order]
        first = np.ones(key_sorted.size, dtype=bool)
        first[1:] = key_sorted[1:] != key_sorted[:-1]
        edges = ids[order[first]]
        keys = key_sorted[first]
        # explicit zeros are edges for scipy.sparse.csgraph, so zero-time edges survive
        weight = graph.edge_travel_time_s[edges]
        forward = csr_matrix((weight, (tail[edges], head[edges])), shape=(n, n))
        transposed = csr_matrix((weight, (head[edges], tail[edges])), shape=(n, n))
        return cls(keys, edges, forward, transposed)

    def edge_of(self, tails: np.ndarray, heads: np.ndarray, n: int) -> np.ndarray:
        """Fastest edge id for each ``(tail, head)`` pair (pairs must exist)."""
        key = tails.astype(np.int64) * n + heads.astype(np.int64)
        return self.edges[np.searchsorted(self.keys, key)]


def _trees(graph: GraphArrays, table: _PairTable, targets: np.ndarray) -> ToTargetTrees:
    """Compute to-target trees for ``targets`` in batches."""
    n = graph.n_nodes
    n_t = targets.size
    indptr = np.asarray(graph.indptr)
    dtype = slot_dtype(int(np.diff(indptr).max()) if n else 0)
    slot = np.zeros((n_t, n), dtype=dtype)
    dist_m = np.full((n_t, n), np.inf, dtype=np.float32)
    time_s = np.full((n_t, n), np.inf, dtype=np.float32)
    length = graph.edge_length_m
    nodes = np.arange(n, dtype=np.int64)
    batch_size = max(1, min(_BATCH, _BATCH_ENTRIES // max(1, n)))
    for start in range(0, n_t, batch_size):
        batch = targets[start : start + batch_size]
        times, pred = dijkstra(
            table.transposed, directed=True, indices=batch, return_predecessors=True
        )
        times = np.atleast_2d(times)
        pred = np.atleast_2d(pred).astype(np.int64)
        has_next = pred >= 0
        rows, cols = np.nonzero(has_next)
        edge = np.full(pred.shape, -1, dtype=np.int64)
        edge[rows, cols] = table.edge_of(cols, pred[rows, cols], n)
        # path length by pointer jumping along the tree: acc[u] = sum of lengths to the
        # current ancestor ptr[u]; roots and unreachable nodes point to themselves.
        ptr = np.where(has_next, pred, nodes[None, :])
        acc = np.where(has_next, length[np.maximum(edge, 0)], 0.0)
        row_ix = np.arange(batch.size)[:, None]
        while True:
            nxt = ptr[row_ix, ptr]
            if np.array_equal(nxt, ptr):
                break
            acc = acc + acc[row_ix, ptr]
            ptr = nxt
        reachable = np.isfinite(times)
        sl = slice(start, start + batch.size)
        slot[sl] = slots_of(edge, indptr, dtype)
        time_s[sl] = times.astype(np.float32)
        dist_m[sl] = np.where(reachable, acc, np.inf).astype(np.float32)
    first_edge = np.ascontiguousarray(indptr[:-1], np.int32)
    return ToTargetTrees(targets.astype(np.int32), NextHop(slot, first_edge), dist_m, time_s)


def _check_nodes(graph: GraphArrays, nodes: np.ndarray) -> np.ndarray:
    """Validate node indices and return them as int64."""
    nodes = np.atleast_1d(np.asarray(nodes)).astype(np.int64)
    if nodes.size and (nodes.min() < 0 or nodes.max() >= graph.n_nodes):
        msg = f"node indices must lie in 0..{graph.n_nodes - 1}"
        raise IndexError(msg)
    return nodes


def shortest_path_trees(graph: GraphArrays, targets: np.ndarray) -> ToTargetTrees:
    """Fastest paths from every node toward each target node.

    Parameters
    ----------
    graph
        The network's arrays.
    targets
        Node indices of the targets (any integer array).

    Returns
    -------
    ToTargetTrees
        ``next_hop``, ``dist_m`` and ``time_s`` per target and node.
    """
    targets = _check_nodes(graph, targets)
    return _trees(graph, _PairTable.build(graph), targets)


def shortest_path(graph: GraphArrays, source: int, target: int) -> np.ndarray:
    """Edge ids (int32, in travel order) of a fastest path from ``source`` to ``target``.

    Raises
    ------
    UnreachableError
        If ``target`` cannot be reached from ``source``.
    """
    _check_nodes(graph, np.array([source, target]))
    if source == target:
        return np.empty(0, dtype=np.int32)
    table = _PairTable.build(graph)
    return _path_from_source(graph, table, int(source), int(target))


def _path_from_source(
    graph: GraphArrays, table: _PairTable, source: int, target: int
) -> np.ndarray:
    """Fastest path by one forward Dijkstra run from ``source``."""
    times, pred = dijkstra(table.forward, directed=True, indices=source, return_predecessors=True)
    if not np.isfinite(times[target]):
        raise UnreachableError(_unreachable_message(graph, source, target))
    nodes = [target]
    while nodes[-1] != source:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    path = np.asarray(nodes, dtype=np.int64)
    return table.edge_of(path[:-1], path[1:], graph.n_nodes).astype(np.int32)


class Router:
    """Fastest-path queries on one graph with to-target trees cached per target.

    Parameters
    ----------
    graph
        The network's arrays (roads, water, or both merged).
    """

    def __init__(self, graph: GraphArrays) -> None:
        self.graph = graph
        self._table = _PairTable.build(graph)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @property
    def cached_targets(self) -> tuple[int, ...]:
        """Targets whose trees are cached."""
        return tuple(self._cache)

    def clear(self) -> None:
        """Forget all cached trees."""
        self._cache.clear()

    def trees(self, targets: np.ndarray | list[int]) -> ToTargetTrees:
        """To-target trees for ``targets``; missing ones are computed in one batch."""
        targets = _check_nodes(self.graph, np.asarray(targets))
        missing = np.array(sorted({int(t) for t in targets} - set(self._cache)), dtype=np.int64)
        if missing.size:
            fresh = _trees(self.graph, self._table, missing)
            for i, t in enumerate(missing):
                self._cache[int(t)] = (fresh.next_hop.slot[i], fresh.dist_m[i], fresh.time_s[i])
        rows = [self._cache[int(t)] for t in targets]
        n = self.graph.n_nodes
        indptr = np.asarray(self.graph.indptr)
        dtype = slot_dtype(int(np.diff(indptr).max()) if n else 0)
        slot = np.stack([r[0] for r in rows]) if rows else np.empty((0, n), dtype=dtype)
        return ToTargetTrees(
            targets.astype(np.int32),
            NextHop(slot, np.ascontiguousarray(indptr[:-1], np.int32)),
            np.stack([r[1] for r in rows]) if rows else np.empty((0, n), dtype=np.float32),
            np.stack([r[2] for r in rows]) if rows else np.empty((0, n), dtype=np.float32),
        )

    def path(self, source: int, target: int) -> np.ndarray:
        """Edge ids of a fastest path (uses the cached tree of ``target``)."""
        return self.trees([target]).path(self.graph, int(source), int(target))

    def travel_time_s(self, source: int, target: int) -> float:
        """Free-flow travel time in seconds from ``source`` to ``target`` (``inf`` if none)."""
        return float(self.trees([target]).time_s[0, source])

    def distance_m(self, source: int, target: int) -> float:
        """Length in metres of the fastest path from ``source`` to ``target``."""
        return float(self.trees([target]).dist_m[0, source])
