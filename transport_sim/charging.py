"""Charger sites: plugs, coverage policy, background car demand and queue statistics.

Also re-exports the Erlang-C / sizing tools of :mod:`transport_sim.sizing`.

Sites
-----
:func:`build_sites` turns candidate locations (plain :class:`SiteCandidate` records with
graph node indices, coordinates and a traffic weight, so this module does not depend on
the network package's classes) into :class:`ChargerSites`:

* ``depot``: bus terminals and depots, ``ceil(depot_plugs_per_bus x BEV buses)`` plugs at
  ``depot_power_kw`` (no site when no BEV bus is assigned);
* ``urban``: the ``urban_hubs`` candidates with the highest weight (busiest taxi zone
  centres), ``urban_hub_plugs`` each at ``urban_power_kw``;
* ``service_area``: the share ``service_area_coverage.at(year)`` of the expressway
  service areas chosen by :func:`select_covered_service_areas`, ``service_area_plugs`` at
  ``service_area_power_kw``; when ``service_area_mcs_plugs.at(year)`` rounds to >= 1 a
  *companion site* (same access nodes, ``site_id + ":mcs"``, kind ``service_area``,
  trucks only) holds the megawatt plugs at ``mcs_power_kw``.  Trucks queue at the
  companion when it exists (one FIFO per plug type);
* ``port``: every port, ``port_plugs`` at ``port_power_kw`` (shore power).

A site may have several access nodes (a service area serves both carriageways; each
carriageway's access node maps to the same site, so both directions share the plugs and
one FIFO).  The model fills in the target index of every access node
(:meth:`ChargerSites.with_targets`) and builds the kernel lookup tables with
:meth:`ChargerSites.tables`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import minimum_spanning_tree

from transport_sim.codes import (
    BACKGROUND_FLEET,
    BACKGROUND_FLEET_CODE,
    FLEETS,
    POWERTRAINS,
    SITE_KINDS,
    STATUS_OFF,
)
from transport_sim.errors import ScenarioError, describe
from transport_sim.kernels.charging import (
    HOURS_PER_DAY,
    KIND_DEPOT,
    KIND_PORT,
    KIND_SERVICE_AREA,
    KIND_URBAN,
    N_SITE_KINDS,
    ChargingState,
    SiteTables,
)
from transport_sim.scenario import COVERAGE_ORDERS, ChargingSettings
from transport_sim.sizing import (
    QueueResult,
    ReplayResult,
    SizingResult,
    erlang_c_p_wait,
    erlang_c_wait_min,
    erlang_c_wait_quantile_min,
    plot_sizing,
    plugs_for_target,
    replay_queue,
    simulate_queue,
    size_sites,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from transport_sim.state import FleetState

__all__ = [
    "CAR_HOURLY_PROFILE",
    "BackgroundCars",
    "CandidateLike",
    "ChargerSites",
    "QueueResult",
    "ReplayResult",
    "SiteCandidate",
    "SizingResult",
    "build_sites",
    "coverage_ranking",
    "draw_background_cars",
    "erlang_c_p_wait",
    "erlang_c_wait_min",
    "erlang_c_wait_quantile_min",
    "fill_background_rows",
    "hourly_profile",
    "longest_gap_km",
    "network_distances_km",
    "plot_sizing",
    "plugs_for_target",
    "replay_queue",
    "select_covered_service_areas",
    "session_log_frame",
    "simulate_queue",
    "site_statistics",
    "size_sites",
]

#: Fleet bit masks of :attr:`ChargerSites.fleets` (bit ``1 << fleet code``).
_BIT = {name: 1 << i for i, name in enumerate((*FLEETS, BACKGROUND_FLEET))}
_KIND_FLEETS = {
    KIND_DEPOT: _BIT["bus"],
    KIND_URBAN: _BIT["taxi"] | _BIT["truck"],  # taxis and urban delivery trucks
    KIND_SERVICE_AREA: _BIT["truck"] | _BIT["car"],
    KIND_PORT: _BIT["ship"],
}
#: Relative arrival rate of private EV cars at expressway service-area chargers by hour
#: of day (estimate: low at night, midday and afternoon peaks; normalised to mean 1 when
#: used).  Not from a source; replace when charger session data are available.
CAR_HOURLY_PROFILE = (
    0.20, 0.15, 0.10, 0.10, 0.10, 0.20, 0.40, 0.70, 1.00, 1.30, 1.60, 1.70,
    1.60, 1.50, 1.60, 1.70, 1.60, 1.40, 1.20, 1.00, 0.80, 0.60, 0.40, 0.30,
)
#: Private EV car defaults (estimates: common 2023-25 Chinese BEV cars): battery (kWh),
#: energy taken per session (kWh, uniform, up to the scenario's charge_to_soc) and DC
#: acceptance (kW, uniform).
CAR_BATTERY_KWH = 60.0
CAR_NEED_KWH = (20.0, 45.0)
CAR_ACCEPT_KW = (100.0, 120.0)
_GAP_ROUND_KM = 1e-6


# --------------------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------------------
class CandidateLike(Protocol):
    """What :func:`build_sites` reads from a candidate (any object with these attributes).

    ``site_id`` is optional: without it the site id is ``"<kind>:<name>"`` (with
    ``"#2"``, ``"#3"``, ... appended to repeated names).
    """

    name: str
    nodes: tuple[int, ...]
    lon: float
    lat: float
    weight: float


@dataclass(frozen=True)
class SiteCandidate:
    """A place that may get chargers.

    Attributes
    ----------
    name
        Human-readable name.
    nodes
        Access node(s) in the merged graph (contiguous node indices).  A service area
        lists one node per carriageway; the node must be one that through traffic
        passes (trucks decide when that node is the next one on their path).
    lon, lat
        Coordinates (degrees, WGS84).
    weight
        Traffic weight: taxi requests of the zone (urban), vehicles per day passing
        (service areas); used to rank candidates.
    site_id
        Stable identifier, unique across all candidates (default ``"<kind>:<name>"``).
    """

    name: str
    nodes: tuple[int, ...]
    lon: float
    lat: float
    weight: float = 0.0
    site_id: str = ""

    def __post_init__(self) -> None:
        """Check the access nodes."""
        if len(self.nodes) == 0 or any(int(u) < 0 for u in self.nodes):
            msg = f"site candidate {self.name!r} needs >= 1 access node index >= 0"
            raise ValueError(msg)


@dataclass(frozen=True)
class ChargerSites:
    """Charger sites of one policy year as arrays (row = site).

    Attributes
    ----------
    site_id, name : tuple[str, ...]
    kind : int8[n_sites]
        Index into :data:`transport_sim.codes.SITE_KINDS`.
    node : int32[n_sites]
        Main access node (first of the candidate's nodes).
    lon, lat : float64[n_sites]
    plugs : int32[n_sites]
    power_kw : float64[n_sites]
        Power per plug.
    fleets : int16[n_sites]
        Bit mask of the fleets served (``1 << code``; the car bit is
        ``1 << BACKGROUND_FLEET_CODE``).
    mcs_site : int32[n_sites]
        Megawatt companion of a service area, or -1.
    target : int32[n_sites]
        Target index of ``node``; -1 until :meth:`with_targets`.
    access_site, access_node, access_target : int32[n_access]
        Every access node with its site and target (-1 until :meth:`with_targets`).
        Companion MCS sites have no access rows of their own.
    """

    site_id: tuple[str, ...]
    name: tuple[str, ...]
    kind: np.ndarray
    node: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    plugs: np.ndarray
    power_kw: np.ndarray
    fleets: np.ndarray
    mcs_site: np.ndarray
    target: np.ndarray
    access_site: np.ndarray
    access_node: np.ndarray
    access_target: np.ndarray

    def __post_init__(self) -> None:
        """Check lengths, unique ids, plugs and power."""
        n = len(self.site_id)
        for name in ("kind", "node", "lon", "lat", "plugs", "power_kw", "fleets", "mcs_site",
                     "target"):
            if getattr(self, name).shape != (n,):
                msg = f"ChargerSites.{name} must have {n} rows"
                raise ValueError(msg)
        if len(self.name) != n or len(set(self.site_id)) != n:
            msg = "ChargerSites needs one name per site and unique site ids"
            raise ValueError(msg)
        if n and (self.plugs.min() < 1 or not np.all(self.power_kw > 0.0)):
            msg = "every charger site needs >= 1 plug and a power > 0 kW"
            raise ValueError(msg)

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return len(self.site_id)

    def kind_names(self) -> list[str]:
        """Kind name of each site."""
        return [SITE_KINDS[k] for k in self.kind]

    def fleet_names(self) -> list[str]:
        """Fleets served by each site, e.g. ``"truck+car"``."""
        names = (*FLEETS, BACKGROUND_FLEET)
        return ["+".join(f for i, f in enumerate(names) if m >> i & 1) for m in self.fleets]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per site: site_id, name, kind, fleets, node, lon, lat, plugs, power_kw."""
        return pd.DataFrame({
            "site_id": list(self.site_id),
            "name": list(self.name),
            "kind": self.kind_names(),
            "fleets": self.fleet_names(),
            "node": self.node,
            "lon": self.lon,
            "lat": self.lat,
            "plugs": self.plugs,
            "power_kw": self.power_kw,
        })

    def with_targets(self, target_node: np.ndarray) -> ChargerSites:
        """Return a copy with the target index of every access node filled in.

        Parameters
        ----------
        target_node
            ``Targets.node``: graph node of each target.  Every access node must be a
            target (the model adds charger nodes to the targets).

        Raises
        ------
        ValueError
            If an access node is not a target.
        """
        target_node = np.asarray(target_node)
        lookup = {int(u): k for k, u in enumerate(target_node)}
        missing = [int(u) for u in self.access_node if int(u) not in lookup]
        if missing:
            msg = f"charger access nodes {missing[:5]} are not targets; add them to the targets"
            raise ValueError(msg)
        access_target = np.array([lookup[int(u)] for u in self.access_node], np.int32)
        target = np.array([lookup[int(u)] for u in self.node], np.int32)
        return replace(self, target=target, access_target=access_target)

    def with_plugs(self, plugs: Sequence[int] | np.ndarray) -> ChargerSites:
        """Return a copy with other plug counts (e.g. the sizing proposal)."""
        return replace(self, plugs=np.asarray(plugs, np.int32).copy())

    def tables(self, n_nodes: int, target_node: object | None = None) -> SiteTables:
        """Return the decision-kernel lookup tables for a graph of ``n_nodes`` nodes.

        Parameters
        ----------
        n_nodes
            Nodes of the merged graph.
        target_node
            Optional: fill in the targets first (see :meth:`with_targets`); either the
            ``Targets.node`` array or an object whose ``nodes()`` returns it (the
            model's target registry).

        Raises
        ------
        ValueError
            If targets are not filled in, a node index is out of range, or two sites of
            the same kind share an access node.
        """
        if target_node is not None:
            nodes = target_node.nodes() if hasattr(target_node, "nodes") else target_node
            return self.with_targets(np.asarray(nodes)).tables(n_nodes)
        if self.n_sites and (self.target.min() < 0 or self.access_target.min() < 0):
            msg = "fill in the targets first (ChargerSites.with_targets)"
            raise ValueError(msg)
        if self.access_node.size and self.access_node.max() >= n_nodes:
            msg = f"a charger access node is outside the graph ({n_nodes} nodes)"
            raise ValueError(msg)
        site_at_node = np.full((N_SITE_KINDS, n_nodes), -1, np.int32)
        target_at_node = np.full(n_nodes, -1, np.int32)
        for s, u, k in zip(self.access_site, self.access_node, self.access_target, strict=True):
            kind = self.kind[s]
            other = site_at_node[kind, u]
            if other >= 0 and other != s:
                msg = (
                    f"charger sites {self.site_id[other]!r} and {self.site_id[s]!r} share "
                    f"access node {u}; merge them"
                )
                raise ValueError(msg)
            site_at_node[kind, u] = s
            target_at_node[u] = k
        return SiteTables(
            site_kind=self.kind.astype(np.int8),
            site_target=self.target.astype(np.int32),
            site_mcs_site=self.mcs_site.astype(np.int32),
            site_at_node=site_at_node,
            target_at_node=target_at_node,
        )

    def charging_state(self, n_vehicles: int, log_capacity: int = 4096) -> ChargingState:
        """Return an empty :class:`ChargingState` for these sites."""
        return ChargingState.allocate(self.plugs, self.power_kw, n_vehicles, log_capacity)


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5 + 1e-12)


@dataclass(frozen=True)
class _Row:
    """One site while :func:`build_sites` assembles them."""

    cand: CandidateLike
    site_id: str
    name: str
    kind: int
    plugs: int
    power_kw: float
    fleets: int
    has_access: bool = True


def _site_id(cand: CandidateLike, kind: int, seen: dict[str, int]) -> str:
    given = getattr(cand, "site_id", "")
    base = given or f"{SITE_KINDS[kind]}:{cand.name}"
    seen[base] = seen.get(base, 0) + 1
    if seen[base] == 1 or given:
        return base
    return f"{base}#{seen[base]}"


def build_sites(
    depots: Sequence[CandidateLike],
    urban: Sequence[CandidateLike],
    service_areas: Sequence[CandidateLike],
    ports: Sequence[CandidateLike],
    settings: ChargingSettings,
    year: int,
    bev_buses_per_depot: Sequence[int] | np.ndarray,
    *,
    service_area_distances_km: np.ndarray | None = None,
) -> ChargerSites:
    """Build the charger sites of ``year`` from candidates and the charging settings.

    Parameters
    ----------
    depots
        Bus terminals and depots.
    urban
        Urban hub candidates (taxi zone centres, weight = demand).
    service_areas
        Expressway service-area candidates (weight = passing traffic).
    ports
        Reservoir ports.
    settings
        The scenario's ``[charging]`` section.
    year
        Policy year (coverage and MCS curves are read at this year).
    bev_buses_per_depot
        BEV buses assigned to each depot candidate (same order as ``depots``).
    service_area_distances_km
        Network distances (km) between service areas and gateways, required when
        ``settings.coverage_order == "gap"`` (see :func:`select_covered_service_areas`).

    Returns
    -------
    ChargerSites
        Depots, urban hubs, covered service areas, their MCS companions, ports, in that
        order; targets not yet filled in.

    Raises
    ------
    ValueError
        On mismatched inputs or duplicate site ids.
    """
    buses = np.asarray(bev_buses_per_depot, np.float64)
    if buses.shape != (len(depots),) or (buses.size and buses.min() < 0):
        msg = "bev_buses_per_depot needs one count >= 0 per depot candidate"
        raise ValueError(msg)
    seen: dict[str, int] = {}

    def row(cand: CandidateLike, kind: int, plugs: int, power_kw: float) -> _Row:
        return _Row(cand, _site_id(cand, kind, seen), cand.name, kind, plugs, power_kw,
                    _KIND_FLEETS[kind])

    rows = [
        row(cand, KIND_DEPOT, math.ceil(settings.depot_plugs_per_bus * n_bus - 1e-9),
            settings.depot_power_kw)
        for cand, n_bus in zip(depots, buses, strict=True)
    ]
    rows = [r for r in rows if r.plugs >= 1]  # no BEV bus assigned: no chargers
    weights = np.array([c.weight for c in urban], np.float64)
    rows.extend(
        row(urban[i], KIND_URBAN, settings.urban_hub_plugs, settings.urban_power_kw)
        for i in np.argsort(-weights, kind="stable")[: settings.urban_hubs]
    )
    covered = select_covered_service_areas(
        service_areas, settings.service_area_coverage.at(year), settings.coverage_order,
        distances_km=service_area_distances_km,
    )
    sa_rows = [
        row(service_areas[i], KIND_SERVICE_AREA, settings.service_area_plugs,
            settings.service_area_power_kw)
        for i in covered
    ]
    mcs_plugs = _round_half_up(settings.service_area_mcs_plugs.at(year))
    mcs_rows = [
        _Row(r.cand, f"{r.site_id}:mcs", f"{r.name} (MCS)", KIND_SERVICE_AREA, mcs_plugs,
             settings.mcs_power_kw, _BIT["truck"], has_access=False)
        for r in sa_rows
    ] if mcs_plugs >= 1 else []
    port_rows = [row(c, KIND_PORT, settings.port_plugs, settings.port_power_kw) for c in ports]
    first_sa = len(rows)
    all_rows = [*rows, *sa_rows, *mcs_rows, *port_rows]
    site_ids = [r.site_id for r in all_rows]
    if len(set(site_ids)) != len(site_ids):
        dup = sorted({i for i in site_ids if site_ids.count(i) > 1})
        msg = f"duplicate charger site ids: {dup[:5]}"
        raise ValueError(msg)
    n = len(all_rows)
    mcs_site = np.full(n, -1, np.int32)
    if mcs_rows:
        first_mcs = first_sa + len(sa_rows)
        mcs_site[first_sa:first_mcs] = np.arange(first_mcs, first_mcs + len(mcs_rows))
    access = [
        (s, u)
        for s, r in enumerate(all_rows) if r.has_access
        for u in dict.fromkeys(int(u) for u in r.cand.nodes)  # MCS companions share them
    ]
    return ChargerSites(
        site_id=tuple(site_ids),
        name=tuple(r.name for r in all_rows),
        kind=np.array([r.kind for r in all_rows], np.int8),
        node=np.array([int(r.cand.nodes[0]) for r in all_rows], np.int32),
        lon=np.array([r.cand.lon for r in all_rows], np.float64),
        lat=np.array([r.cand.lat for r in all_rows], np.float64),
        plugs=np.array([r.plugs for r in all_rows], np.int32),
        power_kw=np.array([r.power_kw for r in all_rows], np.float64),
        fleets=np.array([r.fleets for r in all_rows], np.int16),
        mcs_site=mcs_site,
        target=np.full(n, -1, np.int32),
        access_site=np.array([a[0] for a in access], np.int32),
        access_node=np.array([a[1] for a in access], np.int32),
        access_target=np.full(len(access), -1, np.int32),
    )


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
            out[i, j] = float(sub.min()) / 1000.0
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
    n_cover = _round_half_up(share * len(candidates))
    if n_cover == 0:
        return np.zeros(0, np.int64)
    return coverage_ranking(order, w, distances_km)[:n_cover]


# --------------------------------------------------------------------------------------
# background private EV cars
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackgroundCars:
    """Private EV cars that charge at service areas on the simulated day (row = car).

    Attributes
    ----------
    site : int32[n]
        Charger site.
    arrive_s : float64[n]
        Arrival at the site (s since midnight), sorted.
    need_kwh : float64[n]
        Battery energy taken (to the scenario's ``charge_to_soc``).
    battery_kwh, max_charge_kw : float64[n]
    """

    site: np.ndarray
    arrive_s: np.ndarray
    need_kwh: np.ndarray
    battery_kwh: np.ndarray
    max_charge_kw: np.ndarray

    @property
    def n_cars(self) -> int:
        """Number of cars."""
        return int(self.site.shape[0])


def draw_background_cars(
    rng: np.random.Generator,
    sites: ChargerSites,
    settings: ChargingSettings,
    day_type: str,
    *,
    hourly_profile: Sequence[float] = CAR_HOURLY_PROFILE,
    battery_kwh: float = CAR_BATTERY_KWH,
    need_kwh: tuple[float, float] = CAR_NEED_KWH,
    accept_kw: tuple[float, float] = CAR_ACCEPT_KW,
) -> BackgroundCars:
    """Draw the day's private EV cars charging at service areas.

    Each site that serves cars gets a non-homogeneous Poisson stream:
    ``car_ev_arrivals_per_h x profile[hour]`` arrivals per hour (profile normalised to
    mean 1, so ``car_ev_arrivals_per_h`` is the daily mean rate), multiplied by
    ``holiday_car_multiplier`` on a holiday; arrival times uniform within each hour.
    Energy need and acceptance are uniform (estimates, see ``CAR_*``); the need is
    capped at ``charge_to_soc x battery_kwh``.  Every draw comes from ``rng``.

    Raises
    ------
    ScenarioError
        On an unknown day type.
    """
    if day_type not in ("weekday", "holiday"):
        raise ScenarioError(
            describe(None, "run.day_types", day_type, "accepted: weekday, holiday")
        )
    profile = np.asarray(hourly_profile, np.float64)
    if profile.shape != (HOURS_PER_DAY,) or profile.min() < 0 or profile.sum() <= 0:
        msg = "hourly_profile needs 24 non-negative values, not all 0"
        raise ValueError(msg)
    profile = profile / profile.mean()
    car_sites = np.flatnonzero((sites.fleets.astype(np.int64) >> BACKGROUND_FLEET_CODE) & 1)
    rate = settings.car_ev_arrivals_per_h * (
        settings.holiday_car_multiplier if day_type == "holiday" else 1.0
    )
    counts = rng.poisson(rate * profile[None, :], size=(car_sites.size, HOURS_PER_DAY))
    site = np.repeat(np.repeat(car_sites, HOURS_PER_DAY), counts.ravel()).astype(np.int32)
    hour = np.repeat(np.tile(np.arange(HOURS_PER_DAY), car_sites.size), counts.ravel())
    arrive = (hour + rng.uniform(0.0, 1.0, site.size)) * 3600.0
    need = rng.uniform(need_kwh[0], need_kwh[1], site.size)
    accept = rng.uniform(accept_kw[0], accept_kw[1], site.size)
    order = np.argsort(arrive, kind="stable")
    cap = settings.charge_to_soc * battery_kwh
    return BackgroundCars(
        site=site[order],
        arrive_s=arrive[order],
        need_kwh=np.minimum(need[order], cap),
        battery_kwh=np.full(site.size, battery_kwh),
        max_charge_kw=accept[order],
    )


def fill_background_rows(
    state: FleetState,
    first_row: int,
    cars: BackgroundCars,
    sites: ChargerSites,
    charge_to_soc: float,
) -> None:
    """Write ``cars`` into rows ``first_row : first_row + n_cars`` of ``state``.

    Each row: fleet ``BACKGROUND_FLEET_CODE``, powertrain ``bev``, status ``STATUS_OFF``,
    standing at the site's main node, ``charge_site`` set, arrival in ``wait_until_s``
    and SOC ``charge_to_soc x battery - need``.  The charging kernel queues the car when
    its arrival time comes and marks it ``STATUS_DONE`` when it leaves.

    Raises
    ------
    ValueError
        If the rows do not fit.
    """
    n = cars.n_cars
    rows = slice(int(first_row), int(first_row) + n)
    if first_row < 0 or first_row + n > state.n_vehicles:
        msg = f"{n} background cars do not fit from row {first_row} ({state.n_vehicles} rows)"
        raise ValueError(msg)
    state.fleet[rows] = BACKGROUND_FLEET_CODE
    state.powertrain[rows] = POWERTRAINS.index("bev")
    state.status[rows] = STATUS_OFF
    state.battery_kwh[rows] = cars.battery_kwh
    state.max_charge_kw[rows] = cars.max_charge_kw
    state.soc_kwh[rows] = np.maximum(charge_to_soc * cars.battery_kwh - cars.need_kwh, 0.0)
    state.node[rows] = sites.node[cars.site]
    state.edge[rows] = -1
    state.charge_site[rows] = cars.site
    state.detour_target[rows] = -1
    state.wait_until_s[rows] = cars.arrive_s
    state.leg[rows] = 0
    state.leg_begin[rows] = 0
    state.leg_end[rows] = 0


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------
def session_log_frame(
    cs: ChargingState, sites: ChargerSites, fleet: np.ndarray | None = None
) -> pd.DataFrame:
    """Return the session log: one row per queue arrival.

    Columns: site_id, kind, vehicle, (fleet name when ``fleet`` codes are given),
    arrive_s, start_s, end_s (NaN: never plugged in / still charging), wait_min (NaN
    when never plugged in), energy_kwh (grid energy).
    """
    k = cs.n_sessions_logged
    site = cs.log_site[:k]
    vehicle = cs.log_vehicle[:k]
    data: dict[str, object] = {
        "site_id": np.array(sites.site_id, dtype=object)[site] if k else np.array([], object),
        "kind": np.array(sites.kind_names(), dtype=object)[site] if k else np.array([], object),
        "vehicle": vehicle.copy(),
    }
    if fleet is not None:
        names = np.array((*FLEETS, BACKGROUND_FLEET), dtype=object)
        data["fleet"] = names[np.asarray(fleet)[vehicle]]
    data |= {
        "arrive_s": cs.log_arrive_s[:k].copy(),
        "start_s": cs.log_start_s[:k].copy(),
        "end_s": cs.log_end_s[:k].copy(),
        "wait_min": (cs.log_start_s[:k] - cs.log_arrive_s[:k]) / 60.0,
        "energy_kwh": cs.log_energy_kwh[:k].copy(),
    }
    return pd.DataFrame(data)


SITE_STAT_COLUMNS = (
    "year", "day_type", "site_id", "name", "kind", "lon", "lat", "plugs", "power_kw",
    "sessions", "energy_kwh", "utilisation", "wait_mean_min", "wait_p95_min", "max_queue",
)


def site_statistics(
    cs: ChargingState,
    sites: ChargerSites,
    year: int,
    day_type: str,
    *,
    day_end_s: float = 86_400.0,
) -> pd.DataFrame:
    """Return per-site queue statistics of the simulated day.

    Columns :data:`SITE_STAT_COLUMNS`: sessions started, grid energy (kWh), utilisation
    (busy plug-hours / (plugs x day length, 24 h by default)), mean and 95th-percentile
    wait (minutes) and the longest queue.  Customers still queued at ``day_end_s`` count
    with their wait up to then (a lower bound), so an overloaded site is not reported as quiet.
    """
    k = cs.n_sessions_logged
    start = cs.log_start_s[:k]
    waits = np.where(np.isfinite(start), start, np.maximum(day_end_s, cs.log_arrive_s[:k]))
    waits_min = (waits - cs.log_arrive_s[:k]) / 60.0
    wait_mean = np.zeros(sites.n_sites)
    wait_p95 = np.zeros(sites.n_sites)
    for s in range(sites.n_sites):
        w = waits_min[cs.log_site[:k] == s]
        if w.size:
            wait_mean[s] = w.mean()
            wait_p95[s] = np.percentile(w, 95)
    return pd.DataFrame({
        "year": np.full(sites.n_sites, int(year)),
        "day_type": [day_type] * sites.n_sites,
        "site_id": list(sites.site_id),
        "name": list(sites.name),
        "kind": sites.kind_names(),
        "lon": sites.lon,
        "lat": sites.lat,
        "plugs": sites.plugs,
        "power_kw": sites.power_kw,
        "sessions": cs.site_sessions.astype(np.int64),
        "energy_kwh": cs.site_energy_kwh.copy(),
        "utilisation": cs.site_busy_s / (sites.plugs * day_end_s),
        "wait_mean_min": wait_mean,
        "wait_p95_min": wait_p95,
        "max_queue": cs.site_max_queue.astype(np.int64),
    }, columns=list(SITE_STAT_COLUMNS))


def hourly_profile(cs: ChargingState, sites: ChargerSites) -> pd.DataFrame:
    """Return the hourly profile as a long table: site_id, hour, mean_queue, busy_plugs.

    ``mean_queue`` is the time-averaged number of vehicles waiting in that hour,
    ``busy_plugs`` the time-averaged number of plugs in use (plug-hours per hour).
    """
    n = sites.n_sites
    return pd.DataFrame({
        "site_id": np.repeat(np.array(sites.site_id, dtype=object), HOURS_PER_DAY),
        "hour": np.tile(np.arange(HOURS_PER_DAY), n),
        "mean_queue": (cs.site_hourly_queue_s / 3600.0).ravel(),
        "busy_plugs": (cs.site_hourly_busy_s / 3600.0).ravel(),
    })
