"""One base year: every shipped scenario gives 2024 the same inputs and the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import small

from transport_sim.pipeline.run import run_tables
from transport_sim.scenario.settings import load_scenario

REPO = Path(__file__).resolve().parents[2]
NAMES = ("baseline", "shiyan_plan", "plan_plus")
BASE_YEAR = 2024
#: Levers that act only through the yearly stock turnover, i.e. from the first turnover
#: after the base year (2025): they may differ between scenarios without touching 2024.
TURNOVER_ONLY = ("lifetime_scale", "phase_out_standard", "phase_out_year")
#: Levers a run applies from the year after the base year (charger sizing).
AFTER_BASE_YEAR = ("size_for_p95_wait_min",)


def _leaves(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not all(str(k).isdigit() for k in value):
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def _at(value: object, year: int) -> object:
    if isinstance(value, dict):
        import numpy as np

        years = sorted(int(k) for k in value)
        return float(np.interp(year, years, [float(value[str(y)]) for y in years]))
    return value


def test_every_lever_has_the_same_2024_value_in_every_shipped_scenario() -> None:
    resolved = {n: load_scenario(REPO / "experiments" / f"{n}.toml").to_dict() for n in NAMES}
    sections = ("grid", "hydrogen", "policy", "charging")
    values = {
        n: {k: _at(v, BASE_YEAR)
            for s in sections for k, v in _leaves(d.get(s, {}), s + ".").items()
            if k.rsplit(".", 1)[-1] not in (*TURNOVER_ONLY, *AFTER_BASE_YEAR)}
        for n, d in resolved.items()
    }
    ref = values["baseline"]
    for name, vals in values.items():
        assert vals.keys() == ref.keys(), name
        differ = {k: (ref[k], v) for k, v in vals.items() if v != pytest.approx(ref[k])}
        assert not differ, f"{name} differs from baseline in {BASE_YEAR}: {differ}"


@pytest.mark.slow
def test_baseline_and_plan_2024_tables_are_identical() -> None:
    # today's plugs sized as the shipped scenarios do: the same in every scenario
    kw = {"run__end_year": BASE_YEAR, "charging__base_year_p95_wait_min": 30.0,
          "charging__size_day_types": ["weekday"]}
    base = run_tables(small(REPO / "experiments" / "baseline.toml", **kw))
    plan = run_tables(small(REPO / "experiments" / "shiyan_plan.toml", **kw))
    for table in ("annual", "stock", "chargers", "decomposition", "sites"):
        pd.testing.assert_frame_equal(base.tables[table], plan.tables[table], obj=table)
    assert plan.meta["sizing_runs_by_year"][BASE_YEAR] >= 1
    assert plan.tables["chargers"]["wait_p95_min"].max() <= 30.0 + 1e-9
    # and the plan is not credited with anything in the base year
    assert base.meta["co2_wtw_t_by_year"] == plan.meta["co2_wtw_t_by_year"]


@pytest.mark.slow
def test_frozen_plugs_are_the_sized_base_year_plugs() -> None:
    # today's plugs are sized once (a 5-min target so that sizing must add plugs); a
    # frozen scenario keeps exactly them afterwards
    from transport_sim.charging.year_sites import build_year_sites
    from transport_sim.sim.prepare import prepare

    scen = small(REPO / "experiments" / "shiyan_plan.toml", run__end_year=BASE_YEAR + 1,
                 charging__base_year_p95_wait_min=5.0, charging__size_day_types=["weekday"],
                 charging__plug_growth="frozen")
    res = run_tables(scen)
    sites = res.tables["sites"].set_index(["year", "site_id"])["plugs"]
    prep = prepare(scen)
    grown = build_year_sites(prep.context, scen, prep.fleet_def, prep.stock, BASE_YEAR)
    assert sites.loc[BASE_YEAR].sum() > grown.plugs.sum()  # sizing added plugs
    assert (sites.loc[BASE_YEAR + 1] == sites.loc[BASE_YEAR]).all()
    assert list(res.meta["sizing_runs_by_year"]) == [BASE_YEAR]  # nothing sized later
