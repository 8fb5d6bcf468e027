"""The fused tick loop: dispatch -> charging decisions -> movement -> charging, for many ticks.

:func:`_run_ticks` calls the four compiled kernels in that order for each tick, so a
whole reporting interval runs without returning to Python.  It takes only arrays and
scalars; :func:`run_ticks_args` collects them from a model in the right order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from transport_sim.codes import KERNEL_OK, KERNEL_QUEUE_OVERFLOW
from transport_sim.kernels.charging import (
    TAPER_FLOOR,
    _charging_decisions,
    _charging_tick,
)
from transport_sim.kernels.dispatch import _dispatch_tick
from transport_sim.kernels.movement import _advance_tick
from transport_sim.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from transport_sim.sim.model import TransportModel


@njit(cache=True, nogil=True)
def _run_ticks(
    n_ticks: int,
    t0_s: float,
    dt_s: float,
    # fleet state
    fleet: np.ndarray,
    powertrain_spec: np.ndarray,
    status: np.ndarray,
    node: np.ndarray,
    edge: np.ndarray,
    pos_m: np.ndarray,
    leg: np.ndarray,
    leg_begin: np.ndarray,
    leg_end: np.ndarray,
    wait_until_s: np.ndarray,
    detour_target: np.ndarray,
    soc_kwh: np.ndarray,
    battery_kwh: np.ndarray,
    max_charge_kw: np.ndarray,
    max_speed_mps: np.ndarray,
    dispatchable: np.ndarray,
    dispatch_rank: np.ndarray,
    odometer_m: np.ndarray,
    energy_kwh: np.ndarray,
    tkm: np.ndarray,
    trips: np.ndarray,
    charge_site: np.ndarray,
    queue_next: np.ndarray,
    queue_enter_s: np.ndarray,
    charged_kwh: np.ndarray,
    grid_kwh: np.ndarray,
    wait_s: np.ndarray,
    leg_target: np.ndarray,
    leg_depart_s: np.ndarray,
    leg_dwell_s: np.ndarray,
    leg_payload_t: np.ndarray,
    leg_flags: np.ndarray,
    # graph, targets, specs
    edge_head: np.ndarray,
    edge_length_m: np.ndarray,
    edge_speed_mps: np.ndarray,
    edge_class: np.ndarray,
    target_node: np.ndarray,
    next_edge: np.ndarray,
    target_dist_m: np.ndarray,
    target_time_s: np.ndarray,
    kwh_per_m: np.ndarray,
    is_bev: np.ndarray,
    kwh_per_m_per_t: np.ndarray,
    speed_factors: np.ndarray,
    edge_count: np.ndarray,
    edge_jam_vehicles: np.ndarray,
    # dispatch
    node_zone: np.ndarray,
    zone_lb_s: np.ndarray,
    zone_order: np.ndarray,
    req_time_s: np.ndarray,
    req_origin: np.ndarray,
    req_dest: np.ndarray,
    req_state: np.ndarray,
    req_taxi: np.ndarray,
    req_assign_s: np.ndarray,
    req_cursor: np.ndarray,
    dispatch_counts: np.ndarray,
    dispatch_totals: np.ndarray,
    taxi_params: np.ndarray,
    # charging sites
    site_kind: np.ndarray,
    site_target: np.ndarray,
    site_mcs_site: np.ndarray,
    site_at_node: np.ndarray,
    target_at_node: np.ndarray,
    site_power_kw: np.ndarray,
    site_plug_begin: np.ndarray,
    plug_vehicle: np.ndarray,
    plug_free_s: np.ndarray,
    site_busy: np.ndarray,
    site_queue_head: np.ndarray,
    site_queue_tail: np.ndarray,
    site_queue_len: np.ndarray,
    site_sessions: np.ndarray,
    site_energy_kwh: np.ndarray,
    site_wait_s: np.ndarray,
    site_busy_s: np.ndarray,
    site_max_queue: np.ndarray,
    site_hourly_queue_s: np.ndarray,
    site_hourly_busy_s: np.ndarray,
    session_row: np.ndarray,
    log_site: np.ndarray,
    log_vehicle: np.ndarray,
    log_arrive_s: np.ndarray,
    log_start_s: np.ndarray,
    log_end_s: np.ndarray,
    log_energy_kwh: np.ndarray,
    log_count: np.ndarray,
    charge_params: np.ndarray,
    arrived: np.ndarray,
    bev_rows: np.ndarray,
) -> tuple[int, int]:
    """Run ``n_ticks`` ticks from ``t0_s``; return ``(status code, ticks completed)``.

    ``taxi_params`` = [max_wait_s, max_pickup_s, pickup_dwell_s, dropoff_dwell_s];
    ``charge_params`` = [charge_below_soc, charge_to_soc, taper_start_soc,
    charger_efficiency].  ``speed_factors`` is ``[24, n_road_classes]``.
    ``bev_rows`` (int64) lists the battery-electric rows (charging decisions only visit
    them; rows are not grouped by powertrain).  ``charge_params[4:7]`` = [truck reserve
    SOC, truck minimum gain SOC, route energy margin] (from the scenario).

    On ``KERNEL_QUEUE_OVERFLOW`` the tick that overflowed has run its dispatch, decisions
    and movement but not its charging part; the count returned excludes it, so the
    caller finishes that tick's charging (after growing the log) and continues.
    """
    for k in range(n_ticks):
        t = t0_s + k * dt_s
        hour = int(t // SECONDS_PER_HOUR) % 24
        code = _dispatch_tick(
            status,
            node,
            edge,
            detour_target,
            dispatchable,
            dispatch_rank,
            leg,
            leg_begin,
            leg_end,
            wait_until_s,
            leg_target,
            leg_depart_s,
            leg_dwell_s,
            leg_payload_t,
            leg_flags,
            target_time_s,
            node_zone,
            zone_lb_s,
            zone_order,
            req_time_s,
            req_origin,
            req_dest,
            req_state,
            req_taxi,
            req_assign_s,
            req_cursor,
            t,
            taxi_params[0],
            taxi_params[1],
            taxi_params[2],
            taxi_params[3],
            0.0,
            dispatch_counts,
        )
        if code != KERNEL_OK:
            return code, k
        dispatch_totals[0] += dispatch_counts[0]
        dispatch_totals[1] += dispatch_counts[1]
        if bev_rows.shape[0] > 0:
            code = _charging_decisions(
                t, dt_s, fleet, powertrain_spec, status, node, edge,
                pos_m, leg, leg_begin, leg_end, battery_kwh,
                soc_kwh, max_speed_mps, detour_target, charge_site,
                queue_enter_s, leg_target, leg_flags, edge_head, edge_length_m, next_edge,
                target_dist_m, target_time_s, target_node, kwh_per_m, is_bev, site_kind,
                site_target, site_mcs_site, site_at_node, target_at_node, site_plug_begin,
                site_busy, site_queue_len, charge_params[0],
                charge_params[1], charge_params[4], charge_params[5], charge_params[6],
                bev_rows,
            )
            if code != KERNEL_OK:
                return code, k
        code = _advance_tick(
            status,
            node,
            edge,
            pos_m,
            leg,
            leg_end,
            wait_until_s,
            detour_target,
            soc_kwh,
            odometer_m,
            energy_kwh,
            tkm,
            trips,
            powertrain_spec,
            max_speed_mps,
            dispatchable,
            leg_target,
            leg_depart_s,
            leg_dwell_s,
            leg_payload_t,
            leg_flags,
            edge_head,
            edge_length_m,
            edge_speed_mps,
            edge_class,
            target_node,
            next_edge,
            kwh_per_m,
            is_bev,
            kwh_per_m_per_t,
            t,
            dt_s,
            speed_factors[hour],
            False,
            edge_count,
            edge_jam_vehicles,
            0.1,
            arrived,
        )
        if code != KERNEL_OK:
            return code, k
        code = _charging_tick(
            t,
            dt_s,
            fleet,
            status,
            battery_kwh,
            max_charge_kw,
            soc_kwh,
            wait_until_s,
            detour_target,
            charge_site,
            queue_next,
            queue_enter_s,
            charged_kwh,
            grid_kwh,
            wait_s,
            arrived,
            site_power_kw,
            site_plug_begin,
            plug_vehicle,
            plug_free_s,
            site_busy,
            site_queue_head,
            site_queue_tail,
            site_queue_len,
            site_sessions,
            site_energy_kwh,
            site_wait_s,
            site_busy_s,
            site_max_queue,
            site_hourly_queue_s,
            site_hourly_busy_s,
            session_row,
            log_site,
            log_vehicle,
            log_arrive_s,
            log_start_s,
            log_end_s,
            log_energy_kwh,
            log_count,
            charge_params[1],
            charge_params[2],
            TAPER_FLOOR,
            charge_params[3],
        )
        if code == KERNEL_QUEUE_OVERFLOW:
            return code, k
        if code != KERNEL_OK:
            return code, k
    return KERNEL_OK, n_ticks


def run_ticks_args(model: TransportModel) -> tuple:
    """Return the arguments of :func:`_run_ticks` after ``(n_ticks, t0_s, dt_s)``."""
    st, g, tg, sp = model.state, model.context.graph, model.context.targets, model.plan.specs
    d, idx, cs, tb = (
        model.dispatch,
        model.context.dispatch_index,
        model.site_arrays,
        model.site_tables,
    )
    s = model.settings
    taxi_params = np.array(
        [s.taxi_max_wait_s, s.taxi_max_pickup_s, s.taxi_pickup_dwell_s, s.taxi_dropoff_dwell_s]
    )
    charge_params = np.array(
        [
            s.charge_below_soc,
            s.charge_to_soc,
            s.taper_start_soc,
            s.charger_efficiency,
            s.truck_reserve_soc,
            s.truck_min_gain_soc,
            s.route_energy_margin,
        ]
    )
    return (
        st.fleet,
        st.spec,
        st.status,
        st.node,
        st.edge,
        st.pos_m,
        st.leg,
        st.leg_begin,
        st.leg_end,
        st.wait_until_s,
        st.detour_target,
        st.soc_kwh,
        st.battery_kwh,
        st.max_charge_kw,
        st.max_speed_mps,
        st.dispatchable,
        st.dispatch_rank,
        st.odometer_m,
        st.energy_kwh,
        st.tkm,
        st.trips,
        st.charge_site,
        st.queue_next,
        st.queue_enter_s,
        st.charged_kwh,
        st.grid_kwh,
        st.wait_s,
        st.leg_target,
        st.leg_depart_s,
        st.leg_dwell_s,
        st.leg_payload_t,
        st.leg_flags,
        g.edge_head,
        g.edge_length_m,
        g.edge_speed_mps,
        g.edge_class,
        tg.node,
        tg.next_edge,
        tg.dist_m,
        tg.time_s,
        sp.kwh_per_m,
        sp.is_bev,
        sp.payload_slope(),
        model.speed_factors,
        model.edge_count,
        model.edge_jam_vehicles,
        idx.node_zone,
        idx.zone_lb_s,
        idx.zone_order,
        d.time_s,
        d.origin,
        d.dest,
        d.state,
        d.taxi,
        d.assign_s,
        d.cursor,
        model.dispatch_counts,
        model.dispatch_totals,
        taxi_params,
        tb.site_kind,
        tb.site_target,
        tb.site_mcs_site,
        tb.site_at_node,
        tb.target_at_node,
        cs.site_power_kw,
        cs.site_plug_begin,
        cs.plug_vehicle,
        cs.plug_free_s,
        cs.site_busy,
        cs.site_queue_head,
        cs.site_queue_tail,
        cs.site_queue_len,
        cs.site_sessions,
        cs.site_energy_kwh,
        cs.site_wait_s,
        cs.site_busy_s,
        cs.site_max_queue,
        cs.site_hourly_queue_s,
        cs.site_hourly_busy_s,
        cs.session_row,
        cs.log_site,
        cs.log_vehicle,
        cs.log_arrive_s,
        cs.log_start_s,
        cs.log_end_s,
        cs.log_energy_kwh,
        cs.log_count,
        charge_params,
        model.arrived,
        np.ascontiguousarray(model.plan.bev_rows, np.int64),
    )
