"""Through traffic and rail-yard drayage end to end (small runs).

Through traffic (fleet ``through_truck``) is not Shiyan's: a Shiyan truck lever must not
change it.  Drayage carries the rail tonnage between the rail yards and the plants and
hubs on Shiyan's trucks, and its tonnes come back in the accounting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.codes import THROUGH_FLEET
from transport_sim.pipeline.run import run_tables
from transport_sim.policy.turnover import freight_tonnage_t_per_year

PLANNED = ["tonnes_planned", "tkm_planned", "runs_planned"]


@pytest.fixture(scope="module")
def two_runs():
    """The plan and the plan with Shiyan's truck NEV lever off from 2025 (nothing else)."""
    plan = small(PLAN)
    other = small(PLAN, policy__truck__nev_share_of_new={2024: 0.1, 2025: 0.0},
                  policy__truck__phase_out_year=2030)
    return plan, run_tables(plan), run_tables(other)


@pytest.mark.slow
def test_a_shiyan_truck_lever_leaves_through_traffic_unchanged(two_runs) -> None:
    _, a, b = two_runs
    ta, tb = (r.tables["annual"] for r in (a, b))
    # the lever acts: Shiyan's trucks differ in 2025 ...
    sa = ta[(ta["fleet"] == "truck") & (ta["year"] == 2025)].set_index("powertrain")
    sb = tb[(tb["fleet"] == "truck") & (tb["year"] == 2025)].set_index("powertrain")
    assert not sa["vehicles"].equals(sb["vehicles"].reindex(sa.index))
    # ... through traffic does not: same trips, tonnes, powertrains; combustion rows equal in
    # every column (battery through trucks share Shiyan's chargers, so their queueing may not)
    xa = ta[ta["fleet"] == THROUGH_FLEET].reset_index(drop=True)
    xb = tb[tb["fleet"] == THROUGH_FLEET].reset_index(drop=True)
    assert len(xa) > 0
    pd.testing.assert_frame_equal(xa[["year", "powertrain", *PLANNED]],
                                  xb[["year", "powertrain", *PLANNED]])
    fossil = ~xa["powertrain"].isin(["bev"])
    pd.testing.assert_frame_equal(xa[fossil], xb[fossil])
    # through trucks are not in Shiyan's stock and not in its costs
    assert (xa["vehicles"] == 0).all()
    assert THROUGH_FLEET not in set(a.tables["costs"]["fleet"])


@pytest.mark.slow
def test_through_traffic_follows_the_national_mix_and_its_tonnage(two_runs) -> None:
    scen, a, _ = two_runs
    annual = a.tables["annual"]
    x = annual[annual["fleet"] == THROUGH_FLEET]
    days = 300.0  # truck operating days (one day type simulated: all of them)
    load = 30.0 * 0.85  # heavy tractor payload x load factor
    scale = scen.run.vehicle_scale
    for _year, rows in x.groupby("year"):
        # every through tonne is on a loaded leg: stochastic rounding of one load a day
        assert rows["tonnes_planned"].sum() == pytest.approx(7.5e6, abs=days * load / scale)
        assert set(rows["powertrain"]) <= {"diesel", "lng", "bev", "fcev"}
        diesel = rows.loc[rows["powertrain"] == "diesel"].iloc[0]
        assert diesel["nox_t"] > 0  # national China III-VI mix, not Shiyan's stock
    # in-boundary CO2 includes it; the decomposition keeps it apart
    dec = a.tables["decomposition"]
    through_terms = dec.loc[dec["fleet"] == THROUGH_FLEET, "factor"]
    assert len(through_terms) > 0  # through traffic is decomposed ...
    assert set(through_terms) == {"through_traffic"}  # ... as one term of its own


@pytest.mark.slow
def test_drayage_carries_the_rail_tonnage_by_road(two_runs) -> None:
    """Analytic bookkeeping: drayage tonnes = rail tonnes (to one load a day); t-km > 0."""
    scen, a, _ = two_runs
    from transport_sim.fleets.reader import load_fleets_for

    fdef = load_fleets_for(scen)
    annual = a.tables["annual"]
    trucks = annual[annual["fleet"] == "truck"]
    load = 12.0 * 0.75  # rigid truck payload x load factor (the drayage class)
    for year, rows in trucks.groupby("year"):
        _, rail_t = freight_tonnage_t_per_year(int(year), scen, fdef)
        assert rows["drayage_t"].sum() == pytest.approx(rail_t, abs=300.0 * load
                                                        / scen.run.vehicle_scale)
        tkm = rows["drayage_tkm"].sum()
        assert 0 < tkm < rows["tkm"].sum()
        # yards to plants and hubs: a short haul, well under the rail haul of 133 km
        assert 1.0 < tkm / rows["drayage_t"].sum() < 60.0
    # only Shiyan's trucks dray; rail rows carry none
    others = annual[annual["fleet"] != "truck"]
    assert np.all(others[["drayage_t", "drayage_tkm"]].to_numpy() == 0.0)


@pytest.mark.slow
def test_route_energy_margin_reaches_the_kernel_from_the_scenario() -> None:
    from transport_sim.sim.model import TransportModel
    from transport_sim.sim.prepare import day_seeds, prepare

    prep = prepare(small(PLAN, charging__route_energy_margin=1.37))
    scen = prep.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2024, "weekday")]
    model = TransportModel.for_day(prep, 2024, "weekday", seq)
    try:
        assert model.kernel_bundles().charge.route_energy_margin == pytest.approx(1.37)
    finally:
        model.release()
