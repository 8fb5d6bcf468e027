"""Additive LMDI decomposition: exact sums, analytic single-factor cases, zero cells."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from transport_sim.accounting.decomposition import (
    FACTORS,
    UNALLOCATED,
    cells,
    decompose_runs,
    decomposition_table,
    lmdi,
    log_mean,
    summary_terms,
)


def _row(year, fleet, powertrain, *, vkm=0.0, tkm=0.0, energy=0.0, wtw=0.0, ttw=0.0,
         diesel=0.0, elec=0.0, h2=0.0):
    return {"year": year, "fleet": fleet, "powertrain": powertrain, "vkm": vkm, "tkm": tkm,
            "energy_kwh": energy, "co2_wtw_t": wtw, "co2_ttw_t": ttw, "diesel_l": diesel,
            "petrol_l": 0.0, "cng_kg": 0.0, "lng_kg": 0.0, "electricity_kwh": elec,
            "hydrogen_kg": h2}


def _annual(rows):
    return pd.DataFrame(rows)


def _base(year=2024, scale=1.0):
    return [
        _row(year, "truck", "diesel", vkm=100.0, tkm=1000.0 * scale, energy=500.0 * scale,
             wtw=130.0 * scale, ttw=110.0 * scale, diesel=50.0),
        _row(year, "truck", "bev", vkm=10.0, tkm=100.0 * scale, energy=20.0 * scale,
             wtw=8.0 * scale, elec=20.0),
        _row(year, "rail_freight", "electric_rail", tkm=50.0 * scale, energy=1.0 * scale,
             wtw=0.4 * scale, elec=1.0),
        _row(year, "bus", "diesel", vkm=300.0 * scale, energy=900.0 * scale, wtw=240.0 * scale,
             ttw=200.0 * scale, diesel=90.0),
        _row(year, "taxi", "bev", vkm=800.0 * scale, energy=120.0 * scale, wtw=45.0 * scale,
             elec=120.0),
    ]


def _total(annual, year, col="co2_wtw_t"):
    return float(annual.loc[annual["year"] == year, col].sum())


def test_log_mean_limits():
    assert log_mean(np.array([2.0]), np.array([2.0]))[0] == 2.0
    assert math.isclose(log_mean(np.array([math.e]), np.array([1.0]))[0], math.e - 1.0)


def test_pure_activity_growth_goes_to_activity_only():
    annual = _annual(_base(2024) + _base(2025, scale=1.3))
    terms = decompose_years_total(annual)
    assert terms["activity"] == pytest.approx(_total(annual, 2025) - _total(annual, 2024))
    for k in ("mode", "powertrain", "energy_intensity", "carbon_intensity_grid",
              "carbon_intensity_fuel"):
        assert terms[k] == pytest.approx(0.0, abs=1e-9)


def decompose_years_total(annual, a=2024, b=2025, metric="wtw"):
    table = decomposition_table(annual)
    sel = table[(table["from_year"] == a) & (table["to_year"] == b) & (table["metric"] == metric)]
    return summary_terms(sel)


def test_grid_factor_change_goes_to_grid_carbon_intensity():
    rows = _base(2025)
    for r in rows:
        if r["electricity_kwh"] > 0:
            r["co2_wtw_t"] *= 0.8
    annual = _annual(_base(2024) + rows)
    terms = decompose_years_total(annual)
    change = _total(annual, 2025) - _total(annual, 2024)
    assert change < 0
    assert terms["carbon_intensity_grid"] == pytest.approx(change)
    assert abs(terms.drop("carbon_intensity_grid")).max() < 1e-9


def test_terms_add_up_exactly_with_appearing_and_vanishing_cells():
    end = _base(2025, scale=1.1)
    end = [r for r in end if r["fleet"] != "rail_freight"]  # rail stops: mode -> 0
    end.append(_row(2025, "truck", "fcev", vkm=5.0, tkm=60.0, energy=40.0, wtw=25.0, h2=1.2))
    end.append(_row(2025, "ship", "diesel", vkm=10.0, energy=30.0, wtw=9.0, ttw=7.5,
                    diesel=3.0))
    annual = _annual(_base(2024) + end)
    for metric, col in (("wtw", "co2_wtw_t"), ("ttw", "co2_ttw_t")):
        terms = decompose_years_total(annual, metric=metric)
        assert terms.sum() == pytest.approx(_total(annual, 2025, col) - _total(annual, 2024, col),
                                            rel=1e-12)
        assert terms[UNALLOCATED] == 0.0
    table = decomposition_table(annual)
    wtw = table[(table["metric"] == "wtw")]
    # the new fuel-cell powertrain: all of its CO2 on the powertrain mix
    fcev = wtw[wtw["powertrain"] == "fcev"]
    assert list(fcev["factor"]) == ["powertrain"]
    assert fcev["co2_t"].iloc[0] == pytest.approx(25.0)
    # a new sector: all of its CO2 on activity; rail stopping: all on the mode shift
    assert list(wtw.loc[wtw["fleet"] == "ship", "factor"]) == ["activity"]
    rail = wtw[wtw["fleet"] == "rail_freight"]
    assert list(rail["factor"]) == ["mode"]
    assert rail["co2_t"].iloc[0] == pytest.approx(-0.4)


def test_zero_co2_cells_contribute_nothing_and_no_change_gives_no_terms():
    annual = _annual(_base(2024) + _base(2025))
    table = decomposition_table(annual)
    assert table.empty or table["co2_t"].abs().max() < 1e-9
    # TTW of electric cells is zero at both ends
    ttw = table[(table["metric"] == "ttw") & (table["powertrain"] == "bev")]
    assert ttw.empty


def test_co2_without_activity_is_unallocated_and_still_adds_up():
    end = _base(2025)
    end.append(_row(2025, "truck", "lng", vkm=1.0, tkm=0.0, energy=5.0, wtw=2.0))
    start = _base(2024)
    start.append(_row(2024, "truck", "lng", vkm=1.0, tkm=0.0, energy=4.0, wtw=1.5))
    annual = _annual(start + end)
    terms = decompose_years_total(annual)
    assert terms[UNALLOCATED] == pytest.approx(0.5)
    assert terms.sum() == pytest.approx(0.5)


def test_run_comparison_rail_shift_is_mode():
    ref = _annual(_base(2030))
    rows = _base(2030)
    # the same freight tonne-km, 40 t-km moved from diesel trucks to rail
    rows[0].update(tkm=960.0, energy_kwh=480.0, co2_wtw_t=124.8)
    rows[2].update(tkm=90.0, energy_kwh=1.8, co2_wtw_t=0.72)
    other = _annual(rows)
    terms = decompose_runs(ref, other, 2030)
    total = summary_terms(terms)
    change = _total(other, 2030) - _total(ref, 2030)
    assert total.sum() == pytest.approx(change, rel=1e-12)
    assert total["activity"] == pytest.approx(0.0, abs=1e-9)
    assert total["energy_intensity"] == pytest.approx(0.0, abs=1e-9)
    assert total["mode"] < 0


@pytest.mark.parametrize("seed", [3, 11])
def test_random_tables_add_up(seed):
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2024, 2025):
        for fleet, pts in (("truck", ("diesel", "bev", "fcev", "lng")), ("bus", ("diesel", "bev")),
                           ("taxi", ("petrol", "bev")), ("ship", ("diesel", "bev")),
                           ("rail_freight", ("electric_rail", "diesel_rail"))):
            for pt in pts:
                if rng.random() < 0.25:
                    continue  # missing cell
                q = rng.uniform(0, 100) * (rng.random() > 0.1)
                e = q * rng.uniform(0.5, 2)
                c = e * rng.uniform(0, 1) * (rng.random() > 0.1)
                rows.append(_row(year, fleet, pt, vkm=q, tkm=q, energy=e, wtw=c,
                                 diesel=1.0 if "diesel" in pt else 0.0,
                                 elec=1.0 if pt in ("bev", "electric_rail") else 0.0))
    annual = _annual(rows)
    table = decomposition_table(annual)
    got = table[table["metric"] == "wtw"]["co2_t"].sum()
    assert got == pytest.approx(_total(annual, 2025) - _total(annual, 2024), rel=1e-10, abs=1e-9)
    assert set(table["factor"]) <= {*FACTORS, UNALLOCATED}


def test_cells_rejects_unknown_fleet():
    annual = _annual([_row(2024, "plane", "jet", vkm=1.0)])
    with pytest.raises(ValueError, match="plane"):
        cells(annual, 2024)


def test_lmdi_of_identical_cells_is_empty():
    c = cells(_annual(_base(2024)), 2024)
    assert lmdi(c, c).empty


def test_size_classes_keep_electrification_out_of_energy_intensity():
    # light trucks (4 kWh/t-km) and tractors (0.4 kWh/t-km); half the light-truck t-km go
    # electric: at fleet level the diesel cell's intensity drops (a size-mix artefact),
    # with size classes the change is all powertrain mix (plus the carriers' intensities)
    def rows(year, light_bev):
        out = []
        for cls, tkm, kwh_per_tkm in (("light", 100.0, 4.0), ("heavy_tractor", 1000.0, 0.4)):
            bev = light_bev if cls == "light" else 0.0
            d = _row(year, "truck", "diesel", tkm=tkm * (1 - bev), energy=tkm * (1 - bev)
                     * kwh_per_tkm, wtw=tkm * (1 - bev) * kwh_per_tkm * 0.3, diesel=1.0)
            d["size_class"] = cls
            out.append(d)
            if bev:
                e = _row(year, "truck", "bev", tkm=tkm * bev, energy=tkm * bev * kwh_per_tkm / 3,
                         wtw=tkm * bev * kwh_per_tkm / 3 * 0.4, elec=1.0)
                e["size_class"] = cls
                out.append(e)
        return out

    by_class = _annual(rows(2024, 0.0) + rows(2025, 0.5))
    terms = decompose_years_total(by_class)
    assert terms["energy_intensity"] == pytest.approx(0.0, abs=1e-9)
    assert terms["size_class"] == pytest.approx(0.0, abs=1e-9)
    assert terms["powertrain"] < 0
    fleet_level = decompose_years_total(by_class.drop(columns="size_class"))
    assert fleet_level["energy_intensity"] < -1.0  # the artefact this avoids
    assert terms.sum() == pytest.approx(fleet_level.sum())


# --------------------------------------------------------------------------------------
# through traffic: its own term, kept out of Shiyan's freight factors
# --------------------------------------------------------------------------------------
def _through(year, scale=1.0, powertrain="diesel"):
    return _row(year, "through_truck", powertrain, vkm=40.0 * scale, tkm=600.0 * scale,
                energy=200.0 * scale, wtw=52.0 * scale, ttw=44.0 * scale, diesel=20.0)


def test_through_traffic_change_is_one_term_and_leaves_city_freight_alone():
    """Only through traffic grows (x 1.5): the whole change is the through term."""
    annual = _annual([*_base(2024), _through(2024), *_base(2025), _through(2025, 1.5)])
    terms = lmdi(cells(annual, 2024), cells(annual, 2025))
    assert set(terms["factor"]) == {"through_traffic"}
    assert terms["co2_t"].sum() == pytest.approx(52.0 * 0.5, rel=1e-12)
    # city freight grows too: its activity term is what it was without through traffic
    both = _annual([*_base(2024), _through(2024), *_base(2025, 1.2), _through(2025, 1.5)])
    alone = _annual(_base(2024) + _base(2025, 1.2))
    with_t = summary_terms(lmdi(cells(both, 2024), cells(both, 2025)))
    without = summary_terms(lmdi(cells(alone, 2024), cells(alone, 2025)))
    assert with_t.drop("through_traffic").to_numpy() == pytest.approx(without.drop(
        "through_traffic").to_numpy(), rel=1e-12)
    assert with_t["through_traffic"] == pytest.approx(26.0, rel=1e-12)
    assert with_t.sum() == pytest.approx(_total(both, 2025) - _total(both, 2024), rel=1e-12)


@pytest.mark.parametrize("case", ["appears", "vanishes", "missing_both", "powertrain_swap"])
def test_through_terms_add_up_with_zero_and_missing_cells(case):
    start, end = _base(2024), _base(2025, 1.1)
    if case == "appears":
        end = [*end, _through(2025)]
    elif case == "vanishes":
        start = [*start, _through(2024)]
    elif case == "powertrain_swap":  # a through BEV cell appears, the diesel one shrinks
        start = [*start, _through(2024)]
        bev = _row(2025, "through_truck", "bev", vkm=5.0, tkm=80.0, energy=10.0, wtw=4.0,
                   elec=10.0)
        end = [*end, _through(2025, 0.8), bev]
    annual = _annual(start + end)
    terms = lmdi(cells(annual, 2024), cells(annual, 2025))
    assert terms["co2_t"].sum() == pytest.approx(_total(annual, 2025) - _total(annual, 2024),
                                                 rel=1e-12)
    through = terms[terms["fleet"] == "through_truck"]
    assert set(through["factor"]) <= {"through_traffic"}
    expected = (_total(annual[annual["fleet"] == "through_truck"], 2025)
                - _total(annual[annual["fleet"] == "through_truck"], 2024))
    assert through["co2_t"].sum() == pytest.approx(expected, abs=1e-12)
    assert UNALLOCATED not in set(terms["factor"])


def test_runs_compared_keep_through_traffic_apart():
    ref = _annual([*_base(2035), _through(2035)])
    other = _annual([*_base(2035, 0.9), _through(2035, 1.0, "bev")])
    terms = decompose_runs(ref, other, 2035)
    assert terms["co2_t"].sum() == pytest.approx(_total(other, 2035) - _total(ref, 2035),
                                                 rel=1e-12)
    assert terms.loc[terms["factor"] == "through_traffic", "co2_t"].sum() == pytest.approx(0.0)
