"""The event loop's dispatch (idle lists, fresh-only search) equals the tick loop's.

``dispatch_idle._dispatch_idle`` keeps the idle taxis in per-zone lists and lets a request
that found no taxi at the previous tick look only at the taxis listed since; the tick
loop's ``dispatch._dispatch_tick`` rebuilds its buckets and searches the zones every
tick.  Over many ticks of random fleets that move, go idle, leave for chargers and jump
between nodes, both must leave every array identical (the brute-force reference too,
where the ranks are distinct), also when ranks repeat (ties on time and rank go to the
taxi the tick kernel scans first) and when most requests wait in vain.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import LOCAL
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import assert_same_state, build_graph, build_targets, random_dispatch_world

from transport_sim.codes import (
    KERNEL_BAD_STATE,
    KERNEL_OK,
    N_ROAD_CLASSES,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import TaxiParams, dispatch_bundle, fleet_bundle, leg_bundle
from transport_sim.kernels.dispatch import (
    REQ_OPEN,
    TaxiRequests,
    build_dispatch_index,
    dispatch_tick,
)
from transport_sim.kernels.dispatch_idle import _dispatch_idle_py, _fill_idle, idle_taxis_arrays
from transport_sim.kernels.movement import advance_tick
from transport_sim.kernels.reference import dispatch_tick_reference
from transport_sim.kernels.state import FleetState, SpecTable

ONES = np.ones(N_ROAD_CLASSES)
DT_S = 10.0
#: The columns whose change the caller must report (``changed`` of ``_dispatch_idle``).
WATCHED = ("status", "node", "edge", "detour_target")


def copy_requests(r: TaxiRequests) -> TaxiRequests:
    return TaxiRequests(**{name: arr.copy() for name, arr in r.__dict__.items()})


def assert_same_requests(a: TaxiRequests, b: TaxiRequests) -> None:
    for name in ("state", "taxi", "assign_s", "cursor"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


class IdleRun:
    """A fleet and its requests dispatched by ``_dispatch_idle``, one tick at a time."""

    def __init__(self, state: FleetState, targets, index, requests: TaxiRequests, params: dict):
        self.state, self.targets, self.requests = state, targets, requests
        self.dispatch = dispatch_bundle(index, requests)
        self.taxi = TaxiParams(**{"dropoff_payload_t": 0.0, **params})
        rows = np.flatnonzero(state.dispatchable).astype(np.int64)
        self.idle = idle_taxis_arrays(state.n_vehicles, index.n_zones)
        _fill_idle(fleet_bundle(state), index.node_zone, rows, self.idle)
        self.seen = self._snapshot()
        self.searched_in_vain = 0  # open requests that took the fresh-only search

    def _snapshot(self) -> dict[str, np.ndarray]:
        return {name: getattr(self.state, name).copy() for name in WATCHED}

    def tick(self, t_s: float, extra: np.ndarray) -> tuple[int, int, int]:
        """Dispatch at ``t_s`` naming the rows changed since the last call plus ``extra``."""
        changed = np.zeros(self.state.n_vehicles, bool)
        for name, before in self.seen.items():
            changed |= getattr(self.state, name) != before
        rows = np.concatenate([np.flatnonzero(changed), extra, extra]).astype(np.int64)
        # the open requests that the previous round searched in vain (fresh-only search)
        c_open, c_rel = (int(c) for c in self.requests.cursor[::-1])
        upto = min(int(self.idle.cnt[3]), c_rel)
        released = self.requests.state[c_open:upto] == REQ_OPEN
        self.searched_in_vain += int(np.count_nonzero(released))
        code = _dispatch_idle_py(
            fleet_bundle(self.state),
            leg_bundle(self.state),
            self.targets.time_s,
            self.dispatch,
            self.taxi,
            float(t_s),
            self.idle,
            rows,
            rows.shape[0],
        )
        self.seen = self._snapshot()
        return code, int(self.dispatch.counts[0]), int(self.dispatch.counts[1])


def shuffle_taxis(rng: np.random.Generator, states: list[FleetState], n_nodes: int) -> None:
    """Apply the same random changes to every copy: idle taxis jump to another node, go to
    a charger or dwell; dwelling ones become idle (what the other stages of a tick do)."""
    s0 = states[0]
    for v in np.flatnonzero(s0.dispatchable):
        roll = rng.random()
        idle = s0.status[v] == STATUS_IDLE and s0.edge[v] < 0 and s0.detour_target[v] < 0
        dwell = s0.status[v] == STATUS_DWELL
        back = s0.detour_target[v] >= 0 and s0.edge[v] < 0
        jump = int(rng.integers(0, n_nodes))
        for s in states:
            if idle and roll < 0.05:
                s.node[v] = jump
            elif idle and roll < 0.08:
                s.detour_target[v] = 0
                s.status[v] = STATUS_MOVING
            elif idle and roll < 0.1:
                s.status[v] = STATUS_DWELL
            elif dwell and roll < 0.3:
                s.status[v] = STATUS_IDLE
            elif back and roll < 0.2:
                s.detour_target[v] = -1
                s.status[v] = STATUS_IDLE


def random_case(seed: int, *, ranks: str = "distinct", reach: str = "any") -> tuple:
    rng = np.random.default_rng(seed)
    graph, targets, index, state = random_dispatch_world(
        rng, max_nodes=14, max_zones=6, max_taxis=14
    )
    n_targets = targets.node.shape[0]
    n = state.n_vehicles
    if ranks == "distinct":
        state.dispatch_rank[:] = rng.permutation(n).astype(np.int32)
    else:  # a few rank values, given many times: ties on time and rank
        state.dispatch_rank[:] = rng.integers(0, 2, n).astype(np.int32)
    n_req = int(rng.integers(0, 60))
    times = np.sort(rng.uniform(0.0, 600.0, n_req).round(0))  # ties included
    requests = TaxiRequests.from_arrays(
        times, rng.integers(0, n_targets, n_req), rng.integers(0, n_targets, n_req), n_targets
    )
    short = reach == "short"
    params = {
        "max_wait_s": float(rng.choice([120.0, 400.0] if short else [0.0, 30.0, 120.0])),
        "max_pickup_s": float(rng.choice([5.0, 20.0] if short else [0.0, 20.0, 60.0, 1e9])),
        "pickup_dwell_s": float(rng.uniform(0.0, 60.0)),
        "dropoff_dwell_s": float(rng.uniform(0.0, 60.0)),
    }
    return graph, targets, index, state, requests, params, rng


def run_both(seed: int, *, ranks: str = "distinct", reach: str = "any") -> int:
    """Run the tick kernel, the idle-list kernel (and the reference) side by side.

    Returns the number of open requests that took the fresh-only search.
    """
    graph, targets, index, state, req, params, rng = random_case(seed, ranks=ranks, reach=reach)
    ref, req_ref = state.copy(), copy_requests(req)
    idle_state, req_idle = state.copy(), copy_requests(req)
    run = IdleRun(idle_state, targets, index, req_idle, params)
    specs = SpecTable(np.full((1, N_ROAD_CLASSES), 0.001), np.array([False]))
    n = state.n_vehicles
    for tick in range(70):
        t_s = tick * DT_S
        got = dispatch_tick(state, targets, index, req, t_s, **params)
        extra = rng.integers(0, n, int(rng.integers(0, 3))) if n else np.zeros(0, np.int64)
        code, *got_idle = run.tick(t_s, extra)
        assert code == KERNEL_OK
        assert got_idle == list(got), f"tick {tick}"
        assert_same_state(idle_state, state)
        assert_same_requests(req_idle, req)
        if ranks == "distinct":
            code, *want = dispatch_tick_reference(ref, targets, req_ref, t_s, **params)
            assert code == KERNEL_OK
            assert want == list(got)
            assert_same_state(ref, state)
        copies = [state, idle_state, ref]
        for s in copies:
            advance_tick(s, graph, targets, specs, t_s, DT_S, ONES, np.zeros(n, np.int8))
        shuffle_taxis(rng, copies, graph.n_nodes)
    return run.searched_in_vain


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_equals_the_tick_kernel_and_the_reference(seed: int) -> None:
    run_both(seed)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_equals_the_tick_kernel_when_ranks_repeat(seed: int) -> None:
    run_both(seed, ranks="repeated")


def test_requests_that_wait_in_vain_search_only_new_taxis_and_agree() -> None:
    """Short pickup reach and long waits: most requests stay open for many ticks."""
    in_vain = sum(run_both(seed, reach="short") for seed in range(30))
    in_vain += sum(run_both(seed, ranks="repeated", reach="short") for seed in range(30))
    assert in_vain > 1000  # the fresh-only search did most of the work


def test_ties_go_to_the_taxi_the_tick_kernel_scans_first() -> None:
    """Equal time and equal rank: to the taxi in the zone the tick kernel visits first
    (then the lower row), also when both are new to a request that waited in vain."""
    # pickup at node 0; nodes 1 and 2 are 10 s from it, node 3 is 100 s away
    tails, heads = [1, 2, 3, 0, 0, 0], [0, 0, 0, 1, 2, 3]
    lengths = [100.0, 100.0, 1000.0, 100.0, 100.0, 100.0]
    graph = build_graph(4, tails, heads, lengths, [10.0] * 6, [LOCAL] * 6)
    targets = build_targets(graph, np.array([0, 1]))
    index = build_dispatch_index(targets, np.array([0, 1, 0, 1]), 2)
    assert index.zone_order[0].tolist() == [0, 1]  # zone 0 (nodes 0, 2) first
    params = {"max_wait_s": 600.0, "max_pickup_s": 10.0, "pickup_dwell_s": 0.0,
              "dropoff_dwell_s": 0.0}  # fmt: skip
    chosen = []
    for engine in ("tick", "idle"):
        state = FleetState.allocate(3, 6)
        state.leg_begin[:] = state.leg[:] = state.leg_end[:] = [0, 2, 4]
        state.dispatchable[:] = True
        state.status[:] = [STATUS_IDLE, STATUS_MOVING, STATUS_MOVING]
        state.node[:] = [3, 0, 0]  # taxi 0 idles out of reach: the request waits in vain
        state.dispatch_rank[:] = 0
        req = TaxiRequests.from_arrays(np.array([0.0]), [0], [1], 2)
        run = IdleRun(state, targets, index, req, params)
        tick = engine == "tick"
        got = dispatch_tick(state, targets, index, req, 0.0, **params) if tick else None
        if not tick:
            assert run.tick(0.0, np.zeros(0, np.int64)) == (KERNEL_OK, 0, 0)
        # taxis 1 and 2 become idle, 10 s away, in zones 1 and 0
        state.status[1:] = STATUS_IDLE
        state.node[1:] = [1, 2]
        if tick:
            got = dispatch_tick(state, targets, index, req, DT_S, **params)
        else:
            got = run.tick(DT_S, np.zeros(0, np.int64))[1:]
            assert run.searched_in_vain == 1  # the fresh-only search decided
        assert tuple(got) == (1, 0)
        chosen.append(int(req.taxi[0]))
    # and a new request, searching the zones, finds both idle from the start
    for engine in ("tick", "idle"):
        state.status[:] = [STATUS_MOVING, STATUS_IDLE, STATUS_IDLE]
        req = TaxiRequests.from_arrays(np.array([0.0]), [0], [1], 2)
        if engine == "tick":
            assert dispatch_tick(state, targets, index, req, 0.0, **params) == (1, 0)
        else:
            run = IdleRun(state, targets, index, req, params)
            assert run.tick(0.0, np.zeros(0, np.int64)) == (KERNEL_OK, 1, 0)
            assert run.searched_in_vain == 0
        chosen.append(int(req.taxi[0]))
    assert chosen == [2, 2, 2, 2]  # zone 0 is visited first: taxi 2, not the lower row 1


def test_bad_rows_are_reported_only_while_a_request_is_open() -> None:
    graph = build_graph(2, [0, 1], [1, 0], [100.0, 100.0], [10.0, 10.0], [LOCAL, LOCAL])
    targets = build_targets(graph, np.array([0, 1]))
    index = build_dispatch_index(targets)
    params = {"max_wait_s": 600.0, "max_pickup_s": 60.0, "pickup_dwell_s": 0.0,
              "dropoff_dwell_s": 0.0}  # fmt: skip
    state = FleetState.allocate(2, 4)
    state.leg_begin[:] = state.leg[:] = state.leg_end[:] = [0, 2]
    state.dispatchable[:] = True
    state.status[:] = STATUS_IDLE
    state.node[:] = [0, 7]  # taxi 1 idles on a node outside the network
    req = TaxiRequests.from_arrays(np.array([20.0]), [1], [0], 2)
    tick_state, tick_req = state.copy(), copy_requests(req)
    run = IdleRun(state, targets, index, req, params)
    assert dispatch_tick(tick_state, targets, index, tick_req, 0.0, **params) == (0, 0)
    assert run.tick(0.0, np.zeros(0, np.int64)) == (KERNEL_OK, 0, 0)  # nothing open yet
    with pytest.raises(KernelError, match="bad state"):
        dispatch_tick(tick_state, targets, index, tick_req, 20.0, **params)
    assert run.tick(20.0, np.zeros(0, np.int64))[0] == KERNEL_BAD_STATE
    # once that taxi has left the idle set, the request is served
    state.status[1] = STATUS_MOVING
    state.node[1] = 0
    run = IdleRun(state, targets, index, copy_requests(tick_req), params)
    assert run.tick(30.0, np.zeros(0, np.int64)) == (KERNEL_OK, 1, 0)
    assert run.tick(40.0, np.array([5], np.int64))[0] == KERNEL_BAD_STATE  # not a row
