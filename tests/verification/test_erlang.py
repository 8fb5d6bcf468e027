"""Verification: the model's plug-queue kernel against the analytic M/M/c queue (Erlang C).

The simulated runs use the same kernel as the model (``simulate_queue``).  Run lengths are
chosen so that the 5 % tolerance on the mean wait is at least ~3 standard deviations of
the estimator (standard deviations measured over 6-8 seeds per case while writing this
test: 0.4-1.6 % at these lengths), so the fixed seeds are not a lucky pick.
"""

from __future__ import annotations

import math

import pytest

from transport_sim.charging.queueing import (
    erlang_c_p_wait,
    erlang_c_wait_min,
    erlang_c_wait_quantile_min,
    plugs_for_target,
    simulate_queue,
)
from transport_sim.errors import ScenarioError

MEAN_SERVICE_MIN = 1.0  # short sessions: many customers per simulated hour (time scales out)

# (plugs, utilisation, customers simulated)
CASES = [
    (1, 0.5, 400_000),
    (1, 0.9, 1_500_000),
    (2, 0.7, 600_000),
    (4, 0.8, 1_000_000),
    (8, 0.85, 1_200_000),
]


# ------------------------------------------------------------------ analytic values
def test_mm1_textbook():
    # lambda = 3/h, mu = 4/h: Wq = rho / (mu - lambda) = 0.75 h, P(wait) = rho
    assert erlang_c_wait_min(3.0, 15.0, 1) == pytest.approx(45.0, rel=1e-12)
    assert erlang_c_p_wait(3.0, 15.0, 1) == pytest.approx(0.75, rel=1e-12)
    # P(W > t) = rho exp(-(mu - lambda) t): t95 = ln(0.75 / 0.05) h
    assert erlang_c_wait_quantile_min(3.0, 15.0, 1, 0.95) == pytest.approx(60 * math.log(15.0))
    assert erlang_c_wait_quantile_min(3.0, 15.0, 1, 0.2) == 0.0  # 25 % never wait


def test_mmc_textbook():
    # M/M/3 with lambda = 2, mu = 1: P0 = 1/9, C = 4/9, Lq = 8/9, Wq = Lq / lambda
    assert erlang_c_p_wait(2.0, 60.0, 3) == pytest.approx(4.0 / 9.0, rel=1e-12)
    assert erlang_c_wait_min(2.0, 60.0, 3) == pytest.approx(60.0 * 4.0 / 9.0, rel=1e-12)


def test_erlang_c_table_values():
    # published Erlang C table: 10 Erlangs offered to 11 / 12 servers
    assert erlang_c_p_wait(200.0, 3.0, 11) == pytest.approx(0.6821, abs=1e-4)
    assert erlang_c_p_wait(10.0, 60.0, 12) == pytest.approx(0.4494, abs=1e-4)


def test_erlang_rejects_unstable_and_invalid_inputs():
    with pytest.raises(ScenarioError, match="utilisation"):
        erlang_c_wait_min(4.0, 15.0, 1)
    with pytest.raises(ScenarioError, match="plugs"):
        erlang_c_p_wait(1.0, 15.0, 0)
    with pytest.raises(ScenarioError, match="mean_service_min"):
        erlang_c_wait_min(1.0, -1.0, 2)
    with pytest.raises(ScenarioError, match="quantile"):
        erlang_c_wait_quantile_min(1.0, 15.0, 2, 1.0)
    with pytest.raises(ValueError, match="arrivals_per_h"):
        plugs_for_target(float("nan"), 15.0, 10.0)


def test_plugs_for_target_is_the_smallest_count():
    for lam, service, target in ((6.0, 30.0, 10.0), (40.0, 25.0, 5.0), (0.5, 40.0, 0.0)):
        c = plugs_for_target(lam, service, target)
        assert erlang_c_wait_quantile_min(lam, service, c, 0.95) <= target
        if c > 1 and lam * service / 60.0 < c - 1:
            assert erlang_c_wait_quantile_min(lam, service, c - 1, 0.95) > target


# ------------------------------------------------------------------ simulation
@pytest.mark.parametrize(("plugs", "rho", "customers"), CASES)
def test_simulated_waits_match_erlang_c(plugs, rho, customers):
    lam = rho * plugs * 60.0 / MEAN_SERVICE_MIN
    res = simulate_queue(lam, MEAN_SERVICE_MIN, plugs, hours=customers / lam, seed=20240601,
                         tick_s=300.0)
    wq = erlang_c_wait_min(lam, MEAN_SERVICE_MIN, plugs)
    w95 = erlang_c_wait_quantile_min(lam, MEAN_SERVICE_MIN, plugs, 0.95)
    assert res.sessions == pytest.approx(customers, rel=0.01)
    assert res.wait_mean_min == pytest.approx(wq, rel=0.05)
    assert res.wait_p95_min == pytest.approx(w95, rel=0.10)
    assert res.p_wait == pytest.approx(erlang_c_p_wait(lam, MEAN_SERVICE_MIN, plugs), rel=0.05)
    assert res.utilisation == pytest.approx(rho, rel=0.02)
    assert res.max_queue >= 1


def test_simulation_does_not_depend_on_tick_and_is_reproducible():
    a = simulate_queue(30.0, 6.0, 4, hours=300.0, seed=7, tick_s=10.0)
    b = simulate_queue(30.0, 6.0, 4, hours=300.0, seed=7, tick_s=120.0)
    c = simulate_queue(30.0, 6.0, 4, hours=300.0, seed=7, tick_s=10.0)
    assert a == c
    assert b.sessions == a.sessions
    assert b.wait_mean_min == pytest.approx(a.wait_mean_min, rel=1e-9)
    assert b.wait_p95_min == pytest.approx(a.wait_p95_min, rel=1e-9, abs=1e-9)
    assert b.max_queue == a.max_queue
