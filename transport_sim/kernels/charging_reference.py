"""Plain-Python references of the charging kernels (used by the tests only).

Same arguments and in-place effects as :func:`transport_sim.kernels.charging._charging_tick`
and :func:`transport_sim.kernels.charging._charging_decisions`, written differently on
purpose: Python lists for the queues, a heap of plug free times, an event sweep for the
longest queue, and the charging curve as "time between two SOCs" / "SOC after a time".
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    KERNEL_BAD_STATE,
    KERNEL_OK,
    KERNEL_QUEUE_OVERFLOW,
    STATUS_CHARGING,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
    STATUS_QUEUED,
)
from transport_sim.kernels.bundles import (
    ChargeLogBundle,
    ChargeParams,
    FleetBundle,
    LegBundle,
    NetBundle,
    SiteBundle,
    SiteTableBundle,
    SpecBundle,
)
from transport_sim.kernels.charging import (
    ARRIVED_AT_DETOUR,
    DONE_EPS_KWH,
    EXPECTED_SESSION_S,
    FLEET_BUS,
    FLEET_SHIP,
    FLEET_TAXI,
    FLEET_TRUCK,
    KIND_DEPOT,
    KIND_PORT,
    KIND_SERVICE_AREA,
    KIND_URBAN,
    ROAD_EXPRESSWAY,
)
from transport_sim.kernels.state import LEG_CHARGE_OK, LEG_LAYOVER, LEG_OFF_NETWORK
from transport_sim.units import SECONDS_PER_HOUR

_HOUR_S = SECONDS_PER_HOUR


def charge_curve_reference(
    soc_kwh: float,
    target_kwh: float,
    battery_kwh: float,
    power_kw: float,
    efficiency: float,
    taper_start_soc: float,
    taper_floor: float,
    duration_s: float,
) -> tuple[float, float, bool]:
    """Return (new SOC, seconds used, target reached) for ``duration_s`` on the plug."""
    if target_kwh - soc_kwh <= DONE_EPS_KWH:
        return soc_kwh, 0.0, True
    rate = power_kw * efficiency / _HOUR_S
    knee = taper_start_soc * battery_kwh
    slope = 0.0 if taper_start_soc >= 1.0 else (1.0 - taper_floor) / (
        (1.0 - taper_start_soc) * battery_kwh
    )

    def factor(x: float) -> float:
        return 1.0 if x <= knee else max(1.0 - slope * (x - knee), taper_floor)

    def seconds_between(a: float, b: float) -> float:
        """Time to charge from SOC a to SOC b (a <= b)."""
        total = 0.0
        if a < knee:
            top = min(b, knee)
            total += (top - a) / rate
            a = top
        if b > a:
            if slope == 0.0:
                total += (b - a) / rate
            else:
                # log(f(a) / f(b)) as log1p: the factors may differ by less than rounding
                total += math.log1p(slope * (b - a) / factor(b)) / (slope * rate)
        return total

    def soc_after(a: float, seconds: float) -> float:
        if a < knee:
            to_knee = (knee - a) / rate
            if seconds < to_knee:
                return a + rate * seconds
            seconds -= to_knee
            a = knee
        if slope == 0.0:
            return a + rate * seconds
        # f(a) (1 - exp(-slope rate t)) / slope above a, with expm1 (see seconds_between)
        return a - factor(a) * math.expm1(-slope * rate * seconds) / slope

    # same phase split as the kernel so that rounding agrees
    if soc_kwh < knee and min(target_kwh, knee) < target_kwh:
        t_knee = (knee - soc_kwh) / rate
        if t_knee > duration_s:
            return min(soc_kwh + rate * duration_s, knee), duration_s, False
        rest = seconds_between(knee, target_kwh)
        if rest <= duration_s - t_knee:
            return target_kwh, t_knee + rest, True
        return min(soc_after(knee, duration_s - t_knee), target_kwh), duration_s, False
    need_s = seconds_between(soc_kwh, target_kwh)
    if need_s <= duration_s:
        return target_kwh, need_s, True
    return min(soc_after(soc_kwh, duration_s), target_kwh), duration_s, False


def _add_hourly(hourly_s: np.ndarray, site: int, a_s: float, b_s: float) -> None:
    h = math.floor(a_s / _HOUR_S)
    t = a_s
    while t < b_s:
        edge = min(b_s, (h + 1) * _HOUR_S)
        if edge > t:
            hourly_s[site, int(h) % 24] += edge - t
            t = edge
        h += 1


def charging_tick_reference(  # noqa: PLR0912
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    arrived: np.ndarray,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> int:
    """Plain-Python twin of ``_charging_tick`` (same arguments, same effects)."""
    fleet, status, battery_kwh = vehicles.fleet, vehicles.status, vehicles.battery_kwh
    max_charge_kw, soc_kwh = vehicles.max_charge_kw, vehicles.soc_kwh
    wait_until_s, detour_target = vehicles.wait_until_s, vehicles.detour_target
    charge_site, queue_next = vehicles.charge_site, vehicles.queue_next
    queue_enter_s, charged_kwh = vehicles.queue_enter_s, vehicles.charged_kwh
    grid_kwh, wait_s, site_power_kw = vehicles.grid_kwh, vehicles.wait_s, sites.site_power_kw
    site_plug_begin, plug_vehicle = sites.site_plug_begin, sites.plug_vehicle
    site_busy = sites.site_busy
    site_queue_head, site_queue_tail = sites.site_queue_head, sites.site_queue_tail
    site_queue_len, site_sessions = sites.site_queue_len, sites.site_sessions
    site_energy_kwh, site_wait_s = sites.site_energy_kwh, sites.site_wait_s
    site_busy_s, site_max_queue = sites.site_busy_s, sites.site_max_queue
    site_hourly_queue_s, site_hourly_busy_s = sites.site_hourly_queue_s, sites.site_hourly_busy_s
    session_row, log_site, log_vehicle = sites.session_row, log.log_site, log.log_vehicle
    log_arrive_s, log_start_s, log_end_s = log.log_arrive_s, log.log_start_s, log.log_end_s
    log_energy_kwh, log_count = log.log_energy_kwh, log.log_count
    charge_to_soc, taper_start_soc = charge.charge_to_soc, charge.taper_start_soc
    taper_floor, charger_efficiency = charge.taper_floor, charge.charger_efficiency
    t_end = t_s + dt_s
    n_sites = len(site_power_kw)
    joiners: list[tuple[int, int, float]] = []
    for v in range(len(status)):
        s = int(charge_site[v])
        if s < 0 or session_row[v] >= 0:
            continue
        if arrived[v] == ARRIVED_AT_DETOUR:
            joiners.append((v, s, float(wait_until_s[v])))
        elif status[v] == STATUS_QUEUED:
            joiners.append((v, s, float(queue_enter_s[v])))
        elif (
            fleet[v] == BACKGROUND_FLEET_CODE and status[v] in (STATUS_OFF, STATUS_DONE)
            and wait_until_s[v] < t_end
        ):
            joiners.append((v, s, float(wait_until_s[v])))
    if any(s >= n_sites for _, s, _ in joiners):
        return KERNEL_BAD_STATE
    if int(log_count[0]) + len(joiners) > len(log_site):
        return KERNEL_QUEUE_OVERFLOW

    # queues as Python lists (unpack the linked lists)
    queues: list[list[int]] = []
    for s in range(n_sites):
        q = []
        u = int(site_queue_head[s])
        while u >= 0:
            q.append(u)
            u = int(queue_next[u])
        queues.append(q)
    for v, s, arrive in joiners:  # vehicle order, as the kernel
        row = int(log_count[0])
        log_count[0] = row + 1
        session_row[v] = row
        log_site[row], log_vehicle[row], log_arrive_s[row] = s, v, arrive
        log_start_s[row] = np.nan
        log_end_s[row] = np.nan
        log_energy_kwh[row] = 0.0
        status[v] = STATUS_QUEUED
        queue_enter_s[v] = arrive
        queues[s].append(v)
    for s in range(n_sites):  # stable sort by arrival == sorted insertion behind ties
        queues[s].sort(key=lambda u: queue_enter_s[u])

    def charge(v: int, s: int, begin: float) -> tuple[bool, float]:
        power = min(float(site_power_kw[s]), float(max_charge_kw[v]))
        new_soc, used, done = charge_curve_reference(
            float(soc_kwh[v]), charge_to_soc * float(battery_kwh[v]), float(battery_kwh[v]),
            power, charger_efficiency, taper_start_soc, taper_floor, t_end - begin,
        )
        gain = max(new_soc - float(soc_kwh[v]), 0.0)
        grid = gain / charger_efficiency
        soc_kwh[v] += gain
        charged_kwh[v] += gain
        grid_kwh[v] += grid
        site_energy_kwh[s] += grid
        log_energy_kwh[session_row[v]] += grid
        site_busy_s[s] += used
        _add_hourly(site_hourly_busy_s, s, begin, begin + used)
        return done, begin + used

    def finish(v: int, end: float) -> None:
        log_end_s[session_row[v]] = end
        session_row[v] = -1
        charge_site[v] = -1
        detour_target[v] = -1
        wait_until_s[v] = max(float(wait_until_s[v]), end)
        status[v] = STATUS_DONE if fleet[v] == BACKGROUND_FLEET_CODE else STATUS_DWELL

    for s in range(n_sites):
        q = queues[s]
        plugs = range(int(site_plug_begin[s]), int(site_plug_begin[s + 1]))
        if site_busy[s] == 0 and not q:
            continue
        heap: list[tuple[float, int]] = []
        for p in plugs:
            v = int(plug_vehicle[p])
            if v < 0:
                heapq.heappush(heap, (t_s, p))
                continue
            done, end = charge(v, s, t_s)
            if done:
                finish(v, end)
                plug_vehicle[p] = -1
                site_busy[s] -= 1
                heapq.heappush(heap, (end, p))
        in_queue: list[tuple[float, float]] = []  # (enter, start) of everyone queued this tick
        while q and heap and heap[0][0] < t_end:
            free_t, p = heapq.heappop(heap)
            v = q.pop(0)
            enter = float(queue_enter_s[v])
            start = max(free_t, enter)
            in_queue.append((enter, start))
            _add_hourly(site_hourly_queue_s, s, max(enter, t_s), start)
            wait_s[v] += start - enter
            site_wait_s[s] += start - enter
            site_sessions[s] += 1
            log_start_s[session_row[v]] = start
            plug_vehicle[p] = v
            site_busy[s] += 1
            status[v] = STATUS_CHARGING
            if min(float(site_power_kw[s]), float(max_charge_kw[v])) <= 0.0 or battery_kwh[v] <= 0:
                return KERNEL_BAD_STATE
            done, end = charge(v, s, start)
            if done:
                finish(v, end)
                plug_vehicle[p] = -1
                site_busy[s] -= 1
                heapq.heappush(heap, (end, p))
        for v in q:
            enter = float(queue_enter_s[v])
            in_queue.append((enter, math.inf))
            _add_hourly(site_hourly_queue_s, s, max(enter, t_s), t_end)
        # longest queue in the tick: L(t) = #{enter <= t < start}, max at an arrival instant
        for enter_j, _ in in_queue:
            t = max(enter_j, t_s)
            n_waiting = sum(1 for a, b in in_queue if max(a, t_s) <= t < b)
            site_max_queue[s] = max(int(site_max_queue[s]), n_waiting)
        # write the lists back into the linked lists
        site_queue_len[s] = len(q)
        site_queue_head[s] = q[0] if q else -1
        site_queue_tail[s] = q[-1] if q else -1
        for a, b in zip(q, [*q[1:], -1], strict=False):
            queue_next[a] = b
    # vehicles that left a queue have no successor
    for v in range(len(status)):
        if status[v] != STATUS_QUEUED:
            queue_next[v] = -1
    return KERNEL_OK


def charging_decisions_reference(  # noqa: PLR0912
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    legs: LegBundle,
    net: NetBundle,
    specs: SpecBundle,
    tables: SiteTableBundle,
    sites: SiteBundle,
    charge: ChargeParams,
    rows: np.ndarray,
) -> int:
    """Plain-Python twin of ``_charging_decisions`` (same arguments, same effects)."""
    fleet, spec, status = vehicles.fleet, vehicles.spec, vehicles.status
    node, edge, pos_m = vehicles.node, vehicles.edge, vehicles.pos_m
    leg, leg_begin, leg_end = vehicles.leg, vehicles.leg_begin, vehicles.leg_end
    battery_kwh, soc_kwh = vehicles.battery_kwh, vehicles.soc_kwh
    max_speed_mps, detour_target = vehicles.max_speed_mps, vehicles.detour_target
    charge_site, queue_enter_s = vehicles.charge_site, vehicles.queue_enter_s
    leg_target, leg_flags, edge_head = legs.leg_target, legs.leg_flags, net.edge_head
    edge_length_m, next_edge, target_dist_m = net.edge_length_m, net.next_edge, net.target_dist_m
    target_time_s, target_node, spec_kwh_per_m = net.target_time_s, net.target_node, specs.kwh_per_m
    spec_is_bev, site_kind, site_target = specs.is_bev, tables.site_kind, tables.site_target
    site_mcs_site, site_at_node = tables.site_mcs_site, tables.site_at_node
    target_at_node, site_plug_begin = tables.target_at_node, sites.site_plug_begin
    site_busy, site_queue_len = sites.site_busy, sites.site_queue_len
    charge_below_soc, charge_to_soc = charge.charge_below_soc, charge.charge_to_soc
    truck_reserve_soc, truck_min_gain_soc = charge.truck_reserve_soc, charge.truck_min_gain_soc
    leg_payload_t, spec_kwh_per_m_per_t = legs.leg_payload_t, specs.kwh_per_m_per_t
    plan_margin = charge.route_energy_margin

    def send(v: int, s: int, goal: int, *, now: bool) -> None:
        charge_site[v] = s
        detour_target[v] = goal
        status[v] = STATUS_QUEUED if now else STATUS_MOVING
        if now:
            queue_enter_s[v] = t_s

    def path_nodes(v: int, k: int) -> list[tuple[float, int]]:
        """(distance from the truck, node) along its path toward target k, in order."""
        if edge[v] >= 0:
            u, d = int(edge_head[edge[v]]), float(edge_length_m[edge[v]] - pos_m[v])
        else:
            u, d = int(node[v]), 0.0
        out = [(d, u)]
        seen = {u}
        while len(out) < 256:
            e = next_edge.edge(k, u)
            if e < 0:
                break
            d += float(edge_length_m[e])
            u = int(edge_head[e])
            out.append((d, u))
            if u in seen:
                break
            seen.add(u)
        return out


    def empty_kwh_per_m(v: int) -> float:
        return float(np.max(spec_kwh_per_m[spec[v]]))

    def on_board_kwh_per_m(v: int, j: int) -> float:
        """Extra kWh/m for the tonnes on board on leg ``j``."""
        return float(spec_kwh_per_m_per_t[spec[v]]) * float(leg_payload_t[j])

    def need_kwh(v: int, u: int, wanted: int) -> float:
        """Energy along the next legs up to the first ``wanted`` one (else all legs)."""
        total = 0.0
        here = u
        for j in range(int(leg[v]), int(leg_end[v])):
            k = int(leg_target[j])
            d = float(target_dist_m[k, here])
            if math.isinf(d):
                return math.inf
            total += d * (empty_kwh_per_m(v) + on_board_kwh_per_m(v, j))
            here = int(target_node[k])
            if int(leg_flags[j]) & wanted:
                break
        return total * plan_margin

    def best_reachable(
        v: int, u: int, *, service_areas: bool, soc: float | None = None, extra: float = 0.0
    ) -> int:
        """As the kernel's ``_best_reachable_site``: least drive + wait among reachable sites.

        ``soc`` (kWh) is the charge at ``u`` (default the vehicle's SOC); ``extra`` kWh/m
        is added to the empty kWh/m (tonnes on board).
        """
        soc = float(soc_kwh[v]) if soc is None else soc
        kwh_per_m = empty_kwh_per_m(v) + extra
        kinds = (KIND_URBAN, KIND_SERVICE_AREA) if service_areas else (KIND_URBAN,)
        best, best_t, any_s, any_t = -1, math.inf, -1, math.inf
        for s in range(len(site_kind)):
            kind = int(site_kind[s])
            k = int(site_target[s])
            if k < 0 or kind not in kinds or site_at_node[kind, target_node[k]] != s:
                continue
            plugs = int(site_plug_begin[s + 1] - site_plug_begin[s])
            ahead = int(site_queue_len[s]) + int(site_busy[s]) - plugs + 1
            wait = ahead * EXPECTED_SESSION_S / plugs if ahead > 0 and plugs > 0 else 0.0
            tt = float(target_time_s[k, u]) + wait
            if tt < any_t:
                any_s, any_t = s, tt
            reach = float(target_dist_m[k, u]) * kwh_per_m * plan_margin <= soc
            if reach and tt < best_t:
                best, best_t = s, tt
        best = best if best >= 0 else any_s
        if best >= 0 and site_kind[best] == KIND_SERVICE_AREA and site_mcs_site[best] >= 0:
            best = int(site_mcs_site[best])
        return best

    def next_stop_node(v: int, wanted: int) -> int:
        """Node of the stop where ``need_kwh`` ends (-1 without legs)."""
        out = -1
        for j in range(int(leg[v]), int(leg_end[v])):
            out = int(target_node[int(leg_target[j])])
            if int(leg_flags[j]) & wanted:
                break
        return out

    def nearest_charger_m(x: int) -> float:
        """Shortest-path metres from node ``x`` to the nearest urban hub or service area."""
        dists = [
            float(target_dist_m[int(site_target[s]), x])
            for s in range(len(site_kind))
            if site_target[s] >= 0 and int(site_kind[s]) in (KIND_URBAN, KIND_SERVICE_AREA)
        ]
        return min(dists, default=math.inf)

    reserve = truck_reserve_soc

    def worth(v: int) -> bool:
        """Return True when the SOC is far enough below the target for a plan-aware stop."""
        return soc_kwh[v] < (charge_to_soc - truck_min_gain_soc) * battery_kwh[v]
    for v in (int(r) for r in rows):  # only the listed (battery-electric) rows
        f = int(fleet[v])
        bev = bool(spec_is_bev[spec[v]]) and battery_kwh[v] > 0
        if f not in (FLEET_BUS, FLEET_TAXI, FLEET_TRUCK, FLEET_SHIP) or not bev:
            continue
        if charge_site[v] >= 0 or detour_target[v] >= 0:
            continue
        low = soc_kwh[v] < charge_below_soc * battery_kwh[v]
        standing = edge[v] < 0
        u = int(node[v])
        if f == FLEET_BUS:
            last = int(leg[v]) - 1
            layover = (
                leg_begin[v] <= last < leg_end[v]
                and leg_flags[last] & (LEG_LAYOVER | LEG_CHARGE_OK)
            )
            s = int(site_at_node[KIND_DEPOT, u])
            if not (standing and status[v] == STATUS_DWELL and layover and s >= 0):
                continue
            short = soc_kwh[v] - need_kwh(v, u, LEG_LAYOVER | LEG_CHARGE_OK) < (
                reserve * battery_kwh[v]
            ) and worth(v)
            if low or short:
                send(v, s, int(target_at_node[u]), now=True)
        elif f == FLEET_TAXI:
            free = status[v] == STATUS_IDLE or (
                status[v] == STATUS_DWELL and leg[v] >= leg_end[v]
            )
            if not (low and standing and free):
                continue
            best = best_reachable(v, u, service_areas=False)
            if best >= 0:
                send(v, best, int(site_target[best]),
                     now=bool(site_at_node[KIND_URBAN, u] == best))
        elif f == FLEET_TRUCK and status[v] == STATUS_DWELL:
            if not standing or not leg_begin[v] <= leg[v] < leg_end[v]:
                continue
            came_in = leg[v] > leg_begin[v] and int(leg_flags[leg[v] - 1]) & LEG_OFF_NETWORK
            if came_in:  # outside the region since its last leg: it charged there
                soc_kwh[v] = max(float(soc_kwh[v]), charge_to_soc * float(battery_kwh[v]))
                continue
            need = need_kwh(v, u, 0xFF)
            short = soc_kwh[v] - need < reserve * battery_kwh[v] and worth(v)
            arrives_low = soc_kwh[v] - need < charge_below_soc * battery_kwh[v]
            leaves = int(leg_flags[leg[v]]) & LEG_OFF_NETWORK
            if not (low or short or leaves) and worth(v) and arrives_low:
                # departure check: the next stop AND the nearest charger after it
                after = nearest_charger_m(next_stop_node(v, 0xFF)) * (
                    empty_kwh_per_m(v) * plan_margin
                )
                short = soc_kwh[v] - need - after < reserve * battery_kwh[v]
            if not (low or short):
                continue
            best = best_reachable(
                v, u, service_areas=True, extra=on_board_kwh_per_m(v, int(leg[v]))
            )
            if best >= 0:
                goal = int(site_target[best])
                send(v, best, goal, now=bool(target_node[goal] == u))
        elif f == FLEET_TRUCK:
            if status[v] != STATUS_MOVING or not leg_begin[v] <= leg[v] < leg_end[v]:
                continue
            k = int(leg_target[leg[v]])
            reach = float(max_speed_mps[v]) * dt_s
            ahead = [
                h for d, h in path_nodes(v, k)
                if d <= reach and site_at_node[KIND_SERVICE_AREA, h] >= 0
            ]
            battery = float(battery_kwh[v])
            short = False
            worth_it = False
            need = 0.0
            first = u if standing else int(edge_head[edge[v]])
            rest = 0.0 if standing else float(edge_length_m[edge[v]] - pos_m[v])
            on_board = on_board_kwh_per_m(v, int(leg[v]))
            if soc_kwh[v] < (charge_to_soc - truck_min_gain_soc) * battery:
                need = (rest + float(target_dist_m[k, first])) * (
                    float(spec_kwh_per_m[spec[v], ROAD_EXPRESSWAY]) + on_board
                )
                short = soc_kwh[v] - need < truck_reserve_soc * battery
                worth_it = True
            if not ahead:
                if low and short:  # no service area ahead: the nearest reachable charger
                    kwh_per_m = empty_kwh_per_m(v) + on_board
                    at_head = float(soc_kwh[v]) - rest * kwh_per_m  # charge at the edge's end
                    best = best_reachable(
                        v, first, service_areas=True, soc=at_head, extra=on_board
                    )
                    if best >= 0:
                        goal = int(site_target[best])
                        send(v, best, goal, now=standing and int(target_node[goal]) == u)
                continue
            h = ahead[0]
            leaves = int(leg_flags[leg[v]]) & LEG_OFF_NETWORK  # charged outside after it
            if not (low or short or leaves) and worth_it:
                # the last service area unless a charger follows the target in reach
                after = nearest_charger_m(int(target_node[k])) * (
                    empty_kwh_per_m(v) * plan_margin
                )
                short = soc_kwh[v] - need - after < truck_reserve_soc * battery
            if low or short:
                s = int(site_at_node[KIND_SERVICE_AREA, h])
                chosen = int(site_mcs_site[s]) if site_mcs_site[s] >= 0 else s
                send(v, chosen, int(target_at_node[h]), now=standing and u == h)
        elif f == FLEET_SHIP:
            s = int(site_at_node[KIND_PORT, u])
            if not (standing and status[v] == STATUS_DWELL and s >= 0):
                continue
            short = soc_kwh[v] - need_kwh(v, u, LEG_CHARGE_OK) < reserve * battery_kwh[v] and (
                worth(v)
            )
            if low or short:
                send(v, s, int(target_at_node[u]), now=True)
    return KERNEL_OK
