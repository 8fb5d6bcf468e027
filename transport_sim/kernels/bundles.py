"""Typed bundles: the few named arguments every compiled kernel takes.

A kernel used to take up to 91 positional arrays and scalars; two swapped arrays of the
same type passed every test, and parameters travelled as unnamed slots of float arrays.
Now each kernel takes a handful of :class:`typing.NamedTuple` bundles (Numba compiles
heterogeneous named tuples of arrays and scalars, caches them with ``cache=True`` and
reads a field as cheaply as a positional argument), and every parameter has a name.

The bundles hold the *same array objects* as the state they are built from (no copies),
so a kernel that mutates ``bundle.status`` mutates ``FleetState.status``.  They are
immutable and picklable (Dask ships them).  Rebuild a bundle when an array of its source
is replaced (the charging log grows by replacing its arrays).

This module is the one home for building them: each ``*_bundle`` function takes the
object whose attributes carry the bundle's field names (``FleetState``, ``ChargingState``,
``KernelGraph`` + ``Targets`` ...) and picks them by name.

Bundles
-------
:class:`FleetBundle`
    Per-vehicle arrays of :class:`~transport_sim.kernels.state.FleetState`.
:class:`LegBundle`
    The flat leg arrays of the same state.
:class:`NetBundle`
    The merged graph (CSR) and the next-hop tables toward every target.
:class:`SpecBundle`
    Per-spec energy factors.
:class:`TrafficBundle`
    Optional density-dependent congestion (switch, counts, jam sizes, floor).
:class:`DispatchBundle`
    Zone index, the day's taxi requests and the dispatch counters.
:class:`SiteTableBundle`, :class:`SiteBundle`, :class:`ChargeLogBundle`
    Charger site lookup tables, the live site/plug/queue state, the session log.
:class:`TaxiParams`, :class:`ChargeParams`
    Named scalar parameters (they replace the old ``taxi_params[0..3]`` and
    ``charge_params[0..5]`` slots).
:class:`DayBundle`
    Everything the fused tick loop :func:`transport_sim.kernels.day._run_ticks` needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from transport_sim.kernels.nexthop import NextHop

__all__ = [
    "COMPILED_ONLY",
    "PYTHON_ENTRY",
    "ChargeLogBundle",
    "ChargeParams",
    "DayBundle",
    "DispatchBundle",
    "FleetBundle",
    "LegBundle",
    "NetBundle",
    "SiteBundle",
    "SiteTableBundle",
    "SpecBundle",
    "TaxiParams",
    "TrafficBundle",
    "bundle_from",
    "charge_log_bundle",
    "dispatch_bundle",
    "fleet_bundle",
    "leg_bundle",
    "net_bundle",
    "site_bundle",
    "site_table_bundle",
    "spec_bundle",
    "traffic_off",
]


#: Numba options of a kernel called only from compiled code (its Python twin ``<name>_py``
#: is a one-line compiled entry).  Numba otherwise builds a CPython wrapper (unboxing every
#: array of every bundle) and a C wrapper for each kernel it compiles, even when only
#: compiled code calls it; with bundles those wrappers cost about a third of the cold
#: compile (measured by ``benchmarks/bench_compile.py``, see ``benchmarks/RESULTS.md``).
COMPILED_ONLY: Mapping[str, bool] = MappingProxyType(
    {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
)

#: Numba options of a kernel also called from Python (an entry point, or a helper its
#: tests call directly): it keeps its CPython wrapper but gets no C wrapper, which Numba
#: would otherwise build for every kernel and nothing in the package calls (no kernel's C
#: address is taken).
PYTHON_ENTRY: Mapping[str, bool] = MappingProxyType({"no_cfunc_wrapper": True})


class FleetBundle(NamedTuple):
    """Per-vehicle arrays (one row per vehicle), fields as in ``FleetState``."""

    fleet: np.ndarray  # int8
    spec: np.ndarray  # int16
    battery_kwh: np.ndarray  # float64
    max_speed_mps: np.ndarray  # float64
    max_charge_kw: np.ndarray  # float64
    dispatchable: np.ndarray  # bool
    dispatch_rank: np.ndarray  # int32
    status: np.ndarray  # int8
    node: np.ndarray  # int32
    edge: np.ndarray  # int32
    pos_m: np.ndarray  # float64
    leg: np.ndarray  # int32
    leg_begin: np.ndarray  # int32
    leg_end: np.ndarray  # int32
    wait_until_s: np.ndarray  # float64
    detour_target: np.ndarray  # int32
    soc_kwh: np.ndarray  # float64
    odometer_m: np.ndarray  # float64
    energy_kwh: np.ndarray  # float64
    tkm: np.ndarray  # float64
    trips: np.ndarray  # int32
    charge_site: np.ndarray  # int32
    queue_next: np.ndarray  # int32
    queue_enter_s: np.ndarray  # float64
    charged_kwh: np.ndarray  # float64
    grid_kwh: np.ndarray  # float64
    wait_s: np.ndarray  # float64


class LegBundle(NamedTuple):
    """The flat leg arrays (one row per leg), fields as in ``FleetState``."""

    leg_target: np.ndarray  # int32, target index
    leg_depart_s: np.ndarray  # float64, earliest departure, s since midnight
    leg_dwell_s: np.ndarray  # float64, stay at the target, s
    leg_payload_t: np.ndarray  # float64, tonnes carried
    leg_flags: np.ndarray  # int8, LEG_* bits


class NetBundle(NamedTuple):
    """Merged road + water graph and the next-hop tables toward every target.

    Graph fields as in ``KernelGraph``; ``target_node``, ``next_edge``,
    ``target_dist_m`` and ``target_time_s`` are ``Targets.node``, ``.next_edge``,
    ``.dist_m`` and ``.time_s``.
    """

    indptr: np.ndarray  # int32[n_nodes + 1]
    edge_head: np.ndarray  # int32[n_edges]
    edge_length_m: np.ndarray  # float64[n_edges]
    edge_speed_mps: np.ndarray  # float64[n_edges], free flow
    edge_class: np.ndarray  # int8[n_edges]
    target_node: np.ndarray  # int32[n_targets]
    next_edge: NextHop  # compact next-hop table, read with kernels.nexthop.next_hop
    target_dist_m: np.ndarray  # float32[n_targets, n_nodes]
    target_time_s: np.ndarray  # float32[n_targets, n_nodes]


class SpecBundle(NamedTuple):
    """Per-spec energy factors (``SpecTable``)."""

    kwh_per_m: np.ndarray  # float64[n_specs, n_road_classes], kWh/m when empty
    is_bev: np.ndarray  # bool[n_specs]
    kwh_per_m_per_t: np.ndarray  # float64[n_specs], kWh/(m t) of payload


class TrafficBundle(NamedTuple):
    """Density-dependent congestion of the movement kernel.

    With ``enabled`` False the kernel neither reads nor writes the arrays (they may be
    empty).
    """

    enabled: bool
    edge_count: np.ndarray  # int32[n_edges], vehicles on each edge (mutated)
    edge_jam_vehicles: np.ndarray  # float64[n_edges], vehicles at jam density, > 0
    min_speed_factor: float  # lower bound of the congestion factor, in (0, 1]


class DispatchBundle(NamedTuple):
    """Zone index (``DispatchIndex``), the day's requests (``TaxiRequests``), counters."""

    node_zone: np.ndarray  # int32[n_nodes]
    zone_lb_s: np.ndarray  # float64[n_targets, n_zones]
    zone_order: np.ndarray  # int32[n_targets, n_zones]
    req_time_s: np.ndarray  # float64[r], sorted
    req_origin: np.ndarray  # int32[r], target index
    req_dest: np.ndarray  # int32[r], target index
    req_state: np.ndarray  # int8[r], REQ_* (mutated)
    req_taxi: np.ndarray  # int32[r] (mutated)
    req_assign_s: np.ndarray  # float64[r] (mutated)
    cursor: np.ndarray  # int64[2] (mutated)
    counts: np.ndarray  # int64[2], [assigned, expired] in the last tick (overwritten)
    totals: np.ndarray  # int64[2], [assigned, expired] so far (the fused loop adds)


class SiteTableBundle(NamedTuple):
    """Charger site lookup tables (``SiteTables``)."""

    site_kind: np.ndarray  # int8[n_sites]
    site_target: np.ndarray  # int32[n_sites]
    site_mcs_site: np.ndarray  # int32[n_sites]
    site_at_node: np.ndarray  # int32[n_site_kinds, n_nodes]
    target_at_node: np.ndarray  # int32[n_nodes]


class SiteBundle(NamedTuple):
    """Live state of the charger sites, plugs and queues (``ChargingState`` minus the log)."""

    site_power_kw: np.ndarray  # float64[n_sites]
    site_plug_begin: np.ndarray  # int32[n_sites + 1]
    plug_vehicle: np.ndarray  # int32[n_plugs]
    plug_free_s: np.ndarray  # float64[n_plugs], scratch
    site_busy: np.ndarray  # int32[n_sites]
    site_queue_head: np.ndarray  # int32[n_sites]
    site_queue_tail: np.ndarray  # int32[n_sites]
    site_queue_len: np.ndarray  # int32[n_sites]
    site_sessions: np.ndarray  # int32[n_sites]
    site_energy_kwh: np.ndarray  # float64[n_sites]
    site_wait_s: np.ndarray  # float64[n_sites]
    site_busy_s: np.ndarray  # float64[n_sites]
    site_max_queue: np.ndarray  # int32[n_sites]
    site_hourly_queue_s: np.ndarray  # float64[n_sites, 24]
    site_hourly_busy_s: np.ndarray  # float64[n_sites, 24]
    session_row: np.ndarray  # int32[n_vehicles]


class ChargeLogBundle(NamedTuple):
    """The charging session log (``ChargingState.log_*``)."""

    log_site: np.ndarray  # int32[capacity]
    log_vehicle: np.ndarray  # int32[capacity]
    log_arrive_s: np.ndarray  # float64[capacity]
    log_start_s: np.ndarray  # float64[capacity]
    log_end_s: np.ndarray  # float64[capacity]
    log_energy_kwh: np.ndarray  # float64[capacity]
    log_count: np.ndarray  # int64[1], rows used


class TaxiParams(NamedTuple):
    """Taxi dispatch parameters (s and t)."""

    max_wait_s: float  # longest wait before an open request counts as unserved
    max_pickup_s: float  # longest free-flow drive to a pickup that is still assigned
    pickup_dwell_s: float  # stop at the pickup
    dropoff_dwell_s: float  # stop at the drop-off
    dropoff_payload_t: float  # tonnes carried on the drop-off leg (0: not in tkm)


class ChargeParams(NamedTuple):
    """Charging behaviour: shares of the battery and of full power."""

    charge_below_soc: float  # "low": SOC below this share of the battery
    charge_to_soc: float  # a session ends at this share
    taper_start_soc: float  # full power up to this share, then linear taper
    taper_floor: float  # power share at SOC 1
    charger_efficiency: float  # battery gain / grid energy
    truck_reserve_soc: float  # share kept in reserve when judging the next leg
    truck_min_gain_soc: float  # no top-up smaller than this share
    route_energy_margin: float  # x shortest-path energy when judging reach (>= 1)


class DayBundle(NamedTuple):
    """Every bundle of one representative day, for the fused tick loop."""

    vehicles: FleetBundle
    legs: LegBundle
    net: NetBundle
    specs: SpecBundle
    traffic: TrafficBundle
    speed_factors: np.ndarray  # float64[24, n_road_classes], time-of-day speed factors
    dispatch: DispatchBundle
    taxi: TaxiParams
    tables: SiteTableBundle
    sites: SiteBundle
    log: ChargeLogBundle
    charge: ChargeParams
    arrived: np.ndarray  # int8[n_vehicles], written by the movement kernel
    bev_rows: np.ndarray  # int64, the battery-electric rows (charging decisions visit)
    taxi_rows: np.ndarray  # int64, the dispatchable rows, ascending (dispatch visits)


# --------------------------------------------------------------------------------------
# builders (the one home for building bundles)
# --------------------------------------------------------------------------------------
def bundle_from(cls: type, source: Any, **named: Any) -> Any:
    """Return ``cls`` with each field taken from the attribute of ``source`` of that name.

    Fields given in ``named`` are taken from there instead (renamed or computed fields).
    The arrays are the source's own objects, not copies.

    Raises
    ------
    AttributeError
        When ``source`` lacks a field that ``named`` does not supply.
    """
    return cls(*(named[f] if f in named else getattr(source, f) for f in cls._fields))


def fleet_bundle(state: Any) -> FleetBundle:
    """Per-vehicle arrays of a ``FleetState``."""
    return bundle_from(FleetBundle, state)


def leg_bundle(state: Any) -> LegBundle:
    """Leg arrays of a ``FleetState``."""
    return bundle_from(LegBundle, state)


def net_bundle(graph: Any, targets: Any) -> NetBundle:
    """Graph arrays of a ``KernelGraph`` and next-hop tables of a ``Targets``."""
    return bundle_from(
        NetBundle,
        graph,
        target_node=targets.node,
        next_edge=targets.next_edge,
        target_dist_m=targets.dist_m,
        target_time_s=targets.time_s,
    )


def spec_bundle(specs: Any) -> SpecBundle:
    """Energy factors of a ``SpecTable`` (zero payload slope when it has none)."""
    return bundle_from(SpecBundle, specs, kwh_per_m_per_t=specs.payload_slope())


def traffic_off(n_edges: int = 0) -> TrafficBundle:
    """Congestion switched off (empty count arrays unless ``n_edges`` is given)."""
    return TrafficBundle(
        enabled=False,
        edge_count=np.zeros(int(n_edges), np.int32),
        edge_jam_vehicles=np.ones(int(n_edges), np.float64),
        min_speed_factor=1.0,
    )


def dispatch_bundle(
    index: Any, requests: Any, counts: np.ndarray | None = None, totals: np.ndarray | None = None
) -> DispatchBundle:
    """Zone index of a ``DispatchIndex``, requests of a ``TaxiRequests`` and counters.

    ``counts`` and ``totals`` (``int64[2]``) default to new zero arrays.
    """
    return bundle_from(
        DispatchBundle,
        index,
        req_time_s=requests.time_s,
        req_origin=requests.origin,
        req_dest=requests.dest,
        req_state=requests.state,
        req_taxi=requests.taxi,
        req_assign_s=requests.assign_s,
        cursor=requests.cursor,
        counts=np.zeros(2, np.int64) if counts is None else counts,
        totals=np.zeros(2, np.int64) if totals is None else totals,
    )


def site_table_bundle(tables: Any) -> SiteTableBundle:
    """Lookup tables of a ``SiteTables``."""
    return bundle_from(SiteTableBundle, tables)


def site_bundle(cs: Any) -> SiteBundle:
    """Site, plug and queue arrays of a ``ChargingState``."""
    return bundle_from(SiteBundle, cs)


def charge_log_bundle(cs: Any) -> ChargeLogBundle:
    """Session-log arrays of a ``ChargingState`` (rebuild after ``grow_log``)."""
    return bundle_from(ChargeLogBundle, cs)
