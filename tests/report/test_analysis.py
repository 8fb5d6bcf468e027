"""Decomposition, sensitivity and scope sections; report.zh.md; compare's decomposition."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_markdown import make_results

from transport_sim.accounting.decomposition import decomposition_table, summary_terms
from transport_sim.report import analysis
from transport_sim.report.compare import compare_results
from transport_sim.report.markdown import render_into
from transport_sim.report.markdown_zh import standard_coal_t
from transport_sim.results.folder import write_results

REPO = Path(__file__).resolve().parents[2]
HYDROGEN = {"pathway_mix": {"coal": {"2024": 0.45, "2030": 0.25}, "smr": 0.35,
                            "clean": {"2024": 0.15, "2030": 0.35}, "grid_electrolysis": 0.05}}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _with_hydrogen(results):
    results.scenario_toml["hydrogen"] = HYDROGEN
    return results


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("analysis")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph, no English fallback
        return write_results(_with_hydrogen(make_results("shiyan_plan")), root / "plan",
                             extra=render_into)


def test_chinese_report_is_written_beside_the_english_one(plan_folder: Path) -> None:
    text = (plan_folder / "report.zh.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert len(headings) >= 8
    for heading in headings:
        assert CJK.search(heading), heading
    for line in text.splitlines():  # every table header is Chinese
        if line.startswith("| ") and not line.startswith("| :") and "---" not in line:
            assert CJK.search(line) or re.match(r"^\| [\d ,.\-/%→>|*:a-z_]+", line), line
            break
    for unit in ("万吨CO2", "万吨标准煤", "亿吨公里", "万辆"):
        assert unit in text, unit
    for name in ("co2_by_fleet.zh.png", "co2_decomposition.zh.png",
                 "sensitivity_tornado.zh.png", "charger_map.zh.png"):
        assert (plan_folder / name).stat().st_size > 5000, name
        assert f"({name})" in text


def test_chinese_co2_table_equals_annual_parquet(plan_folder: Path) -> None:
    text = (plan_folder / "report.zh.md").read_text(encoding="utf-8")
    annual = pd.read_parquet(plan_folder / "annual.parquet")
    by_year = annual.groupby("year")["co2_wtw_t"].sum()
    for year in (2024, 2030, 2035):
        row = next(line for line in text.splitlines() if line.startswith(f"| {year} |"))
        printed = float(row.split("|")[3].replace(",", ""))
        assert printed == pytest.approx(by_year[year] / 1e4, abs=0.006)


def test_standard_coal_uses_gbt2589_coefficients() -> None:
    annual = pd.DataFrame({"year": [2024, 2024], "diesel_l": [1000.0, 0.0],
                           "petrol_l": [0.0, 0.0], "cng_kg": [0.0, 0.0], "lng_kg": [0.0, 0.0],
                           "electricity_kwh": [0.0, 10_000.0], "hydrogen_kg": [0.0, 0.0]})
    tce = standard_coal_t(annual).loc[2024]
    assert tce["柴油"] == pytest.approx(1000 * 0.84 * 1.4571 / 1000)
    assert tce["电力"] == pytest.approx(10_000 * 0.1229 / 1000)


def test_decomposition_section_sums_to_the_change(plan_folder: Path) -> None:
    text = (plan_folder / "report.md").read_text(encoding="utf-8")
    section = text.split("## What drove the change of CO2")[1].split("\n## ")[0]
    annual = pd.read_parquet(plan_folder / "annual.parquet")
    by_year = annual.groupby("year")["co2_wtw_t"].sum()
    total_row = next(line for line in section.splitlines() if line.startswith("| **sum"))
    printed = float(total_row.split("|")[-2].strip(" *").replace(",", ""))
    assert printed == pytest.approx((by_year[2035] - by_year[2024]) / 1e3, abs=0.06)
    decomp = decomposition_table(annual)  # synthetic folder: no decomposition.parquet
    rows = decomp[(decomp["metric"] == "wtw") & (decomp["from_year"] == 2024)
                  & (decomp["to_year"] == 2035)]
    assert summary_terms(rows).sum() == pytest.approx(by_year[2035] - by_year[2024], rel=1e-9)


def test_sensitivity_central_column_equals_the_run(plan_folder: Path) -> None:
    text = (plan_folder / "report.md").read_text(encoding="utf-8")
    section = text.split("## Sensitivity to the accounting factors")[1].split("\n## ")[0]
    annual = pd.read_parquet(plan_folder / "annual.parquet")
    # the synthetic annual.parquet has made-up CO2; the central setting recomputes it from
    # the carrier amounts (equal to the accounting for real runs: test_sensitivity.py)
    from transport_sim.accounting import sensitivity as sens

    scenario = {"grid": make_results().scenario_toml["grid"], "hydrogen": HYDROGEN}
    central_t = pd.Series(sens.wtw_t(annual, scenario, sens.Setting()),
                          index=annual.index).groupby(annual["year"]).sum()
    row = next(line for line in section.splitlines() if line.startswith("| grid CO2 factor"))
    low, central, high = (float(v.replace(",", "")) for v in row.split("|")[3].split("/"))
    assert central == pytest.approx(central_t[2030] / 1e3, abs=0.06)
    assert low < central < high


def test_scope_lists_every_measure_in_report_and_readme(plan_folder: Path) -> None:
    measures, outside = analysis.load_scope()
    assert {m["status"] for m in measures} <= {"modelled", "partly", "not modelled"}
    assert {m["section"] for m in measures} >= {"三(七)1", "三(七)2", "三(七)3", "三(一)1",
                                                 "三(一)2"}
    report = (plan_folder / "report.md").read_text(encoding="utf-8")
    report_zh = (plan_folder / "report.zh.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for m in measures:
        assert m["measure"] in report
        assert m["measure_zh"] in report_zh
        assert m["measure"] in readme, m["measure"]
    for item in outside["items"]:
        assert item in readme, item


def test_compare_decomposes_the_last_year_difference(tmp_path: Path) -> None:
    base = write_results(_with_hydrogen(make_results("baseline", plan=False, seed=3)),
                         tmp_path / "base")
    plan = write_results(_with_hydrogen(make_results("shiyan_plan")), tmp_path / "plan")
    out = compare_results([base, plan], tmp_path / "cmp")
    rows = pd.read_csv(out / "decomposition.csv")
    a = pd.read_parquet(base / "annual.parquet")
    b = pd.read_parquet(plan / "annual.parquet")
    diff = (b.loc[b["year"] == 2035, "co2_wtw_t"].sum()
            - a.loc[a["year"] == 2035, "co2_wtw_t"].sum())
    assert set(rows["year"]) == {2035}
    assert rows["co2_t"].sum() == pytest.approx(diff, rel=1e-9)
    text = (out / "compare.md").read_text(encoding="utf-8")
    assert "## Decomposition of the differences (LMDI)" in text
    assert "## Saving under the accounting-factor ranges" in text
    assert (out / "compare_decomposition_1.png").is_file()


def test_chinese_headline_flags_the_same_years_as_the_english_one(plan_folder: Path) -> None:
    import re

    colon = "\uff1a"  # the full-width colon of the Chinese text
    en = (plan_folder / "report.md").read_text(encoding="utf-8")
    zh = (plan_folder / "report.zh.md").read_text(encoding="utf-8")
    en_years = re.findall(r"^  - (\d{4}): ", en, flags=re.M)
    zh_years = re.findall(r"^  - (\d{4})年" + colon, zh, flags=re.M)
    assert en_years == zh_years
    assert ("Charging service" in en) == ("充电服务" in zh)


def test_service_flags_read_the_same_in_both_languages() -> None:
    from transport_sim.report.service import FLAG_TEXT_EN, FLAG_TEXT_ZH, flag_items

    row = {"stranded_share": 0.006, "worst_p95_min": 45.0, "queued_midnight_share": 0.0,
           "undone_bus": 0.011, "undone_taxi": 0.001, "tonnes_undelivered_share": 0.016}
    items = flag_items(row, 30.0)
    assert [k for k, _, _ in items] == ["stranded", "wait", "undone", "freight"]
    assert items[0][1] == pytest.approx(0.6)
    assert items[1][2] == "30"
    assert set(FLAG_TEXT_EN) == set(FLAG_TEXT_ZH)
    assert flag_items({**row, "stranded_share": 0.001, "worst_p95_min": 10.0,
                       "undone_bus": 0.0, "tonnes_undelivered_share": 0.0}, 30.0) == []
