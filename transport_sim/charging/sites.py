"""Charger sites: kinds, plugs, power, access nodes and the fleets each site serves.

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

from transport_sim.charging.coverage import select_covered_service_areas
from transport_sim.codes import (
    BACKGROUND_FLEET,
    FLEETS,
    SITE_KINDS,
)
from transport_sim.io import round_half_up
from transport_sim.kernels.charging import (
    KIND_DEPOT,
    KIND_PORT,
    KIND_SERVICE_AREA,
    KIND_URBAN,
    N_SITE_KINDS,
    ChargingState,
    SiteTables,
)
from transport_sim.scenario.settings import ChargingSettings

if TYPE_CHECKING:
    from collections.abc import Sequence


#: Fleet bit masks of :attr:`ChargerSites.fleets` (bit ``1 << fleet code``).
_BIT = {name: 1 << i for i, name in enumerate((*FLEETS, BACKGROUND_FLEET))}
_KIND_FLEETS = {
    KIND_DEPOT: _BIT["bus"],
    KIND_URBAN: _BIT["taxi"] | _BIT["truck"],  # taxis and urban delivery trucks
    KIND_SERVICE_AREA: _BIT["truck"] | _BIT["car"],
    KIND_PORT: _BIT["ship"],
}

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


def hub_slots(weights: np.ndarray, count: int) -> list[tuple[int, int]]:
    """Place ``count`` urban hubs on candidates: ``(candidate index, hubs there)`` pairs.

    The candidates with the highest weight get a hub first.  When more hubs are asked
    than there are candidate locations (300 pilot hubs, 64 taxi-zone centres on the
    network), the locations host several hubs each, again busiest first (round robin in
    weight order), so every hub asked for is simulated with its plugs: a location with
    ``k`` hubs is one site with ``k`` times the plugs (sites cannot share an access node).
    Candidates of infinite weight (the logistics depots that always get a site) are
    never doubled.  Pairs come in weight order.
    """
    if count <= 0 or weights.size == 0:
        return []
    order = np.argsort(-weights, kind="stable")
    hubs = {int(i): 1 for i in order[:count]}
    public = [int(i) for i in order if np.isfinite(weights[i])]
    left = count - len(hubs)
    if left > 0 and not public:
        msg = f"{count} urban hubs asked, but no public hub location to host more than {len(hubs)}"
        raise ValueError(msg)
    for k in range(max(0, left)):
        hubs[public[k % len(public)]] += 1
    return list(hubs.items())


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
    for i, n_hubs in hub_slots(weights, settings.urban_hubs):
        hub = row(urban[i], KIND_URBAN, n_hubs * settings.urban_hub_plugs, settings.urban_power_kw)
        if n_hubs > 1:  # a location hosting several of the hubs asked for
            hub = replace(hub, name=f"{hub.name} ({n_hubs} hubs)")
        rows.append(hub)
    covered = select_covered_service_areas(
        service_areas, settings.service_area_coverage.at(year), settings.coverage_order,
        distances_km=service_area_distances_km,
    )
    sa_rows = [
        row(service_areas[i], KIND_SERVICE_AREA, settings.service_area_plugs,
            settings.service_area_power_kw)
        for i in covered
    ]
    mcs_plugs = round_half_up(settings.service_area_mcs_plugs.at(year))
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
