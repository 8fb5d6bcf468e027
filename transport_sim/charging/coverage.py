"""Which expressway service areas get chargers: by traffic, or closing the longest gaps."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree

from transport_sim.errors import ScenarioError, describe
from transport_sim.io import round_half_up
from transport_sim.scenario.settings import COVERAGE_ORDERS
from transport_sim.units import M_PER_KM

if TYPE_CHECKING:
    from collections.abc import Sequence

    from transport_sim.charging.sites import CandidateLike



_GAP_ROUND_KM = 1e-6

# --------------------------------------------------------------------------------------
# coverage policy
# --------------------------------------------------------------------------------------
def _symmetric(distances_km: np.ndarray) -> np.ndarray:
    d = np.asarray(distances_km, np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        msg = "distances_km must be a square matrix"
        raise ValueError(msg)
    d = np.minimum(d, d.T)
    np.fill_diagonal(d, 0.0)
    return d


def _mst_edges_desc(points: list[int], dist: np.ndarray) -> tuple[float, ...]:
    """Edge lengths of the minimum spanning tree of ``points``, longest first."""
    if len(points) < 2:
        return ()
    sub = dist[np.ix_(points, points)]
    finite = np.isfinite(sub)
    big = (sub[finite].max() if finite.any() else 1.0) * 10.0 + 1.0
    # csgraph treats 0 as "no edge": shift every edge by 1 km, then shift back
    dense = np.where(finite, sub, big) + 1.0
    np.fill_diagonal(dense, 0.0)
    tree = minimum_spanning_tree(dense).toarray()
    edges = tree[tree > 0.0] - 1.0
    edges = np.where(edges >= big - 1e-9, np.inf, edges)
    rounded = (
        round(float(e) / _GAP_ROUND_KM) * _GAP_ROUND_KM if np.isfinite(e) else math.inf
        for e in edges
    )
    return tuple(sorted(rounded, reverse=True))


def network_distances_km(
    points: Sequence[Sequence[int]],
    target_node: np.ndarray,
    dist_m: np.ndarray,
) -> np.ndarray:
    """Return network distances (km) between points, for the ``"gap"`` coverage order.

    Parameters
    ----------
    points
        Access nodes of each point: the service-area candidates (all carriageways), then
        the gateways (expressway exits at the network boundary), one list per point.
    target_node
        ``Targets.node``; every access node must be a target.
    dist_m
        ``Targets.dist_m`` (``[target, node]``, metres).

    Returns
    -------
    numpy.ndarray
        ``[n_points, n_points]``: the shortest distance from any access node of ``i`` to
        any access node of ``j`` (``inf`` when unreachable).

    Raises
    ------
    ValueError
        If an access node is not a target.
    """
    lookup = {int(u): k for k, u in enumerate(np.asarray(target_node))}
    missing = [int(u) for p in points for u in p if int(u) not in lookup]
    if missing:
        msg = f"access nodes {missing[:5]} are not targets"
        raise ValueError(msg)
    n = len(points)
    out = np.full((n, n), np.inf)
    for j, pj in enumerate(points):
        rows = [lookup[int(u)] for u in pj]
        for i, pi in enumerate(points):
            sub = np.asarray(dist_m)[np.ix_(rows, [int(u) for u in pi])]
            out[i, j] = float(sub.min()) / M_PER_KM
    return out


def longest_gap_km(selected: Sequence[int], distances_km: np.ndarray, n_candidates: int) -> float:
    """Return the longest gap (km) between charged service areas and gateways.

    The gap is the longest edge of the minimum spanning tree over the charged areas and
    the gateways (rows ``n_candidates:`` of ``distances_km``): the longest stretch a
    vehicle must cover between two charging points.  Along one corridor this is exactly
    the longest distance between consecutive charged points.  ``inf`` when a charged
    point is unreachable; 0 with fewer than two points.
    """
    dist = _symmetric(distances_km)
    points = [int(i) for i in selected] + list(range(n_candidates, dist.shape[0]))
    edges = _mst_edges_desc(points, dist)
    return edges[0] if edges else 0.0


def coverage_ranking(
    order: str,
    traffic: np.ndarray,
    distances_km: np.ndarray | None = None,
) -> np.ndarray:
    """Return the order in which service areas get chargers (indices, first = first).

    Parameters
    ----------
    order
        ``"traffic"``: highest traffic first (ties: lower index).  ``"gap"``: greedy; each
        step adds the area that leaves the smallest longest gap
        (:func:`longest_gap_km`); ties are broken by the next-longest gaps, then by
        traffic, then by index.
    traffic
        Traffic weight per candidate.
    distances_km
        Square matrix of network distances (km) over the candidates followed by the
        gateways (points where traffic enters the network, treated as charged), needed
        for ``"gap"``; symmetrised as ``min(d, d.T)`` (carriageways differ slightly).

    Raises
    ------
    ScenarioError
        On an unknown order.
    ValueError
        When ``"gap"`` lacks a matching distance matrix.
    """
    w = np.asarray(traffic, np.float64)
    n = w.shape[0]
    if order not in COVERAGE_ORDERS:
        raise ScenarioError(
            describe(None, "charging.coverage_order", order,
                     f"accepted: {', '.join(COVERAGE_ORDERS)}")
        )
    if order == "traffic":
        return np.argsort(-w, kind="stable").astype(np.int64)
    if distances_km is None:
        msg = "coverage_order 'gap' needs the service-area distance matrix"
        raise ValueError(msg)
    dist = _symmetric(distances_km)
    if dist.shape[0] < n:
        msg = "distances_km must cover every candidate (then the gateways)"
        raise ValueError(msg)
    gateways = list(range(n, dist.shape[0]))
    chosen: list[int] = []
    left = list(range(n))
    while left:
        best = min(
            left,
            key=lambda c: (_mst_edges_desc([*chosen, c, *gateways], dist), -w[c], c),
        )
        chosen.append(best)
        left.remove(best)
    return np.array(chosen, np.int64)


def select_covered_service_areas(
    candidates: Sequence[CandidateLike],
    share: float,
    order: str,
    traffic: np.ndarray | None = None,
    distances_km: np.ndarray | None = None,
) -> np.ndarray:
    """Return the indices of the service areas that get chargers, in ranking order.

    The first ``round(share x n)`` areas of :func:`coverage_ranking` (halves round up), so
    the set at a higher share always contains the set at a lower share.

    Parameters
    ----------
    candidates
        Service-area candidates.
    share
        Share of areas with chargers, in [0, 1].
    order
        ``"traffic"`` or ``"gap"`` (see :func:`coverage_ranking`).
    traffic
        Traffic weights (default: each candidate's ``weight``).
    distances_km
        Distance matrix for ``"gap"`` (candidates, then gateways).

    Raises
    ------
    ScenarioError
        On a share outside [0, 1] or an unknown order.
    """
    if not 0.0 <= share <= 1.0:
        raise ScenarioError(
            describe(None, "charging.service_area_coverage", share, "must be in [0, 1]")
        )
    w = (np.array([c.weight for c in candidates], np.float64) if traffic is None
         else np.asarray(traffic, np.float64))
    if w.shape != (len(candidates),):
        msg = "traffic needs one weight per candidate"
        raise ValueError(msg)
    n_cover = round_half_up(share * len(candidates))
    if n_cover == 0:
        return np.zeros(0, np.int64)
    return coverage_ranking(order, w, distances_km)[:n_cover]
