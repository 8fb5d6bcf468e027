"""FleetState: every simulated vehicle as struct-of-arrays, and the tables kernels read.

This module is the contract between the Python layers (demand, model, agents) and the
Numba kernels in :mod:`transport_sim.kernels`.  Kernels receive the arrays below as
arguments (never the dataclasses), mutate the per-vehicle arrays in place and return a
status code from :mod:`transport_sim.codes`.

Vocabulary
----------
graph
    One merged CSR graph of roads and reservoir water ways (disjoint node sets),
    see :class:`KernelGraph`.  Node and edge ids are contiguous int32 indices.
target
    A node that vehicles drive toward (bus stop or terminal, taxi zone centre, freight
    hub or gateway, port, charger site).  Row ``k`` of the next-hop tables
    (:class:`Targets`) gives, for every node ``u``, the first edge of the fastest path
    from ``u`` to target ``k`` and that path's length and free-flow time.
leg
    One movement of a vehicle's day plan: drive to ``leg_target``, not leaving before
    ``leg_depart_s``, then stay ``leg_dwell_s`` seconds.  A vehicle's legs are the
    contiguous slice ``leg_begin[v]:leg_end[v]`` of the flat leg arrays and ``leg[v]``
    is the current one.  Taxis get their legs from the dispatch kernel (two reserved
    slots each: pickup, drop-off).
detour
    A temporary target outside the plan (a charger site).  While ``detour_target[v]``
    is >= 0 the vehicle drives there instead of to its leg target; the charging kernel
    clears it when charging ends, and the vehicle resumes its current leg.

Units: metres, seconds, kWh, tonnes; names carry them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.codes import N_ROAD_CLASSES, STATUS_OFF

if TYPE_CHECKING:
    from transport_sim.kernels.nexthop import NextHop

#: Leg flag bits (``leg_flags``).
LEG_TRIP_END = 1  # arriving here completes a revenue trip (counted in ``trips``)
LEG_CHARGE_OK = 2  # the leg's target has chargers this fleet may use on arrival (terminals)
LEG_LAYOVER = 4  # bus layover at a terminal (opportunity charging allowed)
#: The leg ends where the vehicle leaves the modelled network (a gateway): it is outside
#: the region during its stay there and re-enters charged to ``charge_to_soc`` (it
#: charges outside, as trucks entering at a gateway start the day charged).
LEG_OFF_NETWORK = 8


@dataclass(frozen=True)
class KernelGraph:
    """Merged road + water CSR graph as the kernels see it.

    Attributes
    ----------
    indptr : int32[n_nodes + 1]
        Outgoing edges of node ``u`` are ``indptr[u]:indptr[u+1]``.
    edge_head, edge_tail : int32[n_edges]
    edge_length_m : float64[n_edges]
    edge_speed_mps : float64[n_edges]
        Free-flow speed (m/s); the movement kernel multiplies it by the time-of-day
        factor of the edge's class and caps it at the vehicle's ``max_speed_mps``.
    edge_class : int8[n_edges]
        Index into :data:`transport_sim.codes.ROAD_CLASSES`.
    """

    indptr: np.ndarray
    edge_head: np.ndarray
    edge_tail: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_mps: np.ndarray
    edge_class: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.indptr.shape[0] - 1)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.edge_head.shape[0])


@dataclass(frozen=True)
class Targets:
    """Next-hop tables toward every target node.

    Attributes
    ----------
    node : int32[n_targets]
        Graph node of each target.
    next_edge : NextHop
        First edge of the fastest path from node ``u`` toward target ``k``, compact
        (:class:`~transport_sim.kernels.nexthop.NextHop`: local out-edge index, 1-2 bytes
        an entry); kernels read it with :func:`~transport_sim.kernels.nexthop.next_hop`
        (-1 at the target itself or when unreachable), Python with ``next_edge.edge(k, u)``.
    dist_m, time_s : float32[n_targets, n_nodes]
        Length and free-flow time of that path (``inf`` when unreachable).
    """

    node: np.ndarray
    next_edge: NextHop
    dist_m: np.ndarray
    time_s: np.ndarray

    @property
    def n_targets(self) -> int:
        """Number of targets."""
        return int(self.node.shape[0])


@dataclass(frozen=True)
class SpecTable:
    """Per-spec constants: one row per (fleet, powertrain, size class) in the run.

    Attributes
    ----------
    kwh_per_m : float64[n_specs, n_road_classes]
        Final energy drawn per metre on each road class, kWh/m (battery energy for BEVs,
        fuel energy for combustion and fuel-cell vehicles).
    is_bev : bool[n_specs]
        True when the spec draws from a battery (SOC limited, can strand).
    kwh_per_m_per_t : float64[n_specs] or None
        Extra final energy per metre and tonne on board, kWh/(m t): a leg carrying
        ``p`` tonnes draws ``kwh_per_m[spec, class] + p x kwh_per_m_per_t[spec]`` per
        metre (``kwh_per_m`` is then the empty value).  ``None``: no payload effect.
    """

    kwh_per_m: np.ndarray
    is_bev: np.ndarray
    kwh_per_m_per_t: np.ndarray | None = None

    def payload_slope(self) -> np.ndarray:
        """Return ``kwh_per_m_per_t`` (zeros when not given), float64[n_specs]."""
        if self.kwh_per_m_per_t is None:
            return np.zeros(self.kwh_per_m.shape[0], np.float64)
        return np.ascontiguousarray(self.kwh_per_m_per_t, np.float64)

    @property
    def n_specs(self) -> int:
        """Number of specs."""
        return int(self.kwh_per_m.shape[0])


@dataclass
class FleetState:
    """Struct-of-arrays state of every simulated vehicle (one row per vehicle).

    Static per vehicle: ``fleet``, ``powertrain``, ``spec``, ``battery_kwh``,
    ``max_speed_mps``, ``leg_begin``, ``leg_end``.  Dynamic: the rest.  Legs live in
    the flat ``leg_*`` arrays.
    """

    # identity
    fleet: np.ndarray  # int8, index into codes.FLEETS
    powertrain: np.ndarray  # int8, index into codes.POWERTRAINS
    spec: np.ndarray  # int16, row of SpecTable
    battery_kwh: np.ndarray  # float64, 0 for vehicles without a traction battery
    max_speed_mps: np.ndarray  # float64, vehicle speed cap (ships: service speed)
    max_charge_kw: np.ndarray  # float64, highest charging power the vehicle accepts
    dispatchable: np.ndarray  # bool, True for taxis: IDLE (not DONE) when legs run out
    # int32, tie-break rank among equally close idle taxis (lower wins); the day plan
    # draws it from the run's generator so that row order never decides a dispatch
    dispatch_rank: np.ndarray
    # position
    status: np.ndarray  # int8, codes.STATUS_*
    node: np.ndarray  # int32, node at which the vehicle stands, or tail of `edge`
    edge: np.ndarray  # int32, current edge or -1 when standing at `node`
    pos_m: np.ndarray  # float64, metres travelled along `edge`
    # plan
    leg: np.ndarray  # int32, current leg (index into leg_* arrays)
    leg_begin: np.ndarray  # int32, first leg of the vehicle
    leg_end: np.ndarray  # int32, one past the last leg of the vehicle
    wait_until_s: np.ndarray  # float64, end of the current dwell (s since midnight)
    detour_target: np.ndarray  # int32, target index of a charger detour, or -1
    # energy
    soc_kwh: np.ndarray  # float64, battery state of charge (BEVs)
    # counters for the day
    odometer_m: np.ndarray  # float64, metres driven/sailed
    energy_kwh: np.ndarray  # float64, final energy drawn (battery or tank)
    tkm: np.ndarray  # float64, tonne-km carried
    trips: np.ndarray  # int32, revenue trips completed
    # charging
    charge_site: np.ndarray  # int32, site the vehicle queues/charges at, or -1
    queue_next: np.ndarray  # int32, next vehicle in the site's FIFO, or -1
    queue_enter_s: np.ndarray  # float64, time the vehicle joined the queue
    charged_kwh: np.ndarray  # float64, battery energy gained today
    grid_kwh: np.ndarray  # float64, energy drawn from chargers today (incl. losses)
    wait_s: np.ndarray  # float64, total time queued today
    # flat leg arrays
    leg_target: np.ndarray  # int32, target index
    leg_depart_s: np.ndarray  # float64, earliest departure (s since midnight)
    leg_dwell_s: np.ndarray  # float64, stay at the target after arrival
    leg_payload_t: np.ndarray  # float64, tonnes carried on the leg (tkm accounting)
    leg_flags: np.ndarray  # int8, LEG_* bits

    @property
    def n_vehicles(self) -> int:
        """Number of simulated vehicles."""
        return int(self.status.shape[0])

    @classmethod
    def allocate(cls, n_vehicles: int, n_legs: int) -> FleetState:
        """Return a zeroed state for ``n_vehicles`` vehicles and ``n_legs`` legs.

        Indices that mean "none" (edge, detour, charge site, queue link) start at -1,
        statuses at ``STATUS_OFF``.
        """
        n, m = int(n_vehicles), int(n_legs)
        return cls(
            fleet=np.zeros(n, np.int8),
            powertrain=np.zeros(n, np.int8),
            spec=np.zeros(n, np.int16),
            battery_kwh=np.zeros(n, np.float64),
            max_speed_mps=np.full(n, 40.0, np.float64),
            max_charge_kw=np.zeros(n, np.float64),
            dispatchable=np.zeros(n, np.bool_),
            dispatch_rank=np.arange(n, dtype=np.int32),
            status=np.full(n, STATUS_OFF, np.int8),
            node=np.zeros(n, np.int32),
            edge=np.full(n, -1, np.int32),
            pos_m=np.zeros(n, np.float64),
            leg=np.zeros(n, np.int32),
            leg_begin=np.zeros(n, np.int32),
            leg_end=np.zeros(n, np.int32),
            wait_until_s=np.zeros(n, np.float64),
            detour_target=np.full(n, -1, np.int32),
            soc_kwh=np.zeros(n, np.float64),
            odometer_m=np.zeros(n, np.float64),
            energy_kwh=np.zeros(n, np.float64),
            tkm=np.zeros(n, np.float64),
            trips=np.zeros(n, np.int32),
            charge_site=np.full(n, -1, np.int32),
            queue_next=np.full(n, -1, np.int32),
            queue_enter_s=np.zeros(n, np.float64),
            charged_kwh=np.zeros(n, np.float64),
            grid_kwh=np.zeros(n, np.float64),
            wait_s=np.zeros(n, np.float64),
            leg_target=np.zeros(m, np.int32),
            leg_depart_s=np.zeros(m, np.float64),
            leg_dwell_s=np.zeros(m, np.float64),
            leg_payload_t=np.zeros(m, np.float64),
            leg_flags=np.zeros(m, np.int8),
        )

    def copy(self) -> FleetState:
        """Return a deep copy (every array copied)."""
        return FleetState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def time_of_day_factors(hourly: dict[str, list[float]] | None = None) -> np.ndarray:
    """Return the speed factor table ``float64[24, n_road_classes]`` (1.0 = free flow).

    Parameters
    ----------
    hourly
        Optional per-class lists of 24 factors keyed by road-class name; classes not
        given stay at 1.0.
    """
    from transport_sim.codes import ROAD_CLASSES  # local: keep the module import-light

    table = np.ones((24, N_ROAD_CLASSES), np.float64)
    for name, values in (hourly or {}).items():
        table[:, ROAD_CLASSES.index(name)] = np.asarray(values, np.float64)
    return table
