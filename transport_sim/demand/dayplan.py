"""Turn one policy year's stock into one representative day's FleetState.

For a (year, day type) the simulated vehicles are drawn from the year's stock: each
fleet's count (stock x availability x day-type activity x ``run.vehicle_scale``) is split
over (size class, powertrain) in proportion to the stock with largest-remainder
rounding, then shuffled with the run's generator.  The legs come from
:mod:`transport_sim.demand.generators`, the specs from the fleet file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from transport_sim.charging.private_cars import fill_background_rows
from transport_sim.codes import (
    FLEETS,
    N_ROAD_CLASSES,
    POWERTRAINS,
    ROAD_CLASS_WATER,
    STATUS_OFF,
    THROUGH_FLEET,
)
from transport_sim.demand.context import OD_DRAYAGE, OD_LONG_HAUL, OD_REGIONAL, OD_THROUGH
from transport_sim.demand.generators import (
    LegBlock,
    bus_day,
    concat_blocks,
    delivery_tours,
    ship_day,
    taxi_day,
    taxi_requests,
    truck_day,
)
from transport_sim.errors import FleetError, describe
from transport_sim.fleets.specs import ship_kwh_per_km
from transport_sim.io import largest_remainder
from transport_sim.kernels.dispatch import TaxiRequests
from transport_sim.kernels.state import LEG_OFF_NETWORK, FleetState, SpecTable
from transport_sim.units import KPH_PER_MPS, M_PER_KM, SECONDS_PER_MINUTE

if TYPE_CHECKING:
    from transport_sim.charging.private_cars import BackgroundCars
    from transport_sim.charging.sites import ChargerSites
    from transport_sim.demand.context import RunContext
    from transport_sim.fleets.calibration import Calibration
    from transport_sim.fleets.specs import (
        FleetDefinition,
        FleetSpec,
        PowertrainSpec,
        SizeClassSpec,
    )
    from transport_sim.scenario.settings import Scenario

KWH_PER_M = 1.0 / M_PER_KM
#: Freight role of a simulated truck (``DayPlan.freight_role``).
ROLE_SHIYAN, ROLE_THROUGH, ROLE_DRAYAGE = 0, 1, 2
# Truck classes by rated payload (calibration file [demand]): below urban_payload_t they
# run urban delivery tours from the logistics hubs and plants; from long_haul_payload_t
# they haul through the expressway gateways; in between, regional trips between hubs,
# plants and towns.


@dataclass
class DayPlan:
    """Everything one representative day needs besides the shared context.

    Attributes
    ----------
    state
        One row per simulated vehicle (plus background charging customers at the end).
    specs
        Energy table; row ``k`` is ``spec_keys[k]`` = (fleet, size class, powertrain).
    vehicle_scale
        Per fleet: how many real vehicles (or trips) one simulated vehicle stands for.
    """

    year: int
    day_type: str
    state: FleetState
    specs: SpecTable
    spec_keys: list[tuple[str, str, str]]
    size_class: np.ndarray
    requests: TaxiRequests
    vehicle_scale: dict[str, float]
    n_vehicles: int  # simulated fleet vehicles (background customers excluded)
    fleet_ranges: np.ndarray  # int64[n_fleets, 2]: rows [begin, end) of each fleet
    bev_rows: np.ndarray  # int64: rows of the battery-electric vehicles (charging decisions)
    stock: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # (fleet, powertrain) -> vehicles
    start_node: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int32)
    )  # int32[n_vehicles]: node each fleet vehicle starts the day at
    freight_role: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int8)
    )  # int8[n_vehicles]: ROLE_SHIYAN, ROLE_THROUGH (national mix) or ROLE_DRAYAGE


def stock_cells(stock: pd.DataFrame, year: int, fleet: str) -> list[tuple[str, str, int]]:
    """Return ``[(size_class, powertrain, vehicles)]`` of ``fleet`` in ``year`` (sorted)."""
    rows = stock[(stock["year"] == year) & (stock["fleet"] == fleet)]
    grouped = rows.groupby(["size_class", "powertrain"], sort=True)["vehicles"].sum()
    return [(c, p, int(n)) for (c, p), n in grouped.items() if n > 0]


def allocate(
    cells: list[tuple[str, str, int]], n: int, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """Split ``n`` simulated vehicles over stock cells proportionally, in random order."""
    total = sum(c[2] for c in cells)
    if n <= 0 or total == 0:
        return []
    counts = largest_remainder([n * c[2] / total for c in cells], n)
    out = [(c[0], c[1]) for c, k in zip(cells, counts, strict=True) for _ in range(k)]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def _spec_row(spec: PowertrainSpec, fleet: str, ship_speed_kph: float) -> np.ndarray:
    row = np.asarray(spec.kwh_per_km_by_class, np.float64) * KWH_PER_M
    if fleet == "ship":
        row = np.zeros(N_ROAD_CLASSES)
        row[ROAD_CLASS_WATER] = ship_kwh_per_km(spec, ship_speed_kph) * KWH_PER_M
    return row


def build_day_plan(  # noqa: PLR0912
    context: RunContext,
    scenario: Scenario,
    fleet_def: FleetDefinition,
    stock: pd.DataFrame,
    road_tonnes_per_day: float,
    year: int,
    day_type: str,
    rng: np.random.Generator,
    background: BackgroundCars | None = None,
    sites: ChargerSites | None = None,
    *,
    calibration: Calibration | None = None,
    road_tonnes_by_class: dict[str, float] | None = None,
    through_tonnes_per_day: float = 0.0,
    drayage_tonnes_per_day: float = 0.0,
) -> DayPlan:
    """Build the representative day of ``year`` / ``day_type``.

    Parameters
    ----------
    stock
        Stock table (one row per year, fleet, size class, powertrain, ... with
        ``vehicles``).  Bus and taxi stocks already follow the passenger levers
        (:func:`transport_sim.policy.turnover.stock_factor`), so service and requests scale
        with the vehicles in service.
    road_tonnes_per_day
        Road freight tonnage of an average operating day, t.
    background, sites
        Private EV cars charging at service areas (rows appended after the fleets) and
        the year's charger sites they use.
    calibration
        Availability, demand parameters and fitted values (default: the scenario's
        calibration file).
    road_tonnes_by_class
        Road tonnes of a plain operating day by truck class (rail takes long haul only,
        :func:`transport_sim.policy.turnover.road_class_tonnes_per_operating_day`);
        default: ``road_tonnes_per_day`` split by the fleet file's class shares.
    through_tonnes_per_day
        Through traffic of a plain operating day, t: gateway-to-gateway trucks of the
        national mix (calibration ``[through_traffic]``), spec key fleet
        ``"through_truck"``, drawn from their own random stream so that no Shiyan lever
        changes them.
    drayage_tonnes_per_day
        Rail tonnage of a plain operating day, t, carried by road between the rail
        freight yards and the plants, hubs and towns (calibration ``[drayage]``) by
        Shiyan's trucks of the drayage class.
    """
    if calibration is None:
        from transport_sim.fleets.calibration import load_calibration

        calibration = load_calibration(scenario, fleet_def)
    avail, demand, fitted = calibration.availability, calibration.demand, calibration.fitted
    holiday = day_type == "holiday"
    scale = scenario.run.vehicle_scale
    # one independent stream per fleet (common random numbers): a lever that changes one
    # fleet's draws leaves the other fleets' days unchanged
    bus_rng, taxi_rng, truck_rng, ship_rng = rng.spawn(len(FLEETS))
    # through traffic (not Shiyan's trucks) draws from its own stream: no Shiyan lever
    # changes its trips or its national powertrain mix
    (through_rng,) = rng.spawn(1)
    role_of_row: dict[str, np.ndarray] = {}
    blocks: dict[str, LegBlock] = {}
    assign: dict[str, list[tuple[str, str]]] = {}
    per_vehicle: dict[str, float] = {}

    # --- buses --------------------------------------------------------------------------
    bus = fleet_def.fleet("bus")
    cells = stock_cells(stock, year, "bus")
    factor = bus.holiday_activity_factor if holiday else 1.0
    n_bus = round(sum(c[2] for c in cells) * avail["bus"])
    if context.bus_lines and n_bus > 0:
        target = [calibration.target("bus", c, "km_per_vehicle_day") for c in bus.classes]
        known = [t for t in target if t is not None]
        block_target_km = (
            float(np.mean(known)) if known else bus.operation.daily_km
        ) * fitted["bus_block_km_factor"]
        block = bus_day(
            context.bus_lines,
            line_round_trip_m(context) / 1000.0,
            n_bus,
            bus.operation,
            factor,
            block_target_km,
        )
        blocks["bus"] = block
        pairs = allocate(cells, block.n_vehicles, bus_rng)
        assign["bus"] = assign_bus_blocks(
            pairs, block_energy_margin_kwh(block, bus, scenario, context), bus_rng
        )
        per_vehicle["bus"] = 1.0

    # --- taxis --------------------------------------------------------------------------
    taxi = fleet_def.fleet("taxi")
    cells = stock_cells(stock, year, "taxi")
    n_stock = sum(c[2] for c in cells)
    n_taxi = max(1, round(n_stock * avail["taxi"] * scale)) if n_stock else 0
    op = taxi.operation
    factor = taxi.holiday_activity_factor if holiday else 1.0
    if n_taxi:
        w = context.taxi_weights
        ranks = taxi_rng.choice(len(context.taxi_nodes), size=n_taxi, p=w / w.sum())
        blocks["taxi"] = taxi_day(context.taxi_nodes[ranks])
        assign["taxi"] = allocate(cells, n_taxi, taxi_rng)
        per_vehicle["taxi"] = n_stock * avail["taxi"] / n_taxi
        # requests = target trips x the fitted request factor (requests that expire
        # unserved are part of demand)
        expected = op.trips_per_taxi_per_day * n_taxi * factor * fitted["taxi_request_factor"]
        arrays = taxi_requests(
            taxi_rng,
            expected,
            np.asarray(op.hourly_demand_profile),
            context.taxi_targets,
            context.taxi_weights,
            context.targets.time_s,
            context.taxi_nodes,
            demand["taxi_trip_decay_s"],
        )
    else:
        arrays = (np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int32))
    requests = TaxiRequests.from_arrays(*arrays, n_targets=context.targets.n_targets)

    # --- trucks -------------------------------------------------------------------------
    truck = fleet_def.fleet("truck")
    cells = stock_cells(stock, year, "truck")
    factor = truck.holiday_activity_factor if holiday else 1.0
    tonnes = road_tonnes_per_day * factor * scale
    names = list(truck.classes)
    shares = np.array([fleet_def.freight.class_tonnage_shares.get(c, 0.0) for c in names])
    if road_tonnes_by_class is not None and road_tonnes_per_day > 0:
        shares = np.array([road_tonnes_by_class.get(c, 0.0) for c in names]) / road_tonnes_per_day
    payload = np.array([truck.classes[c].payload_t for c in names])
    load = np.array([truck.classes[c].load_factor for c in names])
    freight = calibration.freight
    if (tonnes > 0 or through_tonnes_per_day > 0 or drayage_tonnes_per_day > 0) and cells:
        profile = np.asarray(truck.operation.hourly_departure_profile)
        parts: list[LegBlock] = []
        part_class: list[int] = []
        part_role: list[int] = []
        for ci, cname in enumerate(names):
            cls = truck.classes[cname]
            trips = tonnes * shares[ci] / (payload[ci] * load[ci])
            if trips <= 0:
                continue
            if payload[ci] < demand["urban_payload_t"]:  # urban delivery tours from hubs
                n_tours = int(np.floor(trips) + (truck_rng.uniform() < trips % 1.0))
                part = delivery_tours(
                    truck_rng,
                    n_tours,
                    fitted["tours_per_light_truck"],
                    (demand["stops_per_tour_min"], demand["stops_per_tour_max"]),
                    payload[ci] * load[ci],
                    context.hub_targets,
                    context.hub_nodes,
                    context.taxi_targets,
                    context.taxi_weights,
                    profile,
                    cls.stop_dwell_min * SECONDS_PER_MINUTE,
                    context.targets.dist_m,
                    context.targets.node,
                )
            else:
                long_haul = payload[ci] >= demand["long_haul_payload_t"]
                sel = context.truck_od_kind == (OD_LONG_HAUL if long_haul else OD_REGIONAL)
                if not sel.any():
                    sel = np.ones_like(sel)
                target_empty = calibration.target("truck", cname, "empty_running_share")
                part = truck_day(
                    truck_rng,
                    tonnes * shares[ci],
                    payload[ci] * load[ci],
                    calibration.round_trips(cname),
                    0.5 if target_empty is None else min(0.5, target_empty),
                    context.truck_od_origin[sel],
                    context.truck_od_dest[sel],
                    context.truck_od_weight[sel],
                    context.truck_od_start_node[sel],
                    profile,
                    cls.stop_dwell_min * 60.0,
                )
            parts.append(part)
            part_class.append(ci)
            part_role.append(ROLE_SHIYAN)
        extra = [(ROLE_DRAYAGE, freight.drayage, drayage_tonnes_per_day * factor * scale,
                  OD_DRAYAGE, truck_rng)] if freight is not None else []
        if freight is not None:
            extra.append((ROLE_THROUGH, freight.through,
                          through_tonnes_per_day * factor * scale, OD_THROUGH, through_rng))
        for role, spec_, t_day, kind, part_rng in extra:
            sel = context.truck_od_kind == kind
            if t_day <= 0 or not sel.any():
                continue
            ci = names.index(spec_.truck_class)
            parts.append(truck_day(
                part_rng,
                t_day,
                payload[ci] * load[ci],
                spec_.round_trips_per_vehicle_day,
                spec_.empty_running_share,
                context.truck_od_origin[sel],
                context.truck_od_dest[sel],
                context.truck_od_weight[sel],
                context.truck_od_start_node[sel],
                profile,
                truck.classes[spec_.truck_class].stop_dwell_min * SECONDS_PER_MINUTE,
            ))
            part_class.append(ci)
            part_role.append(role)
        block = concat_blocks(parts, part_class)
        # legs to a gateway leave the region: the truck charges outside before coming back
        gates = [n for g in context.network.gateways for n in (g.node_in, g.node_out)]
        leaving = np.isin(context.targets.node[block.leg_target], gates)
        block.leg_flags[leaving] |= LEG_OFF_NETWORK
        blocks["truck"] = block
        role_of_row["truck"] = np.repeat(
            np.asarray(part_role, np.int8), [p.n_vehicles for p in parts])
        through = role_of_row["truck"] == ROLE_THROUGH
        # powertrain by class: allocate within each class's stock (Shiyan's trucks), or
        # from the national mix of the year (through traffic)
        pairs: list[tuple[str, str]] = [("", "")] * block.n_vehicles
        for ci, cname in enumerate(names):
            idx = np.flatnonzero((block.size_class == ci) & ~through)
            cc = [c for c in cells if c[0] == cname] or list(cells)
            for i, pair in zip(idx, allocate(cc, len(idx), truck_rng), strict=True):
                pairs[i] = (cname, pair[1])
        if through.any() and freight is not None:
            mix = freight.through.powertrain_mix(year)
            national = [(freight.through.truck_class, p, s) for p, s in sorted(mix.items())]
            idx = np.flatnonzero(through)
            for i, pair in zip(idx, allocate(national, len(idx), through_rng), strict=True):
                pairs[i] = pair
        assign["truck"] = pairs
        per_vehicle["truck"] = 1.0 / scale
        per_vehicle[THROUGH_FLEET] = 1.0 / scale

    # --- ships --------------------------------------------------------------------------
    ship = fleet_def.fleet("ship")
    cells = stock_cells(stock, year, "ship")
    factor = ship.holiday_activity_factor if holiday else 1.0
    if cells and len(context.port_targets) >= 2:
        names = list(ship.classes)
        n_by_class = np.array(
            [
                round(sum(c[2] for c in cells if c[0] == name) * avail["ship"])
                for name in names
            ]
        )
        routes = ship_routes(context, names, [ship.classes[n].sailing_km for n in names])
        # sailings x the fitted factor: the network's port pairs are not exactly the
        # fleet file's sailing length, so the fit keeps km per ship at the target
        sail_factor = calibration.fitted["ship_sailings_factor"]
        sailings = np.array(
            [ship.classes[n].sailings_per_day * factor * sail_factor.get(n, 1.0) for n in names]
        )
        dwell = np.full(len(names), ship.operation.turnaround_min * SECONDS_PER_MINUTE)
        port_node = {
            int(t): int(n) for t, n in zip(context.port_targets, context.port_nodes, strict=True)
        }
        block = ship_day(
            ship_rng,
            n_by_class,
            sailings,
            routes,
            port_node,
            ship.operation.service_start_h,
            ship.operation.service_end_h,
            dwell,
        )
        blocks["ship"] = block
        pairs = [("", "")] * block.n_vehicles
        for ci, cname in enumerate(names):
            idx = [i for i in range(block.n_vehicles) if block.size_class[i] == ci]
            cc = [c for c in cells if c[0] == cname]
            for i, pair in zip(idx, allocate(cc, len(idx), ship_rng), strict=True):
                pairs[i] = pair
        assign["ship"] = pairs
        per_vehicle["ship"] = 1.0

    # --- assemble FleetState ------------------------------------------------------------
    # tie-break ranks for dispatch: a random permutation from the run's generator
    (rank_rng,) = rng.spawn(1)
    n_fleet = sum(b.n_vehicles for b in blocks.values())
    n_bg = 0 if background is None else background.n_cars
    n_legs = sum(int(b.leg_count.sum()) for b in blocks.values())
    state = FleetState.allocate(n_fleet + n_bg, n_legs)
    spec_keys: list[tuple[str, str, str]] = []
    spec_rows: list[np.ndarray] = []
    spec_bev: list[bool] = []
    spec_slope: list[float] = []
    size_class = np.zeros(n_fleet + n_bg, np.int16)
    role = np.zeros(n_fleet, np.int8)
    fleet_ranges = np.zeros((len(FLEETS), 2), np.int64)
    bev_list: list[np.ndarray] = []
    v0, l0 = 0, 0
    for fi, fleet in enumerate(FLEETS):
        fleet_ranges[fi] = v0
        block = blocks.get(fleet)
        if block is None:
            continue
        fspec = fleet_def.fleet(fleet)
        pairs = assign[fleet]
        if any(not cname for cname, _ in pairs):
            msg = describe(fleet_def.path, fleet, None, "no stock to draw vehicles from")
            raise FleetError(msg)
        n, m = block.n_vehicles, int(block.leg_count.sum())
        # rows keep the block's order (never grouped by powertrain); the charging
        # decisions visit the index list of battery-electric rows instead
        sl, ll = slice(v0, v0 + n), slice(l0, l0 + m)
        begins = l0 + np.concatenate([[0], np.cumsum(block.leg_count)[:-1]]).astype(np.int32)
        state.fleet[sl] = fi
        state.node[sl] = block.start_node
        state.leg_begin[sl] = begins
        state.leg[sl] = begins
        state.leg_end[sl] = begins + (0 if block.dispatchable else block.leg_count)
        state.dispatchable[sl] = block.dispatchable
        state.status[sl] = STATUS_OFF
        state.leg_target[ll] = block.leg_target
        state.leg_depart_s[ll] = block.leg_depart_s
        state.leg_dwell_s[ll] = block.leg_dwell_s
        state.leg_payload_t[ll] = block.leg_payload_t
        state.leg_flags[ll] = block.leg_flags
        roles = role_of_row.get(fleet, np.zeros(n, np.int8))
        role[sl] = roles
        # the rows' (label, class, powertrain) keys, numbered in order of first row; the
        # per-vehicle columns are looked up once per key and spread to the rows
        keys: dict[tuple[str, str, str], int] = {}
        key_of_row = np.array(
            [
                keys.setdefault((THROUGH_FLEET if r == ROLE_THROUGH else fleet, *pair), len(keys))
                for r, pair in zip(roles.tolist(), pairs, strict=True)
            ],
            np.int64,
        )
        key_spec, key_pt, key_kwh, key_kw, key_mps, key_class = ([] for _ in range(6))
        for key in keys:
            _, cname, pt = key
            spec = fspec.spec(cname, pt)
            speed_kph = fspec.classes[cname].service_speed_kph or spec.max_speed_kph
            if key not in spec_keys:
                spec_keys.append(key)
                per_m, slope = _spec_row(spec, fleet, speed_kph), 0.0
                if fleet == "truck":
                    per_m, slope = payload_split(
                        per_m, fspec.classes[cname], pt, calibration, fleet_def
                    )
                spec_rows.append(per_m)
                spec_bev.append(spec.is_bev)
                spec_slope.append(slope)
            key_spec.append(spec_keys.index(key))
            key_pt.append(POWERTRAINS.index(pt))
            key_kwh.append(spec.battery_kwh if spec.is_bev else 0.0)
            key_kw.append(spec.max_charge_kw)
            key_mps.append(speed_kph / KPH_PER_MPS)
            key_class.append(list(fspec.classes).index(cname))
        state.spec[sl] = np.asarray(key_spec)[key_of_row]
        state.powertrain[sl] = np.asarray(key_pt)[key_of_row]
        state.battery_kwh[sl] = np.asarray(key_kwh, np.float64)[key_of_row]
        state.soc_kwh[sl] = state.battery_kwh[sl]
        state.max_charge_kw[sl] = np.asarray(key_kw, np.float64)[key_of_row]
        state.max_speed_mps[sl] = np.asarray(key_mps, np.float64)[key_of_row]
        size_class[sl] = np.asarray(key_class)[key_of_row]
        fleet_ranges[fi] = (v0, v0 + n)
        # battery-electric rows: a battery (non-BEV specs get battery_kwh 0)
        bev_list.append(v0 + np.flatnonzero(state.battery_kwh[sl] > 0.0))
        v0 += n
        l0 += m
    state.dispatch_rank[:n_fleet] = rank_rng.permutation(n_fleet).astype(np.int32)
    bev_rows = np.concatenate(bev_list).astype(np.int64) if bev_list else np.zeros(0, np.int64)
    if n_bg and background is not None and sites is not None:
        fill_background_rows(state, n_fleet, background, sites, scenario.charging.charge_to_soc)
        state.leg_begin[n_fleet:] = l0
        state.leg[n_fleet:] = l0
        state.leg_end[n_fleet:] = l0
    specs = SpecTable(
        kwh_per_m=np.ascontiguousarray(
            np.vstack(spec_rows) if spec_rows else np.zeros((1, N_ROAD_CLASSES))
        ),
        is_bev=np.asarray(spec_bev or [False], np.bool_),
        kwh_per_m_per_t=np.asarray(spec_slope or [0.0], np.float64),
    )
    stock_counts = {
        (f, p): int(n)
        for (f, p), n in stock[stock["year"] == year]
        .groupby(["fleet", "powertrain"])["vehicles"]
        .sum()
        .items()
    }
    return DayPlan(
        year=year,
        day_type=day_type,
        state=state,
        specs=specs,
        spec_keys=spec_keys,
        size_class=size_class,
        requests=requests,
        vehicle_scale=per_vehicle,
        n_vehicles=n_fleet,
        fleet_ranges=fleet_ranges,
        bev_rows=bev_rows,
        stock=stock_counts,
        start_node=state.node[:n_fleet].copy(),
        freight_role=role,
    )


def payload_split(
    row_kwh_per_m: np.ndarray,
    cls: SizeClassSpec,
    powertrain: str,
    calibration: Calibration,
    fleet_def: FleetDefinition,
) -> tuple[np.ndarray, float]:
    """Split a truck spec's energy per metre into an empty value and a per-tonne slope.

    The fleet file's value holds at the average load on board, ``payload x load factor
    x (1 - empty-running share)`` (the class's target; half the loaded tonnes for
    delivery tours, whose load falls from full to empty).  Returns
    ``(empty kWh/m by road class, kWh/(m t))``.
    """
    slope_m = calibration.payload_slope_kwh_per_km_t(cls.name, powertrain) / 1000.0
    empty = calibration.target("truck", cls.name, "empty_running_share")
    on_board_t = cls.payload_t * cls.load_factor * (0.5 if empty is None else 1.0 - empty)
    out = row_kwh_per_m - slope_m * on_board_t
    if np.any(out[row_kwh_per_m > 0] <= 0.0):
        msg = describe(
            calibration.path, f"payload_energy.{cls.name}.{powertrain}", slope_m * 1000.0,
            f"leaves no energy for an empty truck ({fleet_def.path} kWh/km too low)",
        )
        raise FleetError(msg)
    return np.where(row_kwh_per_m > 0, out, 0.0), slope_m


def line_round_trip_m(context: RunContext) -> np.ndarray:
    """Shortest-path length of one round trip of every bus line (out and back), m."""
    out = np.zeros(len(context.bus_lines))
    dist = context.targets.dist_m
    for i, line in enumerate(context.bus_lines):
        st = np.asarray(line.stop_targets, np.int64)
        nodes = context.targets.node[st]
        fwd = sum(float(dist[st[j + 1], nodes[j]]) for j in range(len(st) - 1))
        inb = np.asarray(line.inbound_targets(), np.int64)
        back = sum(
            float(dist[inb[j + 1], context.targets.node[inb[j]]]) for j in range(len(inb) - 1)
        )
        out[i] = fwd + back
    return out


def block_km(block: LegBlock, context: RunContext) -> np.ndarray:
    """Planned km of every bus block (cycles x the line's round trip), km."""
    per_line = line_round_trip_m(context) / 1000.0
    return block.extra["cycles"] * per_line[block.extra["line"]]


def block_energy_margin_kwh(
    block: LegBlock, bus: FleetSpec, scenario: Scenario, context: RunContext
) -> dict[str, np.ndarray]:
    """Energy left at the end of each bus block, per BEV bus spec, kWh (< 0: out of range).

    The rule: a battery bus may take a block when its full battery above the reserve
    (``charging.truck_reserve_soc``) plus what one terminal layover per round trip
    tops up (layover x min(bus charge power, depot plug power) x charger efficiency)
    covers the block's km at the spec's urban kWh/km.
    """
    km = block_km(block, context)
    ch = scenario.charging
    layover_h = bus.operation.layover_min / 60.0
    out: dict[str, np.ndarray] = {}
    for cname, cls in bus.classes.items():
        for pt, spec in cls.powertrains.items():
            if not spec.is_bev:
                continue
            kwh_per_km = max(spec.kwh_per_km_by_class)
            topup = layover_h * min(spec.max_charge_kw, ch.depot_power_kw)
            topup *= ch.charger_efficiency
            usable = spec.battery_kwh * (1.0 - ch.truck_reserve_soc)
            out[f"{cname}/{pt}"] = usable + block.extra["cycles"] * topup - km * kwh_per_km
    return out


def assign_bus_blocks(
    pairs: list[tuple[str, str]],
    margin_kwh: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """Give the day's bus blocks to the buses in service, at random within range.

    ``pairs`` are the (size class, powertrain) of the buses in service; ``margin_kwh``
    the energy left at the end of each block per BEV spec (:func:`block_energy_margin_kwh`).
    Battery buses draw their blocks at random among those in their range; conventional
    buses take the remaining blocks at random.  Only when there are more battery buses
    than blocks in range does a battery bus get a block beyond its range (it charges
    at terminals or strands; the calibration table shows its km).
    """
    n = len(pairs)
    out: list[tuple[str, str]] = [("", "")] * n
    free = np.ones(n, bool)
    bev = [i for i, (c, p) in enumerate(pairs) if f"{c}/{p}" in margin_kwh]
    conv = [i for i in range(n) if f"{pairs[i][0]}/{pairs[i][1]}" not in margin_kwh]
    for i in rng.permutation(bev):
        c, p = pairs[int(i)]
        ok = np.flatnonzero(free & (margin_kwh[f"{c}/{p}"] >= 0.0))
        cand = ok if ok.size else np.flatnonzero(free)
        b = int(cand[rng.integers(0, cand.size)])
        out[b] = (c, p)
        free[b] = False
    rest = rng.permutation(np.flatnonzero(free))
    for b, i in zip(rest, conv, strict=True):
        out[int(b)] = pairs[i]
    return out


def ship_routes(
    context: RunContext, class_names: list[str], sailing_km: list[float]
) -> list[list[tuple[int, int]]]:
    """Candidate (home port, far port) pairs per ship class, by the class's sailing length.

    Pairs whose water distance is closest to the class's typical one-way sailing length
    are preferred (the 6 closest per class); unreachable pairs are never used.
    """
    tg, nodes = context.port_targets, context.port_nodes
    dist = context.targets.dist_m[np.ix_(tg, nodes)].astype(np.float64)  # [to, from]
    out: list[list[tuple[int, int]]] = []
    for km in sailing_km:
        pairs = [
            (abs(dist[j, i] / M_PER_KM - km), int(tg[i]), int(tg[j]))
            for i in range(len(tg))
            for j in range(len(tg))
            if i != j and np.isfinite(dist[j, i]) and np.isfinite(dist[i, j])
        ]
        pairs.sort()
        out.append([(a, b) for _, a, b in pairs[:6]])
    return out
