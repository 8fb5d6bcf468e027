"""Compact next-hop tables: the first edge toward each target as a local out-edge index.

A run drives vehicles toward a few hundred targets over every node of the graph, so the
next-hop table has ``n_targets x n_nodes`` entries.  Stored as global int32 edge ids it
costs 4 bytes an entry (1.2 GB for 620 targets on a 500k-node network).  The edge
leaving node ``u`` is always one of ``u``'s out-edges, which the CSR graph stores
contiguously from ``indptr[u]``, so it suffices to store its *local* index among them:
:class:`NextHop` keeps ``1 + local index`` (0: no next hop — at the target itself, or the
target is unreachable) as ``uint8`` when every node has fewer than 255 out-edges, else
``uint16``, beside the node's first out-edge.  The edge is then

    ``next_edge[k, u] = first_edge[u] + slot[k, u] - 1``   (``-1`` when ``slot[k, u] == 0``)

which :func:`next_hop` computes inside compiled kernels: they change only where they read
the table.  :func:`compact_next_hop` converts a full int32 table, :func:`expand_next_hop`
converts back (tests, small graphs); both check that every hop leaves its node.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
from numba import njit

__all__ = [
    "MAX_UINT8_DEGREE",
    "MAX_UINT16_DEGREE",
    "NextHop",
    "compact_next_hop",
    "expand_next_hop",
    "next_hop",
    "slot_dtype",
]

#: Highest out-degree a ``uint8`` slot table can hold (255 is the largest ``1 + index``).
MAX_UINT8_DEGREE: Final = 254
#: Highest out-degree a ``uint16`` slot table can hold.
MAX_UINT16_DEGREE: Final = 65534


class NextHop(NamedTuple):
    """Next hops toward every target, as local out-edge indices.

    Attributes
    ----------
    slot : uint8 or uint16 [n_targets, n_nodes]
        ``1 +`` the index, among the out-edges of node ``u``, of the first edge of the
        fastest path from ``u`` toward target ``k``; ``0`` at the target itself and where
        the target is unreachable.
    first_edge : int32[n_nodes]
        First out-edge of each node (the graph's ``indptr[:-1]``).
    """

    slot: np.ndarray
    first_edge: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_targets, n_nodes)``."""
        return (int(self.slot.shape[0]), int(self.slot.shape[1]))

    @property
    def nbytes(self) -> int:
        """Bytes held by both arrays."""
        return int(self.slot.nbytes + self.first_edge.nbytes)

    def edge(self, k: int, u: int) -> int:
        """Global id of the next edge from node ``u`` toward target ``k`` (-1: none)."""
        s = int(self.slot[k, u])
        return int(self.first_edge[u]) + s - 1 if s else -1


def slot_dtype(max_out_degree: int) -> type[np.unsignedinteger]:
    """Smallest slot dtype for a graph whose nodes have at most ``max_out_degree`` out-edges.

    Raises
    ------
    ValueError
        If a node has more than :data:`MAX_UINT16_DEGREE` out-edges.
    """
    if max_out_degree <= MAX_UINT8_DEGREE:
        return np.uint8
    if max_out_degree <= MAX_UINT16_DEGREE:
        return np.uint16
    msg = f"a node has {max_out_degree} out-edges; next-hop slots hold at most {MAX_UINT16_DEGREE}"
    raise ValueError(msg)


def slots_of(edges: np.ndarray, indptr: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
    """Slots (``1 +`` local out-edge index, 0 for none) of a ``[rows, n_nodes]`` edge table.

    Parameters
    ----------
    edges
        Global edge id per row and node, ``-1`` for none.
    indptr
        The graph's CSR offsets, ``int[n_nodes + 1]``.
    dtype
        Slot dtype from :func:`slot_dtype`.

    Raises
    ------
    ValueError
        If an edge does not leave the node of its column.
    """
    edges = np.asarray(edges)
    first = np.asarray(indptr[:-1], np.int64)[np.newaxis, :]
    degree = np.diff(np.asarray(indptr, np.int64))[np.newaxis, :]
    local = edges.astype(np.int64) - first
    has = edges >= 0
    if np.any(has & ((local < 0) | (local >= degree))):
        msg = "next-hop table: an edge does not leave the node of its column"
        raise ValueError(msg)
    return np.where(has, local + 1, 0).astype(dtype)


def compact_next_hop(next_edge: np.ndarray, indptr: np.ndarray) -> NextHop:
    """Compact a full ``int[n_targets, n_nodes]`` next-edge table (``-1``: none).

    Raises
    ------
    ValueError
        If the shapes disagree or an edge does not leave the node of its column.
    """
    next_edge = np.atleast_2d(np.asarray(next_edge))
    indptr = np.asarray(indptr)
    n_nodes = indptr.shape[0] - 1
    if next_edge.shape[1] != n_nodes:
        msg = f"next_edge has {next_edge.shape[1]} columns for a graph of {n_nodes} nodes"
        raise ValueError(msg)
    degree = int(np.diff(indptr).max()) if n_nodes else 0
    slot = slots_of(next_edge, indptr, slot_dtype(degree))
    return NextHop(np.ascontiguousarray(slot), np.ascontiguousarray(indptr[:-1], np.int32))


def expand_next_hop(nh: NextHop) -> np.ndarray:
    """Return the full ``int32[n_targets, n_nodes]`` next-edge table of ``nh`` (``-1``: none)."""
    slot = nh.slot.astype(np.int64)
    full = nh.first_edge.astype(np.int64)[np.newaxis, :] + slot - 1
    return np.where(slot > 0, full, -1).astype(np.int32)


@njit(cache=True, nogil=True, inline="always")
def next_hop(nh: NextHop, k: int, u: int) -> int:
    """Global id of the next edge from node ``u`` toward target ``k``; -1 when none.

    The compiled accessor of :class:`NextHop`; indices are not checked (kernels check
    ``k`` and ``u`` before they read).
    """
    s = nh.slot[k, u]
    if s == 0:
        return -1
    return nh.first_edge[u] + np.int64(s) - 1
