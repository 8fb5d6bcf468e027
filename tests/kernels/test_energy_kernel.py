"""Energy kernels: group totals against the reference, energy balance, energy on a route."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import (
    build_targets,
    grid_graph,
    planned_fleet,
    random_fleet,
    random_graph,
    random_specs,
    route_edges,
)

from transport_sim.codes import N_ROAD_CLASSES, STATUS_STRANDED
from transport_sim.kernels.energy import (
    battery_limited_distance_m,
    energy_for_distance_kwh,
    totals_by_group,
)
from transport_sim.kernels.movement import ARRIVED_LEG, advance_tick
from transport_sim.kernels.reference import totals_by_group_reference
from transport_sim.kernels.state import SpecTable

ONES = np.ones(N_ROAD_CLASSES)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 40),
    n_groups=st.integers(1, 6),
    n_quantities=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_totals_match_reference(n: int, n_groups: int, n_quantities: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0.0, 4.0, (n_quantities, n)) * rng.choice([-1.0, 1.0], (1, n))
    group = rng.integers(0, n_groups, n)
    got = totals_by_group(values, group, n_groups)
    np.testing.assert_array_equal(got, totals_by_group_reference(values, group, n_groups))
    np.testing.assert_allclose(got.sum(axis=1), values.sum(axis=1), rtol=1e-9, atol=1e-9)
    one = totals_by_group(values[0], group.astype(np.int8), n_groups)
    assert one.shape == (n_groups,)
    np.testing.assert_array_equal(one, got[0])


def test_totals_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="outside"):
        totals_by_group(np.ones(3), np.array([0, 1, 2]), 2)
    with pytest.raises(ValueError, match="shape"):
        totals_by_group(np.ones(3), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="integers"):
        totals_by_group(np.ones(2), np.array([0.0, 1.0]), 2)


def test_scalar_helpers() -> None:
    assert energy_for_distance_kwh(250.0, 0.002) == 250.0 * 0.002
    assert battery_limited_distance_m(0.5, 0.002) == 0.5 / 0.002


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_bev_energy_balance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_nodes = int(rng.integers(2, 9))
    graph = random_graph(rng, n_nodes, int(rng.integers(0, 2 * n_nodes)))
    n_targets = int(rng.integers(1, n_nodes + 1))
    targets = build_targets(graph, rng.choice(n_nodes, n_targets, replace=False))
    specs = random_specs(rng, 4)
    state = random_fleet(rng, graph, targets, specs, 12)
    soc0 = state.soc_kwh.copy()
    arrived = np.zeros(state.n_vehicles, np.int8)
    for tick in range(60):
        advance_tick(state, graph, targets, specs, tick * 10.0, 10.0, ONES, arrived)
    bev = specs.is_bev[state.spec]
    np.testing.assert_allclose(soc0[bev] - state.soc_kwh[bev], state.energy_kwh[bev], atol=1e-12)
    np.testing.assert_array_equal(state.soc_kwh[~bev], soc0[~bev])  # tanks are not SOC
    assert np.all(state.soc_kwh[state.status == STATUS_STRANDED] == 0.0)


@pytest.mark.parametrize("is_bev", [True, False])
def test_energy_on_a_known_route(is_bev: bool) -> None:
    rng = np.random.default_rng(3)
    graph = grid_graph(6, 6, 90.0, rng)  # random road classes
    targets = build_targets(graph, np.array([35, 0]))
    kwh = rng.uniform(0.0005, 0.002, (1, N_ROAD_CLASSES))
    specs = SpecTable(kwh, np.array([is_bev]))
    state = planned_fleet([[(0, 0.0, 0.0, 4.0, 0), (1, 0.0, 0.0, 0.0, 0)]])
    state.spec[0] = 0
    state.soc_kwh[0] = state.battery_kwh[0] = 100.0 if is_bev else 0.0
    route = route_edges(graph, targets, 0, 0) + route_edges(graph, targets, 1, 35)
    expected_kwh = float(np.sum(graph.edge_length_m[route] * kwh[0, graph.edge_class[route]]))
    arrived = np.zeros(1, np.int8)
    n_arrivals = 0
    for tick in range(200):
        advance_tick(state, graph, targets, specs, tick * 10.0, 10.0, ONES, arrived)
        n_arrivals += int(arrived[0] == ARRIVED_LEG)
    assert n_arrivals == 2
    assert state.energy_kwh[0] == pytest.approx(expected_kwh, rel=1e-9)
    assert state.odometer_m[0] == pytest.approx(graph.edge_length_m[route].sum(), rel=1e-9)
    first = route_edges(graph, targets, 0, 0)
    assert state.tkm[0] == pytest.approx(4.0 * graph.edge_length_m[first].sum() / 1000.0)
    if is_bev:
        assert state.soc_kwh[0] == pytest.approx(100.0 - expected_kwh, rel=1e-12)
