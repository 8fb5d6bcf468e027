"""Movement kernel: equivalence with the plain-Python reference, conservation, analytics."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import LOCAL, Network
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import (
    assert_same_state,
    build_graph,
    build_targets,
    grid_graph,
    planned_fleet,
    random_fleet,
    random_graph,
    random_specs,
    route_edges,
)

from transport_sim.codes import (
    KERNEL_OK,
    N_ROAD_CLASSES,
    STATUS_CHARGING,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_NAMES,
    STATUS_OFF,
    STATUS_QUEUED,
    STATUS_STRANDED,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    TrafficBundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
    spec_bundle,
)
from transport_sim.kernels.movement import (
    ARRIVED_DETOUR,
    ARRIVED_LEG,
    _advance_tick_py,
    advance_tick,
    check_network,
    count_vehicles_on_edges,
    jam_vehicles,
)
from transport_sim.kernels.reference import advance_tick_reference
from transport_sim.kernels.state import LEG_TRIP_END, FleetState, KernelGraph, SpecTable, Targets

ONES = np.ones(N_ROAD_CLASSES)


def check_invariants(state: FleetState, graph: KernelGraph) -> None:
    """Positions within edges, SOC within the battery, every vehicle somewhere valid."""
    assert np.all((state.status >= 0) & (state.status < len(STATUS_NAMES)))
    on_edge = state.edge >= 0
    assert np.all(state.edge < graph.n_edges)
    assert np.all((state.node >= 0) & (state.node < graph.n_nodes))
    e = state.edge[on_edge]
    assert np.all(state.pos_m[on_edge] >= 0.0)
    assert np.all(state.pos_m[on_edge] <= graph.edge_length_m[e])
    assert np.all(state.node[on_edge] == graph.edge_tail[e])
    assert np.all(state.pos_m[~on_edge] == 0.0)
    assert np.all(state.soc_kwh >= 0.0)
    assert np.all(state.soc_kwh <= state.battery_kwh + 1e-9)
    assert np.all(state.leg <= state.leg_end)


# --------------------------------------------------------------------------------------
# equivalence with the reference
# --------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), congestion=st.booleans())
def test_matches_reference_on_random_networks(seed: int, congestion: bool) -> None:
    rng = np.random.default_rng(seed)
    n_nodes = int(rng.integers(2, 9))
    graph = random_graph(rng, n_nodes, int(rng.integers(0, 3 * n_nodes)))
    n_targets = int(rng.integers(1, n_nodes + 1))
    targets = build_targets(graph, rng.choice(n_nodes, n_targets, replace=False))
    specs = random_specs(rng, 3)
    check_network(graph, targets, specs)
    kernel = random_fleet(rng, graph, targets, specs, int(rng.integers(1, 15)))
    ref = kernel.copy()
    n = kernel.n_vehicles
    factors = rng.uniform(0.3, 1.5, N_ROAD_CLASSES)
    dt_s = float(rng.choice([0.5, 1.0, 10.0, 45.0]))
    cong: dict = {}
    cong_ref: dict = {}
    if congestion:
        jam = jam_vehicles(graph.edge_length_m, rng.integers(1, 4, graph.n_edges))
        counts = count_vehicles_on_edges(kernel, graph.n_edges)
        min_factor = float(rng.uniform(0.05, 0.5))
        cong = {"edge_count": counts, "edge_jam_vehicles": jam, "min_speed_factor": min_factor}
        cong_ref = {**cong, "edge_count": counts.copy()}
    n_ticks = int(rng.integers(1, 40))
    for tick in range(n_ticks):
        t_s = -30.0 + tick * dt_s
        arrived = np.full(n, 7, np.int8)
        arrived_ref = np.full(n, 7, np.int8)
        advance_tick(kernel, graph, targets, specs, t_s, dt_s, factors, arrived, **cong)
        code = advance_tick_reference(
            ref, graph, targets, specs, t_s, dt_s, factors, arrived_ref, **cong_ref
        )
        assert code == KERNEL_OK
        assert_same_state(kernel, ref)
        np.testing.assert_array_equal(arrived, arrived_ref)
        assert set(np.unique(arrived)) <= {0, ARRIVED_LEG, ARRIVED_DETOUR}
        check_invariants(kernel, graph)
        if congestion:
            np.testing.assert_array_equal(cong["edge_count"], cong_ref["edge_count"])
            np.testing.assert_array_equal(
                cong["edge_count"], count_vehicles_on_edges(kernel, graph.n_edges)
            )


def test_matches_reference_on_hand_built_line(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    plans = [
        [(0, 0.0, 5.0, 12.0, LEG_TRIP_END), (0, 0.0, 0.0, 0.0, 0)],  # arrive, then stay
        [(1, 7.0, 0.0, 3.0, 0), (0, 50.0, 1.0, 1.0, LEG_TRIP_END)],
        [(0, 0.0, 0.0, 0.0, 0)],
    ]
    kernel = planned_fleet(plans)
    kernel.spec[0] = 0
    kernel.soc_kwh[0] = kernel.battery_kwh[0] = 2.0
    kernel.node[2] = 3
    kernel.max_speed_mps[:] = [40.0, 4.0, 1.0]
    ref = kernel.copy()
    for tick in range(200):
        a, b = np.zeros(3, np.int8), np.zeros(3, np.int8)
        advance_tick(kernel, graph, targets, specs, tick * 3.0, 3.0, ONES, a)
        assert advance_tick_reference(ref, graph, targets, specs, tick * 3.0, 3.0, ONES, b) == 0
        assert_same_state(kernel, ref)
        np.testing.assert_array_equal(a, b)
    assert kernel.status.tolist() == [STATUS_DONE] * 3
    assert kernel.trips.tolist() == [1, 1, 0]


# --------------------------------------------------------------------------------------
# conservation
# --------------------------------------------------------------------------------------


def test_odometer_is_sum_of_completed_edges_and_no_edge_is_skipped() -> None:
    rng = np.random.default_rng(11)
    graph = grid_graph(6, 6, 50.0, rng)  # speeds <= 25 m/s, so <= 1 node per 1 s tick
    targets = build_targets(graph, rng.choice(graph.n_nodes, 8, replace=False))
    specs = SpecTable(np.full((1, N_ROAD_CLASSES), 0.001), np.array([False]))
    n, legs = 30, 4
    state = FleetState.allocate(n, n * legs)
    state.spec[:] = 0
    state.leg_begin[:] = state.leg[:] = np.arange(n) * legs
    state.leg_end[:] = state.leg_begin + legs
    state.leg_target[:] = rng.integers(0, targets.n_targets, n * legs)
    state.leg_depart_s[:] = rng.uniform(0.0, 200.0, n * legs)
    state.leg_dwell_s[:] = rng.uniform(0.0, 20.0, n * legs)
    state.node[:] = rng.integers(0, graph.n_nodes, n)
    n_before = state.n_vehicles
    seq: list[list[int]] = [[] for _ in range(n)]
    arrived = np.zeros(n, np.int8)
    for tick in range(900):
        advance_tick(state, graph, targets, specs, float(tick), 1.0, ONES, arrived)
        check_invariants(state, graph)
        for v in range(n):
            e = int(state.edge[v])
            if e >= 0 and (not seq[v] or seq[v][-1] != e):
                seq[v].append(e)
    assert state.n_vehicles == n_before
    assert np.all(state.status == STATUS_DONE)  # everyone finished its plan
    for v in range(n):
        edges = seq[v]
        for a, b in itertools.pairwise(edges):
            assert graph.edge_head[a] == graph.edge_tail[b], f"vehicle {v} skipped an edge"
        completed = edges if state.edge[v] < 0 else edges[:-1]
        expected = sum(graph.edge_length_m[e] for e in completed) + state.pos_m[v]
        assert state.odometer_m[v] == pytest.approx(expected, rel=1e-9)
        assert state.energy_kwh[v] == pytest.approx(0.001 * expected, rel=1e-9)


def test_congestion_counts_conserved_and_slow_vehicles_down() -> None:
    graph = build_graph(2, [0], [1], [750.0], [10.0], [LOCAL])
    targets = build_targets(graph, np.array([1]))
    specs = SpecTable(np.zeros((1, N_ROAD_CLASSES)), np.array([False]))
    jam = jam_vehicles(graph.edge_length_m, 1.0)  # 100 vehicles
    speeds = []
    for n in (1, 51):
        state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]] * n)
        state.spec[:] = 0
        counts = count_vehicles_on_edges(state, graph.n_edges)
        arrived = np.zeros(n, np.int8)
        advance_tick(
            state, graph, targets, specs, 0.0, 10.0, ONES, arrived,
            edge_count=counts, edge_jam_vehicles=jam,
        )  # fmt: skip
        assert counts[0] == n
        speeds.append(state.pos_m[-1] / 10.0)
        assert state.pos_m[0] == pytest.approx(100.0)  # first in: alone on the edge
    assert speeds[0] == pytest.approx(10.0)
    assert speeds[1] == pytest.approx(10.0 * (1.0 - 50 / 100))  # 50 others ahead


def test_congestion_arrays_untouched_when_off(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]])
    counts = np.full(graph.n_edges, 99, np.int32)
    jam = np.full(graph.n_edges, -1.0)
    arrived = np.zeros(1, np.int8)
    traffic = TrafficBundle(False, counts, jam, 0.1)
    code = _advance_tick_py(
        fleet_bundle(state), leg_bundle(state), net_bundle(graph, targets), spec_bundle(specs),
        traffic, 0.0, 1000.0, ONES, arrived,
    )  # fmt: skip
    assert code == KERNEL_OK
    assert arrived[0] == ARRIVED_LEG
    assert np.all(counts == 99)
    assert np.all(jam == -1.0)


# --------------------------------------------------------------------------------------
# analytic cases
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("depart_s", [0.0, 3.0, 10.0])
@pytest.mark.parametrize("dt_s", [1.0, 10.0, 60.0])
def test_free_flow_travel_time(depart_s: float, dt_s: float) -> None:
    rng = np.random.default_rng(5)
    graph = grid_graph(7, 5, 80.0, rng)
    targets = build_targets(graph, np.array([graph.n_nodes - 1]))
    factors = rng.uniform(0.4, 1.0, N_ROAD_CLASSES)
    specs = SpecTable(np.zeros((1, N_ROAD_CLASSES)), np.array([False]))
    state = planned_fleet([[(0, depart_s, 0.0, 0.0, 0)]])
    state.spec[0] = 0
    state.max_speed_mps[0] = 14.0
    route = route_edges(graph, targets, 0, 0)
    speed = np.minimum(graph.edge_speed_mps[route] * factors[graph.edge_class[route]], 14.0)
    expected_s = float(np.sum(graph.edge_length_m[route] / speed))
    arrived = np.zeros(1, np.int8)
    t_s = 0.0
    while arrived[0] != ARRIVED_LEG:
        advance_tick(state, graph, targets, specs, t_s, dt_s, factors, arrived)
        t_s += dt_s
        assert t_s < 10_000.0
    arrival_s = state.wait_until_s[0]
    assert abs(arrival_s - (depart_s + expected_s)) <= dt_s
    # the departure is quantised to the first tick start at or after depart_s; the
    # driving time itself is exact
    first_tick_s = np.ceil(depart_s / dt_s) * dt_s
    assert arrival_s - first_tick_s == pytest.approx(expected_s, rel=1e-9)
    assert state.odometer_m[0] == pytest.approx(graph.edge_length_m[route].sum(), rel=1e-12)


@pytest.mark.parametrize(("soc_kwh", "expected_m"), [(0.03, 30.0), (0.15, 150.0), (1.055, 755.0)])
def test_bev_strands_where_energy_runs_out(
    line: Network, specs: SpecTable, soc_kwh: float, expected_m: float
) -> None:
    # route 0 -> 4: 120 m + 35 m local (1 kWh/km), then 800 m expressway (1.5 kWh/km)
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 2.0, 0)]])
    state.spec[0] = 0
    state.soc_kwh[0] = state.battery_kwh[0] = soc_kwh
    arrived = np.zeros(1, np.int8)
    for tick in range(100):
        advance_tick(state, graph, targets, specs, tick * 7.0, 7.0, ONES, arrived)
    assert STATUS_NAMES[state.status[0]] == "stranded"
    assert state.odometer_m[0] == pytest.approx(expected_m, rel=1e-12)
    assert state.energy_kwh[0] == pytest.approx(soc_kwh, rel=1e-12)
    assert state.soc_kwh[0] == 0.0
    assert state.tkm[0] == pytest.approx(2.0 * expected_m / 1000.0, rel=1e-12)
    cum = np.concatenate([[0.0], np.cumsum(graph.edge_length_m)])
    e = int(np.searchsorted(cum, expected_m, side="right") - 1)
    assert state.edge[0] == e
    assert state.pos_m[0] == pytest.approx(expected_m - cum[e], rel=1e-9)


def test_strands_exactly_at_a_node_when_battery_matches(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]])
    state.spec[0] = 0
    state.soc_kwh[0] = state.battery_kwh[0] = 0.155  # exactly the local part (155 m)
    arrived = np.zeros(1, np.int8)
    for tick in range(10):
        advance_tick(state, graph, targets, specs, tick * 60.0, 60.0, ONES, arrived)
    assert state.status[0] == STATUS_STRANDED
    assert state.odometer_m[0] == pytest.approx(155.0, rel=1e-12)
    assert state.soc_kwh[0] == 0.0


# --------------------------------------------------------------------------------------
# rules of one tick
# --------------------------------------------------------------------------------------


def test_leg_sequence_trips_dwell_and_done(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(1, 0.0, 30.0, 5.0, LEG_TRIP_END), (0, 0.0, 0.0, 1.0, 0)]] * 2)
    state.dispatchable[1] = True
    arrived = np.zeros(2, np.int8)
    advance_tick(state, graph, targets, specs, 0.0, 60.0, ONES, arrived)
    # 120 m at 10 m/s + 35 m at 5 m/s = 19 s: arrival at node 2 at t = 19 s
    assert arrived.tolist() == [ARRIVED_LEG] * 2
    assert state.status.tolist() == [STATUS_DWELL] * 2
    assert state.wait_until_s[0] == pytest.approx(19.0 + 30.0)
    assert state.trips.tolist() == [1, 1]
    assert state.leg.tolist() == [1, 3]
    assert state.tkm[0] == pytest.approx(5.0 * 0.155)
    advance_tick(state, graph, targets, specs, 60.0, 60.0, ONES, arrived)
    # 800 m at 25 m/s = 32 s, then 2.5 m at 2 m/s = 1.25 s: arrival at t = 93.25 s
    assert arrived.tolist() == [ARRIVED_LEG] * 2
    assert state.wait_until_s.tolist() == pytest.approx([93.25, 93.25])
    assert state.trips.tolist() == [1, 1]
    advance_tick(state, graph, targets, specs, 120.0, 60.0, ONES, arrived)
    assert state.status.tolist() == [STATUS_DONE, STATUS_IDLE]
    assert state.trips.tolist() == [1, 1]


def test_departure_waits_for_the_first_tick_start_at_or_after_it(
    line: Network, specs: SpecTable
) -> None:
    graph, targets = line
    state = planned_fleet([[(1, 25.0, 0.0, 0.0, 0)]])
    arrived = np.zeros(1, np.int8)
    for t_s in (0.0, 10.0, 20.0):
        advance_tick(state, graph, targets, specs, t_s, 10.0, ONES, arrived)
        assert state.status[0] == STATUS_OFF
        assert state.odometer_m[0] == 0.0
    advance_tick(state, graph, targets, specs, 30.0, 10.0, ONES, arrived)
    assert state.status[0] == STATUS_MOVING
    assert state.odometer_m[0] == pytest.approx(100.0)


def test_detour_arrival_hands_over_to_charging(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 9.0, LEG_TRIP_END)]])
    state.status[0] = STATUS_MOVING
    state.detour_target[0] = 1  # node 2
    arrived = np.zeros(1, np.int8)
    advance_tick(state, graph, targets, specs, 100.0, 60.0, ONES, arrived)
    assert arrived[0] == ARRIVED_DETOUR
    assert state.status[0] == STATUS_DWELL
    assert state.wait_until_s[0] == pytest.approx(119.0)
    assert state.detour_target[0] == 1  # the charging kernel clears it
    assert state.leg[0] == 0
    assert state.trips[0] == 0
    assert state.tkm[0] == 0.0  # no payload on a detour
    before = state.copy()
    advance_tick(state, graph, targets, specs, 160.0, 60.0, ONES, arrived)
    assert_same_state(state, before)  # waiting for the charging kernel
    assert arrived[0] == 0


@pytest.mark.parametrize("status", [STATUS_QUEUED, STATUS_CHARGING, STATUS_STRANDED, STATUS_DONE])
def test_other_statuses_are_left_alone(line: Network, specs: SpecTable, status: int) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]])
    state.status[0] = status
    before = state.copy()
    advance_tick(state, graph, targets, specs, 0.0, 60.0, ONES, np.zeros(1, np.int8))
    assert_same_state(state, before)


def test_several_edges_in_one_tick_and_time_of_day_factors(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]])
    factors = ONES.copy()
    factors[LOCAL] = 0.5
    arrived = np.zeros(1, np.int8)
    advance_tick(state, graph, targets, specs, 0.0, 40.0, factors, arrived)
    # 120 m at 5 m/s (24 s) + 35 m at 2.5 m/s (14 s) + 2 s at 25 m/s on the expressway
    assert state.edge[0] == 2
    assert state.pos_m[0] == pytest.approx(50.0)
    assert state.odometer_m[0] == pytest.approx(205.0)


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def test_no_route_raises(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(2, 0.0, 0.0, 0.0, 0)]])  # node 0 unreachable from node 3
    state.node[0] = 3
    with pytest.raises(KernelError, match="no route at vehicle 0"):
        advance_tick(state, graph, targets, specs, 0.0, 10.0, ONES, np.zeros(1, np.int8))


def test_position_beyond_edge_raises(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]] * 2)
    state.status[1] = STATUS_MOVING
    state.edge[1] = 0
    state.pos_m[1] = 121.0
    with pytest.raises(KernelError, match="bad state at vehicle 1"):
        advance_tick(state, graph, targets, specs, 0.0, 10.0, ONES, np.zeros(2, np.int8))


def test_moving_without_legs_raises(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[]])
    state.status[0] = STATUS_MOVING
    with pytest.raises(KernelError, match="bad state"):
        advance_tick(state, graph, targets, specs, 0.0, 10.0, ONES, np.zeros(1, np.int8))


def test_wrapper_rejects_bad_arrays(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    state = planned_fleet([[(0, 0.0, 0.0, 0.0, 0)]])
    arrived = np.zeros(1, np.int8)
    with pytest.raises(TypeError, match="arrived must have dtype int8"):
        advance_tick(state, graph, targets, specs, 0.0, 10.0, ONES, np.zeros(1))
    with pytest.raises(ValueError, match="dt_s"):
        advance_tick(state, graph, targets, specs, 0.0, 0.0, ONES, arrived)
    with pytest.raises(ValueError, match="speed_factors"):
        advance_tick(state, graph, targets, specs, 0.0, 1.0, ONES * 0.0, arrived)
    with pytest.raises(ValueError, match="both edge_count"):
        advance_tick(
            state, graph, targets, specs, 0.0, 1.0, ONES, arrived,
            edge_count=np.zeros(graph.n_edges, np.int32),
        )  # fmt: skip
    state.pos_m = state.pos_m.astype(np.float32)
    with pytest.raises(TypeError, match=r"state\.pos_m"):
        advance_tick(state, graph, targets, specs, 0.0, 1.0, ONES, arrived)


def test_check_network_names_bad_fields(line: Network, specs: SpecTable) -> None:
    graph, targets = line
    check_network(graph, targets, specs)
    slow = KernelGraph(**{**graph.__dict__, "edge_speed_mps": np.zeros(graph.n_edges)})
    with pytest.raises(ValueError, match="edge_speed_mps"):
        check_network(slow, targets, specs)
    slot = targets.next_edge.slot.copy()
    slot[1, 0] = np.diff(graph.indptr)[0] + 1  # one past node 0's out-edges
    wrong = Targets(targets.node, targets.next_edge._replace(slot=slot), targets.dist_m,
                    targets.time_s)
    with pytest.raises(ValueError, match="leaving node u"):
        check_network(graph, wrong, specs)


def test_payload_energy_is_empty_value_plus_tonnes_times_slope(line: Network) -> None:
    """Analytic: 957.5 m at 3 kWh/km empty + 0.05 kWh/(km t); 10 t on board vs empty."""
    kwh = np.full((1, N_ROAD_CLASSES), 0.003)
    specs = SpecTable(kwh_per_m=kwh, is_bev=np.array([False]),
                      kwh_per_m_per_t=np.array([5e-5]))
    state = FleetState.allocate(2, 2)
    state.spec[:] = 0
    state.leg_begin[:] = state.leg[:] = [0, 1]
    state.leg_end[:] = [1, 2]
    state.leg_target[:] = 0  # node 4, 957.5 m down the chain
    state.leg_payload_t[:] = [10.0, 0.0]  # a loaded and an empty truck
    state.leg_flags[:] = LEG_TRIP_END
    ref = state.copy()
    arrived = np.zeros(2, np.int8)
    for t_s in np.arange(0.0, 2000.0, 10.0):
        advance_tick(state, line.graph, line.targets, specs, float(t_s), 10.0, ONES, arrived)
        advance_tick_reference(ref, line.graph, line.targets, specs, float(t_s), 10.0, ONES,
                               np.zeros(2, np.int8))
    assert state.status.tolist() == [STATUS_DONE, STATUS_DONE]
    assert state.energy_kwh[0] == pytest.approx(957.5 * (0.003 + 10 * 5e-5), rel=1e-12)
    assert state.energy_kwh[1] == pytest.approx(957.5 * 0.003, rel=1e-12)  # empty leg
    assert state.tkm[0] == pytest.approx(9.575, rel=1e-12)
    assert_same_state(state, ref)
