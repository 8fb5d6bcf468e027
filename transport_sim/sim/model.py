"""TransportModel: one representative day of one policy year as a Mesa model.

The model owns the day's :class:`~transport_sim.kernels.state.FleetState`, the charger state and
the Mesa agents that view them.  ``model.step()`` advances every vehicle by one tick
through the compiled kernels (dispatch -> charging decisions -> movement -> charging);
:meth:`TransportModel.run_day` runs whole reporting intervals inside compiled code and
lets the :class:`mesa.DataCollector` look at the state at each interval.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    FLEETS,
    KERNEL_OK,
    KERNEL_QUEUE_OVERFLOW,
    KERNEL_STATUS_NAMES,
    STATUS_CHARGING,
    STATUS_MOVING,
    STATUS_QUEUED,
    STATUS_STRANDED,
)
from transport_sim.demand.dayplan import ROLE_DRAYAGE
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    DayBundle,
    TaxiParams,
    charge_log_bundle,
    dispatch_bundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
    site_bundle,
    site_table_bundle,
    spec_bundle,
    traffic_off,
)
from transport_sim.kernels.charging import TAPER_FLOOR, ChargingState, charge_params, charging_tick
from transport_sim.kernels.day import _run_ticks
from transport_sim.kernels.events import EventCarry, _run_events, event_carry
from transport_sim.kernels.state import time_of_day_factors
from transport_sim.sim.agents import (
    AGENT_CLASSES,
    Vehicle,
    populate,
    remove_all,
    reserve_ids,
)
from transport_sim.units import M_PER_KM, SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from mesa.agent import AgentSet

    from transport_sim.charging.sites import ChargerSites
    from transport_sim.demand.context import RunContext
    from transport_sim.demand.dayplan import DayPlan
    from transport_sim.scenario.settings import Scenario
    from transport_sim.sim.prepare import Prepared


#: Child streams a day spawns from its SeedSequence (charging cars, day plan, model):
#: rebuilding a day from the same sequence draws the next ``DAY_STREAMS`` children.
DAY_STREAMS = 3


def default_speed_factors(peak_factors: tuple[float, ...] | None = None) -> np.ndarray:
    """Return the ``[24, n_road_classes]`` time-of-day speed factors.

    ``peak_factors`` (24 shares of free-flow speed, calibration file
    ``demand.peak_speed_factors``) slow the provincial and urban road classes; ``None``
    is free flow everywhere.
    """
    if peak_factors is None:
        return time_of_day_factors({})
    hourly = {}
    for name in ("provincial", "arterial", "collector", "local"):
        hourly[name] = [float(f) for f in peak_factors]
    return time_of_day_factors(hourly)


@dataclass(frozen=True)
class DaySettings:
    """Scenario values the day loop needs (tick, reporting and charging behaviour)."""

    tick_s: float
    report_interval_s: float
    charge_below_soc: float
    charge_to_soc: float
    taper_start_soc: float
    charger_efficiency: float
    taxi_max_wait_s: float
    taxi_max_pickup_s: float
    taxi_pickup_dwell_s: float
    taxi_dropoff_dwell_s: float
    truck_reserve_soc: float
    truck_min_gain_soc: float
    route_energy_margin: float
    movement: str = "event"  # run.movement: "event" (kernels.events) or "tick" (kernels.day)

    @classmethod
    def from_scenario(cls, scenario: Scenario, taxi_op: object) -> DaySettings:
        """Collect the day settings of ``scenario`` and the fleet's taxi operation."""
        ch = scenario.charging
        return cls(
            tick_s=scenario.run.tick_s,
            report_interval_s=scenario.run.report_interval_s,
            charge_below_soc=ch.charge_below_soc,
            charge_to_soc=ch.charge_to_soc,
            taper_start_soc=ch.taper_start_soc,
            charger_efficiency=ch.charger_efficiency,
            taxi_max_wait_s=float(taxi_op.max_wait_min) * SECONDS_PER_MINUTE,
            taxi_max_pickup_s=float(taxi_op.max_pickup_min) * SECONDS_PER_MINUTE,
            taxi_pickup_dwell_s=float(taxi_op.pickup_dwell_s),
            taxi_dropoff_dwell_s=float(taxi_op.dropoff_dwell_s),
            truck_reserve_soc=ch.truck_reserve_soc,
            truck_min_gain_soc=ch.truck_min_gain_soc,
            route_energy_margin=ch.route_energy_margin,
            movement=scenario.run.movement,
        )


class DayPlans:
    """Day plans kept to rebuild the same day again (the sizing runs of a (year, day type)).

    A day's plan (vehicles, legs, taxi requests, private cars at the sites) depends on the
    run's inputs, the year, the day type and the day's seed, not on the plugs; the sizing
    runs of a (year, day type) share their seed (common random numbers), so they build the
    same plan.  Keeps the ``capacity`` plans used last; hands out and stores copies (a
    model mutates its plan's state).  Safe to share between threads.

    Parameters
    ----------
    capacity
        Plans kept (about one per day running at once).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._plans: OrderedDict[Hashable, DayPlan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> DayPlan | None:
        """Return a copy of the plan stored under ``key``, or ``None``."""
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                return None
            self._plans.move_to_end(key)
        return copy.deepcopy(plan)

    def put(self, key: Hashable, plan: DayPlan) -> None:
        """Keep a copy of ``plan`` (not yet run) under ``key``; drop the oldest beyond capacity."""
        kept = copy.deepcopy(plan)
        with self._lock:
            self._plans[key] = kept
            self._plans.move_to_end(key)
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)


def _build_plan(
    prepared: Prepared,
    year: int,
    day_type: str,
    rng_cars: np.random.Generator,
    rng_plan: np.random.Generator,
    sites: ChargerSites,
) -> DayPlan:
    """Draw the private cars and build the day plan of ``year`` and ``day_type``."""
    from transport_sim.charging.private_cars import draw_background_cars
    from transport_sim.demand.dayplan import build_day_plan
    from transport_sim.policy.turnover import (
        freight_tonnage_t_per_year,
        road_class_tonnes_per_operating_day,
        road_tonnes_per_operating_day,
        tonnes_per_operating_day,
    )

    scen, fleet_def = prepared.scenario, prepared.fleet_def
    cal = prepared.calibration_file()
    # road tonnes of a plain operating day, set so that the weighted day types carry
    # exactly the year's road tonnage (holidays run at the fleet's holiday activity)
    road_t_day = road_tonnes_per_operating_day(year, scen, fleet_def)
    long_haul = {
        c
        for c, cls_ in fleet_def.fleet("truck").classes.items()
        if cls_.payload_t >= cal.demand["long_haul_payload_t"]
    }
    by_class = road_class_tonnes_per_operating_day(year, scen, fleet_def, long_haul)
    # through traffic (its own tonnage) and the road legs of rail freight to the yards
    _, rail_t_year = freight_tonnage_t_per_year(year, scen, fleet_def)
    through_t_year = cal.freight.through.tonnage_t_per_year if cal.freight else 0.0
    background = draw_background_cars(rng_cars, sites, scen.charging, day_type)
    return build_day_plan(
        prepared.context,
        scen,
        fleet_def,
        prepared.stock,
        road_t_day,
        year,
        day_type,
        rng_plan,
        background,
        sites,
        calibration=cal,
        road_tonnes_by_class=by_class,
        through_tonnes_per_day=tonnes_per_operating_day(through_t_year, scen, fleet_def),
        drayage_tonnes_per_day=tonnes_per_operating_day(rail_t_year, scen, fleet_def),
    )


class TransportModel(mesa.Model):
    """A Mesa model of one representative day: every fleet on the merged network.

    Parameters
    ----------
    context
        Shared inputs of the run (graph, next-hop tables, places).
    plan
        The day's vehicles and legs (from :func:`transport_sim.demand.dayplan.build_day_plan`).
    sites
        Charger sites of the year.
    settings
        Tick, reporting interval and charging behaviour.
    rng
        The day's numpy Generator (also ``model.rng``); the only source of randomness.
    speed_factors
        ``[24, n_road_classes]`` time-of-day speed factors (default: urban peaks).

    Notes
    -----
    Mesa users get ``model.agents``, ``model.agents_by_type[Taxi]``, ``model.rng`` and
    ``model.datacollector`` as usual.  ``model.step()`` is one tick for the whole fleet.
    """

    def __init__(
        self,
        context: RunContext,
        plan: DayPlan,
        sites: ChargerSites,
        settings: DaySettings,
        *,
        rng: np.random.Generator,
        speed_factors: np.ndarray | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.context = context
        self.plan = plan
        self.state = plan.state
        self.sites = sites
        self.settings = settings
        self.time_s = 0.0
        self.speed_factors = default_speed_factors() if speed_factors is None else speed_factors
        n = self.state.n_vehicles
        self.site_arrays = ChargingState.allocate(
            sites.plugs, sites.power_kw, n, log_capacity=max(4096, n // 2)
        )
        self.site_tables = sites.tables(context.graph.n_nodes, context.registry)
        self.dispatch = plan.requests
        self.dispatch_counts = np.zeros(2, np.int64)
        self.dispatch_totals = np.zeros(2, np.int64)  # [assigned, unserved] so far today
        self.arrived = np.zeros(n, np.int8)
        self.start_node = self.state.node.copy()  # where each vehicle starts the day
        # end of the reporting interval in which each vehicle stranded (-1: never)
        self.stranded_at_s = np.full(n, -1.0)
        self.edge_count = np.zeros(context.graph.n_edges, np.int32)
        self.edge_jam_vehicles = np.ones(context.graph.n_edges, np.float64)
        self._day = self.kernel_bundles()
        # the agents are built on first use (Mesa's accessors below): a run's days never
        # look at them, and building and dropping some fifty thousand agents a day was
        # Python work under the GIL (benchmarks/RESULTS.md, "Less Python per day").
        # Their ids are taken now, as if they were built here.
        first_id = reserve_ids(self, plan.n_vehicles + sites.n_sites)
        self._unbuilt_agents: tuple | None = (
            self.state.fleet[: plan.n_vehicles], sites.n_sites, first_id
        )
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "time_h": lambda m: m.time_s / SECONDS_PER_HOUR,
                "moving": lambda m: m.count_status(STATUS_MOVING),
                "queued": lambda m: m.count_status(STATUS_QUEUED),
                "charging": lambda m: m.count_status(STATUS_CHARGING),
                "stranded": lambda m: m.count_status(STATUS_STRANDED),
                "energy_kwh": lambda m: float(m.state.energy_kwh[: m.plan.n_vehicles].sum()),
                "vkm": lambda m: float(m.state.odometer_m[: m.plan.n_vehicles].sum()) / M_PER_KM,
                "requests_assigned": lambda m: int(m.dispatch_totals[0]),
                "requests_unserved": lambda m: int(m.dispatch_totals[1]),
            }
        )
        self.datacollector.collect(self)

    @classmethod
    def for_day(
        cls,
        prepared: Prepared,
        year: int,
        day_type: str,
        seed_sequence: np.random.SeedSequence,
        plug_overrides: dict[str, int] | None = None,
        plans: DayPlans | None = None,
    ) -> TransportModel:
        """Build (without running) the model of one representative day of a run.

        The one way a day's model is built (the runner, the charger-sizing tool, the
        benchmarks and the tests use it): the year's charger sites, the private cars
        charging at them, the day plan and the model itself.

        Parameters
        ----------
        prepared
            The run's inputs (:func:`transport_sim.sim.prepare.prepare`).
        year, day_type
            The policy year and the representative day (``weekday`` or ``holiday``).
        seed_sequence
            The day's child of the run's SeedSequence
            (:func:`transport_sim.sim.prepare.day_seeds`).  It is spawned into three
            independent streams (charging cars, day plan, model), so a lever that changes
            one of them does not reshuffle the others' draws.  Spawning advances the
            sequence: pass a fresh one to rebuild the same day.
        plug_overrides
            ``{site_id: plugs}`` replacing the computed plug counts (charger sizing).
        plans
            Day plans built before (:class:`DayPlans`): the day reuses a copy of its plan
            when one was built from the same seed, else builds it and keeps a copy.  The
            plan does not depend on the plugs, so the model is the one built from scratch.
        """
        from transport_sim.charging.year_sites import build_year_sites
        from transport_sim.kernels.cache import configure_numba_cache

        configure_numba_cache()  # before the first kernel compiles; a no-op once set
        scen, fleet_def = prepared.scenario, prepared.fleet_def
        rng_cars, rng_plan, rng_model = (
            np.random.default_rng(s) for s in seed_sequence.spawn(DAY_STREAMS)
        )
        cal = prepared.calibration_file()
        sites = build_year_sites(
            prepared.context, scen, fleet_def, prepared.stock, year, plug_overrides
        )
        key = (year, day_type, seed_sequence.entropy, seed_sequence.spawn_key)
        plan = plans.get(key) if plans is not None else None
        if plan is None:
            plan = _build_plan(prepared, year, day_type, rng_cars, rng_plan, sites)
            if plans is not None:
                plans.put(key, plan)
        settings = DaySettings.from_scenario(scen, fleet_def.fleet("taxi").operation)
        speed = default_speed_factors(cal.demand["peak_speed_factors"])
        return cls(prepared.context, plan, sites, settings, rng=rng_model, speed_factors=speed)

    # ------------------------------------------------------------------ inspection
    def count_status(self, status: int) -> int:
        """Return how many fleet vehicles (background customers excluded) have ``status``."""
        return int(np.count_nonzero(self.state.status[: self.plan.n_vehicles] == status))

    def position_lonlat(self, v: int) -> tuple[float, float]:
        """Approximate (lon, lat) of vehicle ``v`` (interpolated along its edge)."""
        arr = self.context.arrays
        e = int(self.state.edge[v])
        u = int(self.state.node[v])
        if e < 0:
            return float(arr.node_lon[u]), float(arr.node_lat[u])
        h = int(arr.edge_head[e])
        f = float(self.state.pos_m[v] / max(arr.edge_length_m[e], 1e-9))
        return (
            float(arr.node_lon[u] + f * (arr.node_lon[h] - arr.node_lon[u])),
            float(arr.node_lat[u] + f * (arr.node_lat[h] - arr.node_lat[u])),
        )

    def request_vehicles(self) -> np.ndarray:
        """Vehicle row assigned to each taxi request of the day, or -1 (int64)."""
        return self.dispatch.taxi.astype(np.int64)

    def vehicles(self, fleet: str) -> list[Vehicle]:
        """Agents of ``fleet`` (bus, taxi, truck, ship)."""
        cls = AGENT_CLASSES[FLEETS.index(fleet)]
        return list(self.agents_by_type.get(cls, []))

    # ------------------------------------------------------------------ kernels
    def kernel_bundles(self) -> DayBundle:
        """Return the bundles the fused tick loop takes (views of the model's arrays).

        Built once per day (and again after the charging log grows); the bundles hold the
        model's own arrays, so the loop's updates are the model's.
        """
        s, ctx = self.settings, self.context
        return DayBundle(
            vehicles=fleet_bundle(self.state),
            legs=leg_bundle(self.state),
            net=net_bundle(ctx.graph, ctx.targets),
            specs=spec_bundle(self.plan.specs),
            traffic=traffic_off(),  # no density-dependent congestion in the day loop
            speed_factors=self.speed_factors,
            dispatch=dispatch_bundle(
                ctx.dispatch_index, self.dispatch, self.dispatch_counts, self.dispatch_totals
            ),
            taxi=TaxiParams(
                max_wait_s=float(s.taxi_max_wait_s),
                max_pickup_s=float(s.taxi_max_pickup_s),
                pickup_dwell_s=float(s.taxi_pickup_dwell_s),
                dropoff_dwell_s=float(s.taxi_dropoff_dwell_s),
                dropoff_payload_t=0.0,  # passengers are not in tkm
            ),
            tables=site_table_bundle(self.site_tables),
            sites=site_bundle(self.site_arrays),
            log=charge_log_bundle(self.site_arrays),
            charge=charge_params(
                charge_below_soc=s.charge_below_soc,
                charge_to_soc=s.charge_to_soc,
                taper_start_soc=s.taper_start_soc,
                charger_efficiency=s.charger_efficiency,
                taper_floor=TAPER_FLOOR,
                truck_reserve_soc=s.truck_reserve_soc,
                truck_min_gain_soc=s.truck_min_gain_soc,
                route_energy_margin=s.route_energy_margin,
            ),
            arrived=self.arrived,
            bev_rows=np.ascontiguousarray(self.plan.bev_rows, np.int64),
            taxi_rows=np.flatnonzero(self.state.dispatchable).astype(np.int64),
        )

    # ------------------------------------------------------------------ time
    def step(self) -> None:
        """Advance every vehicle by one tick (dispatch, charging, movement, charging)."""
        self._advance(1)

    def _event_carry(self) -> EventCarry:
        """Return new work arrays of the event loop for this day's rows and zones."""
        return event_carry(self.state.n_vehicles, self.context.dispatch_index.n_zones)

    def _advance(self, n_ticks: int, carry: EventCarry | None = None) -> None:
        """Run ``n_ticks`` ticks; ``carry`` continues the event loop's previous call.

        Pass the same ``carry`` to consecutive calls only if nothing changes the fleet
        state between them (as in :meth:`run_day`); without one each call starts afresh.
        """
        dt = self.settings.tick_s
        event = self.settings.movement == "event"
        if event and carry is None:
            carry = self._event_carry()
        done = 0
        while done < n_ticks:
            if event:
                code, k = _run_events(n_ticks - done, self.time_s, dt, self._day, carry)
            else:
                code, k = _run_ticks(n_ticks - done, self.time_s, dt, self._day)
            self.time_s += k * dt
            done += k
            if code == KERNEL_QUEUE_OVERFLOW:
                # movement of this tick already ran; finish the charging part in Python
                # (it grows the session log) and go on with the next tick
                charging_tick(
                    self.state,
                    self.arrived,
                    self.site_arrays,
                    self.time_s,
                    dt,
                    charge_to_soc=self.settings.charge_to_soc,
                    taper_start_soc=self.settings.taper_start_soc,
                    charger_efficiency=self.settings.charger_efficiency,
                    taper_floor=TAPER_FLOOR,
                )
                self._day = self.kernel_bundles()  # the log's arrays were replaced
                self.time_s += dt
                done += 1
            elif code != KERNEL_OK:
                msg = (
                    f"kernel failed at t = {self.time_s:.0f} s of {self.plan.year} "
                    f"{self.plan.day_type}: {KERNEL_STATUS_NAMES[code]}"
                )
                raise KernelError(msg)

    def run_day(self, progress: Callable[[float], None] | None = None) -> None:
        """Run the whole day, collecting data at every reporting interval.

        Parameters
        ----------
        progress
            Called with the share of the day done after each interval.
        """
        dt = self.settings.tick_s
        per_report = max(1, round(self.settings.report_interval_s / dt))
        total = round(SECONDS_PER_DAY / dt)
        ticks = 0
        # one set of event-loop work arrays for the day, carried from call to call (only
        # the DataCollector reads the state in between)
        carry = self._event_carry() if self.settings.movement == "event" else None
        while ticks < total:
            k = min(per_report, total - ticks)
            self._advance(k, carry)
            ticks += k
            self.steps += k
            fresh = (self.state.status == STATUS_STRANDED) & (self.stranded_at_s < 0.0)
            self.stranded_at_s[fresh] = self.time_s
            self.datacollector.collect(self)
            if progress is not None:
                progress(ticks / total)
        self.running = False

    def release(self) -> None:
        """Drop the agents and Mesa's class-level reference to this model.

        Mesa 3 keeps every model it has seen as a key of ``mesa.Agent._ids`` (a
        class-level id counter), so a finished model and its arrays would stay in memory
        for the life of the process.  Call this once the day's results are read; the
        arrays stay usable, the agents are gone.
        """
        self._unbuilt_agents = None  # never built: none to remove, none to build later
        remove_all(self)
        mesa.Agent._ids.pop(self, None)

    # ------------------------------------------------------------------ Mesa agents
    def _build_agents(self) -> None:
        """Build the day's agents if not built yet (with the ids reserved at build)."""
        unbuilt = getattr(self, "_unbuilt_agents", None)
        if unbuilt is not None:
            self._unbuilt_agents = None
            fleet, n_sites, first_id = unbuilt
            populate(self, fleet, n_sites, first_id)

    @property
    def agents(self) -> AgentSet:
        """Every agent of the day (Mesa's ``model.agents``), built on first use."""
        self._build_agents()
        return self._all_agents

    @agents.setter
    def agents(self, agents: object) -> None:
        mesa.Model.agents.fset(self, agents)  # Mesa refuses it

    @property
    def agent_types(self) -> list[type]:
        """Agent classes of the day (Mesa's ``model.agent_types``)."""
        self._build_agents()
        return super().agent_types

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], AgentSet]:
        """The day's agents by class (Mesa's ``model.agents_by_type``)."""
        self._build_agents()
        return super().agents_by_type

    def register_agent(self, agent: mesa.Agent) -> None:
        """Register ``agent`` after the day's own agents (Mesa calls it for a new agent)."""
        self._build_agents()
        super().register_agent(agent)

    def remove_all_agents(self) -> None:
        """Remove every agent (Mesa's ``model.remove_all_agents``)."""
        self._build_agents()
        super().remove_all_agents()

    # ------------------------------------------------------------------ results
    def fleet_totals(self) -> pd.DataFrame:
        """Day totals per (fleet, size class, powertrain) of the simulated vehicles.

        Columns: fleet, size_class, powertrain, sim_vehicles, trips, vkm, tkm,
        energy_kwh (drawn from battery or tank), grid_kwh (from chargers), charged_kwh,
        stranded, wait_h, drayage_t and drayage_tkm (tonnes planned and t-km driven by
        the trucks on rail-yard drayage legs).
        """
        st, n = self.state, self.plan.n_vehicles
        keys = self.plan.spec_keys
        drayage = np.zeros(n, bool)
        role = self.plan.freight_role
        drayage[: role.size] = role[:n] == ROLE_DRAYAGE
        cum_t = np.concatenate([[0.0], np.cumsum(st.leg_payload_t, dtype=np.float64)])
        leg_t = cum_t[st.leg_end[:n]] - cum_t[st.leg_begin[:n]]  # planned tonnes per row
        frame = pd.DataFrame(
            {
                "spec": st.spec[:n],
                "sim_vehicles": 1,
                "trips": st.trips[:n],
                "vkm": st.odometer_m[:n] / M_PER_KM,
                "tkm": st.tkm[:n],
                "energy_kwh": st.energy_kwh[:n],
                "grid_kwh": st.grid_kwh[:n],
                "charged_kwh": st.charged_kwh[:n],
                "stranded": (st.status[:n] == STATUS_STRANDED).astype(np.int64),
                "wait_h": st.wait_s[:n] / SECONDS_PER_HOUR,
                "drayage_t": np.where(drayage, leg_t, 0.0),
                "drayage_tkm": np.where(drayage, st.tkm[:n], 0.0),
            }
        )
        out = frame.groupby("spec", sort=True).sum().reset_index()
        out.insert(0, "fleet", [keys[k][0] for k in out["spec"]])
        out.insert(1, "size_class", [keys[k][1] for k in out["spec"]])
        out.insert(2, "powertrain", [keys[k][2] for k in out["spec"]])
        return out.drop(columns="spec")

    def background_totals(self) -> dict[str, float]:
        """Charging by background customers (private EV cars at service areas)."""
        st = self.state
        mask = st.fleet == BACKGROUND_FLEET_CODE
        return {"car_sessions": int(mask.sum()), "car_grid_kwh": float(st.grid_kwh[mask].sum())}
