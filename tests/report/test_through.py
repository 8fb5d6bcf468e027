"""The through-traffic section: the two CO2 totals are computed from annual.parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from transport_sim.report.through import through_section, through_table


def _annual() -> pd.DataFrame:
    rows = []
    for year, through_co2 in ((2024, 80.0), (2030, 60.0), (2035, 40.0)):
        rows += [
            {"year": year, "fleet": "truck", "powertrain": "diesel", "co2_wtw_t": 900.0,
             "tkm": 5e9, "tonnes_planned": 7e7, "drayage_t": 4e6, "drayage_tkm": 8e7},
            {"year": year, "fleet": "bus", "powertrain": "bev", "co2_wtw_t": 40.0, "tkm": 0.0,
             "tonnes_planned": 0.0, "drayage_t": 0.0, "drayage_tkm": 0.0},
            {"year": year, "fleet": "through_truck", "powertrain": "diesel",
             "co2_wtw_t": through_co2, "tkm": 1.4e9, "tonnes_planned": 7.5e6,
             "drayage_t": 0.0, "drayage_tkm": 0.0},
        ]
    return pd.DataFrame(rows)


def test_city_total_is_the_territorial_total_without_through_traffic() -> None:
    table = through_table(_annual())
    assert list(table.index) == [2024, 2030, 2035]
    assert table.loc[2030, "territorial_co2_wtw_t"] == pytest.approx(1000.0)
    assert table.loc[2030, "city_co2_wtw_t"] == pytest.approx(940.0)
    assert table.loc[2035, "through_t"] == pytest.approx(7.5e6)
    assert table.loc[2024, "drayage_tkm"] == pytest.approx(8e7)


@pytest.mark.parametrize(("lang", "words"), [("en", "city-controllable"), ("zh", "城市可调控")])
def test_section_states_the_choice_in_both_languages(lang, words) -> None:
    text = through_section(_annual(), lang)
    assert words in text
    assert text.count("\n| 20") == 3  # one row per shown year


def test_no_through_rows_no_section() -> None:
    annual = _annual()
    assert through_section(annual[annual["fleet"] != "through_truck"]) == ""
