"""CSR arrays of a directed graph: the one boundary between graphs and kernels.

Everything downstream of :mod:`transport_sim.network` (kernels, the model, plots) sees a
network only as a :class:`GraphArrays`: contiguous ``int32`` node indices ``0..n-1``,
outgoing edges grouped by tail (CSR), and per-edge attributes with units in their names.
OSM node ids are kept in ``node_osm_id`` and are translated to indices here and nowhere
else (:meth:`GraphArrays.osm_to_index`, :meth:`GraphArrays.index_to_osm`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from transport_sim.codes import N_ROAD_CLASSES
from transport_sim.units import KPH_PER_MPS

__all__ = ["GraphArrays", "graph_arrays_from_edges", "merge_graph_arrays"]


def _frozen(array: np.ndarray, dtype: type | np.dtype) -> np.ndarray:
    """Return a contiguous, read-only copy-if-needed of ``array`` with ``dtype``."""
    out = np.ascontiguousarray(array, dtype=dtype)
    if out is array:
        out = out.copy()
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """A directed graph as read-only CSR arrays (edges sorted by tail node).

    Parameters
    ----------
    node_osm_id
        int64[n_nodes]: the OSM id of each node (for reports and cross-checks only).
    node_lon, node_lat
        float64[n_nodes]: WGS84 coordinates in degrees.
    indptr
        int32[n_nodes + 1]: outgoing edges of node ``u`` are ``indptr[u]:indptr[u + 1]``.
    edge_tail, edge_head
        int32[n_edges]: node indices of each edge's start and end.
    edge_length_m
        float64[n_edges]: length along the geometry in metres.
    edge_speed_kph
        float64[n_edges]: free-flow speed in km/h.
    edge_travel_time_s
        float64[n_edges]: free-flow travel time ``length_m / speed`` in seconds.
    edge_class
        int8[n_edges]: index into :data:`transport_sim.codes.ROAD_CLASSES`.
    edge_name
        object[n_edges]: street name, else its ``ref``, else ``""`` (for reports and plots).
    """

    node_osm_id: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    indptr: np.ndarray
    edge_tail: np.ndarray
    edge_head: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kph: np.ndarray
    edge_travel_time_s: np.ndarray
    edge_class: np.ndarray
    edge_name: np.ndarray
    _osm_order: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Normalise dtypes, freeze the arrays and check that the CSR layout is consistent."""
        int_fields = {"indptr": np.int32, "edge_tail": np.int32, "edge_head": np.int32}
        float_fields = ("node_lon", "node_lat", "edge_length_m", "edge_speed_kph")
        object.__setattr__(self, "node_osm_id", _frozen(self.node_osm_id, np.int64))
        for name in float_fields:
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))
        object.__setattr__(self, "edge_travel_time_s", _frozen(self.edge_travel_time_s, np.float64))
        for name, dtype in int_fields.items():
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        object.__setattr__(self, "edge_class", _frozen(self.edge_class, np.int8))
        names = np.empty(len(self.edge_name), dtype=object)
        names[:] = [str(v) if v is not None else "" for v in self.edge_name]
        names.setflags(write=False)
        object.__setattr__(self, "edge_name", names)
        self._check()
        order = np.argsort(self.node_osm_id, kind="stable")
        order.setflags(write=False)
        object.__setattr__(self, "_osm_order", order)

    def _check(self) -> None:
        """Raise ``ValueError`` when the arrays do not form a valid CSR graph."""
        n, m = self.n_nodes, self.n_edges
        for name in ("node_lon", "node_lat"):
            if getattr(self, name).shape != (n,):
                msg = f"GraphArrays.{name} has shape {getattr(self, name).shape}, expected ({n},)"
                raise ValueError(msg)
        for name in (
            "edge_head",
            "edge_length_m",
            "edge_speed_kph",
            "edge_travel_time_s",
            "edge_class",
            "edge_name",
        ):
            if getattr(self, name).shape != (m,):
                msg = f"GraphArrays.{name} has shape {getattr(self, name).shape}, expected ({m},)"
                raise ValueError(msg)
        if self.indptr.shape != (n + 1,) or self.indptr[0] != 0 or self.indptr[-1] != m:
            msg = "GraphArrays.indptr must have n_nodes + 1 entries from 0 to n_edges"
            raise ValueError(msg)
        if np.any(np.diff(self.indptr) < 0):
            msg = "GraphArrays.indptr must be non-decreasing"
            raise ValueError(msg)
        expected_tail = np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))
        if not np.array_equal(expected_tail, self.edge_tail):
            msg = "GraphArrays.edge_tail must be sorted and agree with indptr"
            raise ValueError(msg)
        if m and (self.edge_head.min() < 0 or self.edge_head.max() >= n):
            msg = "GraphArrays.edge_head holds a node index outside 0..n_nodes-1"
            raise ValueError(msg)
        if m and (self.edge_class.min() < 0 or self.edge_class.max() >= N_ROAD_CLASSES):
            msg = "GraphArrays.edge_class holds a code outside codes.ROAD_CLASSES"
            raise ValueError(msg)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_osm_id.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_tail.shape[0])

    def osm_to_index(self, osm_id: int) -> int:
        """Return the node index of OSM node ``osm_id``.

        Raises
        ------
        KeyError
            If the node is not part of this graph (for example it was outside the kept
            strongly connected component).  When two merged graphs share an OSM node, the
            index in the first graph is returned.
        """
        ids = self.node_osm_id
        pos = int(np.searchsorted(ids, osm_id, sorter=self._osm_order))
        if pos < ids.shape[0] and ids[self._osm_order[pos]] == osm_id:
            return int(self._osm_order[pos])
        msg = f"OSM node {osm_id} is not in this graph"
        raise KeyError(msg)

    def index_to_osm(self, index: int) -> int:
        """Return the OSM id of node ``index``."""
        if not 0 <= index < self.n_nodes:
            msg = f"node index {index} is outside 0..{self.n_nodes - 1}"
            raise IndexError(msg)
        return int(self.node_osm_id[index])

    def out_edges(self, node: int) -> np.ndarray:
        """Return the edge ids leaving ``node`` (a view into ``arange(n_edges)``)."""
        return np.arange(self.indptr[node], self.indptr[node + 1], dtype=np.int32)

    def total_length_m(self, road_class: int | None = None) -> float:
        """Return the summed edge length in metres, optionally of one class code only."""
        if road_class is None:
            return float(self.edge_length_m.sum())
        return float(self.edge_length_m[self.edge_class == road_class].sum())


def graph_arrays_from_edges(
    node_osm_id: np.ndarray,
    node_lon: np.ndarray,
    node_lat: np.ndarray,
    edge_tail: np.ndarray,
    edge_head: np.ndarray,
    edge_length_m: np.ndarray,
    edge_speed_kph: np.ndarray,
    edge_class: np.ndarray,
    edge_name: np.ndarray | list[str],
) -> tuple[GraphArrays, np.ndarray]:
    """Build :class:`GraphArrays` from unsorted edge lists.

    Edges are sorted by ``(tail, head)`` (stable) and the travel time is computed as
    ``edge_length_m / edge_speed_kph``.

    Returns
    -------
    graph, order
        The graph and the permutation applied to the input edges (``graph`` edge ``i`` is
        input edge ``order[i]``), so that callers can reorder side arrays (geometry).
    """
    tail = np.asarray(edge_tail, dtype=np.int64)
    head = np.asarray(edge_head, dtype=np.int64)
    n = int(np.asarray(node_osm_id).shape[0])
    order = np.lexsort((head, tail))
    speed_kph = np.asarray(edge_speed_kph, dtype=np.float64)[order]
    length_m = np.asarray(edge_length_m, dtype=np.float64)[order]
    counts = np.bincount(tail, minlength=n) if tail.size else np.zeros(n, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    names = np.empty(len(order), dtype=object)
    names[:] = [str(v) for v in np.asarray(edge_name, dtype=object)[order]] if len(order) else []
    graph = GraphArrays(
        node_osm_id=np.asarray(node_osm_id, dtype=np.int64),
        node_lon=np.asarray(node_lon, dtype=np.float64),
        node_lat=np.asarray(node_lat, dtype=np.float64),
        indptr=indptr,
        edge_tail=tail[order],
        edge_head=head[order],
        edge_length_m=length_m,
        edge_speed_kph=speed_kph,
        edge_travel_time_s=length_m / (speed_kph / KPH_PER_MPS),
        edge_class=np.asarray(edge_class, dtype=np.int8)[order],
        edge_name=names,
    )
    return graph, order


def merge_graph_arrays(a: GraphArrays, b: GraphArrays) -> tuple[GraphArrays, int]:
    """Stack two graphs into one disjoint graph (no edges between them).

    Node ``i`` of ``b`` becomes node ``i + offset`` of the result and edge ``j`` of ``b``
    becomes edge ``j + a.n_edges``; ``a`` keeps its indices.  The model uses this to put
    roads and water into one array set for the kernels.

    Returns
    -------
    merged, offset
        The merged graph and ``offset = a.n_nodes``.
    """
    offset = a.n_nodes
    merged = GraphArrays(
        node_osm_id=np.concatenate([a.node_osm_id, b.node_osm_id]),
        node_lon=np.concatenate([a.node_lon, b.node_lon]),
        node_lat=np.concatenate([a.node_lat, b.node_lat]),
        indptr=np.concatenate([a.indptr, b.indptr[1:].astype(np.int64) + a.n_edges]),
        edge_tail=np.concatenate([a.edge_tail, b.edge_tail.astype(np.int64) + offset]),
        edge_head=np.concatenate([a.edge_head, b.edge_head.astype(np.int64) + offset]),
        edge_length_m=np.concatenate([a.edge_length_m, b.edge_length_m]),
        edge_speed_kph=np.concatenate([a.edge_speed_kph, b.edge_speed_kph]),
        edge_travel_time_s=np.concatenate([a.edge_travel_time_s, b.edge_travel_time_s]),
        edge_class=np.concatenate([a.edge_class, b.edge_class]),
        edge_name=np.concatenate([a.edge_name, b.edge_name]),
    )
    return merged, offset
