"""Sweeps without a cluster: the sweep file, designs, seeds, run ids, folder, resume, plots.

Runs use :func:`sweep_support.synthetic_run` (a cheap analytic stand-in of the
model) on a base scenario whose network file is a placeholder, so this module needs no
network and no Dask cluster.  ``tests/sweep/test_sweep_dask.py`` covers the cluster and the
real model.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import textwrap
import tomllib
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_support import base_scenario, synthetic_run, write_base

from transport_sim.accounting.outcomes import OUTCOME_NAMES as SUMMARY_COLUMNS
from transport_sim.accounting.outcomes import compute_outcomes as summarise_run
from transport_sim.errors import ResultsError, ScenarioError
from transport_sim.results.folder import Results
from transport_sim.sweep import designs
from transport_sim.sweep import execute as experiments
from transport_sim.sweep import figures as sweep_plots
from transport_sim.sweep.designs import Design, Parameter, parse_parameter
from transport_sim.sweep.execute import run_sweep_cli, sweep
from transport_sim.sweep.folder import read_sweep
from transport_sim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parents[2]

BASE = base_scenario(2031, """
[policy.bus]
nev_share_of_new = {2024 = 0.9, 2025 = 1.0}

[policy.truck]
nev_share_of_new = 0.1
""")

GRID = """\
[sweep]
name = "grid"
base = "base.toml"
replications = 2
seed = 11

[[parameter]]
name = "bus_year"
path = "policy.bus.nev_share_of_new"
transform = "transition_year"
values = [2025, 2030]

[[parameter]]
name = "truck_2030"
path = "policy.truck.nev_share_of_new"
template = {2024 = "{base}", 2030 = "{value}"}
values = [0.2, 0.6]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_base(tmp_path, BASE)


def write(folder: Path, text: str, name: str = "sw.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(folder: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_sweep(write(folder, text))
    message = str(info.value)
    assert "\n" not in message
    assert "sw.toml" in message
    return message


class Counting:
    """A run function that counts its calls (serial sweeps only) and can fail on demand."""

    def __init__(self, fail_when: float | None = None) -> None:
        self.calls: list[int] = []
        self.fail_when = fail_when

    def __call__(self, scenario, seed):
        self.calls.append(seed)
        if self.fail_when is not None and scenario.policy.truck.nev_share_of_new.at(2030) == (
            self.fail_when
        ):
            msg = "synthetic failure"
            raise RuntimeError(msg)
        return synthetic_run(scenario, seed)


def files_of(out: Path) -> dict[str, bytes]:
    """Every per-run table file and summary.parquet, keyed by relative path."""
    found = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("runs/*/run_id=*/*"))}
    found["summary.parquet"] = (out / "summary.parquet").read_bytes()
    found["annual.parquet"] = (out / "annual.parquet").read_bytes()
    return found


# ------------------------------------------------------------------------------ files
def test_shipped_sweeps_load() -> None:
    smoke = load_sweep(REPO / "experiments" / "sweep_smoke.toml")
    runs = smoke.runs()
    assert len(runs) <= 4
    assert all(r.scenario.run.day_types == ("weekday",) for r in runs)
    assert all(len(r.scenario.years) == 2 for r in runs)

    big = load_sweep(REPO / "experiments" / "sweep_transition_rates.toml")
    assert {p.path for p in big.parameters} >= {
        "policy.bus.nev_share_of_new", "policy.taxi.nev_share_of_new",
        "policy.truck.nev_share_of_new", "charging.service_area_coverage",
        "policy.freight.rail_share",
    }
    assert big.replications >= 2
    runs = big.runs()
    assert len({r.run_id for r in runs}) == len(runs)
    bus = runs[-1].scenario.policy.bus.nev_share_of_new
    assert (bus.years, bus.values) == ((2024, 2030), (0.9, 1.0))
    rail = runs[-1].scenario.policy.freight.rail_share
    assert rail.at(2025) == pytest.approx(0.09)
    assert rail.at(2030) == pytest.approx(0.15)


def test_load_fills_defaults_and_resolves_base(folder: Path) -> None:
    spec = load_sweep(write(folder, GRID))
    assert spec.base_path == (folder / "base.toml").resolve()
    assert spec.design == Design(kind="grid", samples=0, seed=spec.design.seed)
    assert spec.parameters[0].kind == "integer"
    assert spec.parameters[1].kind == "real"
    assert spec.tables == ("annual", "chargers")
    assert len(spec.runs()) == 2 * 2 * 2


def test_resolved_toml_round_trips(folder: Path, tmp_path: Path) -> None:
    spec = load_sweep(write(folder, GRID))
    import tomli_w

    again = write(tmp_path, tomli_w.dumps(spec.to_dict()), "again.toml")
    assert [r.run_id for r in load_sweep(again).runs()] == [r.run_id for r in spec.runs()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sweep]\nname='x'\nbase='base.toml'\nfoo=1\n", r"sweep\.foo = 1: unknown key"),
        ("[sweep]\nname='x'\nbase='base.toml'\n[other]\n", r"other = \{\}: unknown table"),
        ("[sweep]\nname='x y'\nbase='base.toml'\n", "sweep.name"),
        ("[sweep]\nname='x'\nbase='nope.toml'\n", "base scenario not found"),
        ("[sweep]\nname='x'\nbase='base.toml'\ndesign='random'\n", "sweep.design = 'random'"),
        ("[sweep]\nname='x'\nbase='base.toml'\nsamples=4\n", "grid designs take no samples"),
        ("[sweep]\nname='x'\nbase='base.toml'\ndesign='lhs'\n", "need samples"),
        ("[sweep]\nname='x'\nbase='base.toml'\ndesign='sobol'\nsamples=6\n", "power of 2"),
        ("[sweep]\nname='x'\nbase='base.toml'\nreplications=0\n", "sweep.replications = 0"),
        ("[sweep]\nname='x'\nbase='base.toml'\nseed=-1\n", "sweep.seed = -1"),
        ("[sweep]\nname='x'\nbase='base.toml'\noutcomes=['co2']\n", "unknown outcome"),
        ("[sweep]\nname='x'\nbase='base.toml'\ntables=['chargers']\n", "including 'annual'"),
        ("[sweep]\nname='x'\nbase='base.toml'\n[overrides.run]\nseeds=1\n", r"run\.seeds"),
    ],
)
def test_sweep_table_errors(folder: Path, text: str, expected: str) -> None:
    message = error_of(folder, text)
    assert re.search(expected, message), message


HEAD = "[sweep]\nname='x'\nbase='base.toml'\n"


BUS = "path='policy.bus.nev_share_of_new'\n"


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (
            "path='policy.bus.nev_share'\nvalues=[1]",
            r"parameter\[0\]\.path = 'policy\.bus\.nev_share': no field 'nev_share'",
        ),
        ("path='policy.tram.nev_share_of_new'\nvalues=[1]", "no field 'tram' in policy"),
        ("path='run.seed.x'\nvalues=[1]", "is a value, not a table"),
        ("path='run.seed'\nvalues=[1, 2]", "seeds come from"),
        (BUS + "values=[0.5, 1.5]", r"parameter\[0\] = 1\.5: .*must be <= 1"),
        (BUS + "values=[0.5]\ncolour=1", r"parameter\[0\]\.colour = 1: unknown key"),
        (BUS + "range=[0.1, 0.9]", "grid designs need values"),
        (BUS, "missing"),
        (BUS + "values=[0.5, 0.5]", "must not repeat"),
        (BUS + "values=[2025.5]\ntransform='transition_year'", "kind = integer"),
        (BUS + "values=[0.5]\ntransform='warp'", "transform = 'warp'"),
        (BUS + "values=[0.5]\ntarget=0.9", 'transition_year" only'),
        (BUS + "values=['a']\nkind='integer'", "integer values"),
        ("path='charging.coverage_order'\nvalues=['traffic', 'nearest']", "expected one of"),
        (BUS + "values=[0.5]\ntemplate={2024='{base}', x='{base}'}", "curve value"),
    ],
)
def test_parameter_errors(folder: Path, param: str, expected: str) -> None:
    message = error_of(folder, f"{HEAD}[[parameter]]\n{param}\n")
    assert re.search(expected, message), message


def test_repeated_names_and_paths(folder: Path) -> None:
    two = "[[parameter]]\nname='a'\npath='policy.bus.nev_share_of_new'\nvalues=[0.5]\n"
    assert "name repeats" in error_of(folder, HEAD + two + two)
    other = two.replace("name='a'", "name='b'")
    assert "another parameter sets this field" in error_of(folder, HEAD + two + other)
    reserved = two.replace("name='a'", "name='seed'")
    assert "reserved" in error_of(folder, HEAD + reserved)


def test_invalid_combination_is_caught_before_running(folder: Path) -> None:
    text = HEAD + textwrap.dedent("""\
        [[parameter]]
        path = "run.start_year"
        values = [2024, 2030]
        [[parameter]]
        path = "run.end_year"
        values = [2025, 2026]
    """)
    spec = load_sweep(write(folder, text))
    with pytest.raises(ScenarioError, match=r"design point 2 .*years reversed"):
        spec.runs()


# ------------------------------------------------------------------------------ designs
def test_one_lever_at_a_time_moves_one_parameter_per_point() -> None:
    a = Parameter("a", "x.a", "real", values=(0.1, 0.5))
    b = Parameter("b", "x.b", "categorical", values=("p", "q", "r"))
    points = Design("oat").points([a, b])
    assert points == [(0.1, "p"), (0.5, "p"), (0.1, "q"), (0.1, "r")]
    spec = load_sweep(REPO / "experiments" / "sweep_mac_plan_levers.toml")
    assert len(spec.points()) == 1 + len(spec.parameters)
    assert spec.points()[0] == tuple(p.levels()[0] for p in spec.parameters)


def test_grid_is_the_full_product_in_order() -> None:
    a = Parameter("a", "x.a", "integer", values=(1, 2, 3))
    b = Parameter("b", "x.b", "categorical", values=("p", "q"))
    points = Design("grid").points([a, b])
    assert points == [(1, "p"), (1, "q"), (2, "p"), (2, "q"), (3, "p"), (3, "q")]
    assert designs.grid_size([a, b]) == 6


def test_lhs_is_seeded_and_stratified() -> None:
    design = Design("lhs", samples=10, seed=5)
    unit = design.unit_points(3)
    assert unit.shape == (10, 3)
    np.testing.assert_array_equal(unit, Design("lhs", samples=10, seed=5).unit_points(3))
    assert not np.array_equal(unit, Design("lhs", samples=10, seed=6).unit_points(3))
    for column in unit.T:  # one point in each of the 10 strata of every dimension
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_is_saltelli_sized_and_seeded(second_order: bool) -> None:
    design = Design("sobol", samples=8, seed=3, second_order=second_order)
    unit = design.unit_points(3)
    assert unit.shape == (8 * (2 * 3 + 2 if second_order else 3 + 2), 3)
    assert design.n_points(3) == unit.shape[0]
    np.testing.assert_array_equal(unit, design.unit_points(3))
    assert unit.min() >= 0.0
    assert unit.max() <= 1.0


@given(st.floats(0.0, 1.0), st.integers(-5, 5), st.integers(0, 10))
@settings(max_examples=200, deadline=None)
def test_unit_mapping_stays_in_range(u: float, lo: int, width: int) -> None:
    hi = lo + width + 1
    integer = Parameter("i", "x", "integer", bounds=(lo, hi))
    real = Parameter("r", "x", "real", bounds=(float(lo), float(hi)))
    choice = Parameter("c", "x", "categorical", values=tuple("abcde"))
    assert lo <= integer.from_unit(u) <= hi
    assert isinstance(integer.from_unit(u), int)
    assert lo <= real.from_unit(u) <= hi
    assert choice.from_unit(u) in "abcde"


def test_integer_mapping_covers_both_bounds_evenly() -> None:
    param = Parameter("i", "x", "integer", bounds=(2025, 2030))
    values = [param.from_unit(u) for u in (np.arange(600) + 0.5) / 600]
    assert np.unique(values, return_counts=True)[1].tolist() == [100] * 6


def test_transforms() -> None:
    base = {"2024": 0.6, "2025": 1.0}
    year = Parameter("y", "p", "integer", values=(2028,), transform="transition_year")
    assert year.scenario_value(2028, base, 2024) == {"2024": 0.6, "2028": 1.0}
    same = year.scenario_value(2024, base, 2024)
    assert same == {"2024": 1.0}  # a "{value}" year wins over the literal one
    scaled = Parameter("s", "p", "real", values=(2.0,), transform="scale")
    assert scaled.scenario_value(0.5, base, 2024) == {"2024": 0.3, "2025": 0.5}
    assert scaled.scenario_value(2.0, 0.1, 2024) == pytest.approx(0.2)
    template = {"2030": "{value}", "2024": "{base}", "2027": 0.5}
    tpl = Parameter("t", "p", "real", values=(0.9,), transform="template", template=template)
    filled = tpl.scenario_value(0.9, {"2024": 0.2, "2026": 0.4}, 2024)
    assert list(filled) == ["2024", "2027", "2030"]  # curve years sorted
    assert filled == {"2024": 0.2, "2027": 0.5, "2030": 0.9}
    assert tpl.scenario_value(0.9, 0.3, 2024)["2024"] == 0.3


def test_parse_parameter_infers_kinds() -> None:
    assert parse_parameter({"path": "a.b", "values": [1, 2]}, 0, "grid", None).kind == "integer"
    mixed = parse_parameter({"path": "a.b", "values": [1, 2.5]}, 0, "grid", None)
    assert mixed.values == (1.0, 2.5)
    odd = parse_parameter({"path": "a.b", "values": ["x", 1]}, 0, "grid", None)
    assert odd.kind == "categorical"
    ranged = parse_parameter({"path": "a.b", "range": [0, 1]}, 0, "lhs", None)
    assert (ranged.kind, ranged.bounds) == ("real", (0.0, 1.0))
    years = parse_parameter(
        {"path": "a.b", "range": [2025, 2030], "transform": "transition_year"}, 0, "sobol", None
    )
    assert (years.kind, years.bounds) == ("integer", (2025, 2030))


# ------------------------------------------------------------------------------ seeds, ids
def test_replication_seeds_are_common_and_stable(folder: Path) -> None:
    spec = load_sweep(write(folder, GRID))
    runs = spec.runs()
    assert [r.seed for r in runs if r.point == 0] == [r.seed for r in runs if r.point == 3]
    assert len(set(spec.replication_seeds())) == 2
    more = load_sweep(write(folder, GRID.replace("replications = 2", "replications = 3"), "m.toml"))
    assert more.replication_seeds()[:2] == spec.replication_seeds()
    reseeded = load_sweep(write(folder, GRID.replace("seed = 11", "seed = 12"), "s.toml"))
    assert set(reseeded.replication_seeds()).isdisjoint(spec.replication_seeds())
    assert all(r.scenario.run.seed == r.seed for r in runs)
    assert [(r.point, r.replication) for r in runs[:3]] == [(0, 0), (0, 1), (1, 0)]


def test_run_ids_hash_content_not_location(folder: Path, tmp_path_factory) -> None:
    ids = [r.run_id for r in load_sweep(write(folder, GRID)).runs()]
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == len(ids)
    elsewhere = tmp_path_factory.mktemp("moved")
    for name in ("net.osm", "fleet.toml", "base.toml", "sw.toml"):
        shutil.copy(folder / name, elsewhere / name)
    assert [r.run_id for r in load_sweep(elsewhere / "sw.toml").runs()] == ids
    (elsewhere / "net.osm").write_text("<osm version='0.6'/>", encoding="utf-8")
    changed = [r.run_id for r in load_sweep(elsewhere / "sw.toml").runs()]
    assert set(changed).isdisjoint(ids)


# ------------------------------------------------------------------------------ summaries
def test_summarise_run() -> None:
    annual = pd.DataFrame({
        "year": [2024, 2024, 2030, 2030, 2036],
        "fleet": ["bus", "taxi", "bus", "taxi", "bus"],
        "co2_wtw_t": [10.0, 5.0, 20.0, 1.0, 100.0],
        "co2_ttw_t": [8.0, 4.0, 15.0, 1.0, 90.0],
        "stranded": [1.0, 0.0, 2.0, 0.0, 0.0],
        "unserved": [0.0, 3.0, 0.0, 4.0, 0.0],
    })
    chargers = pd.DataFrame({"wait_p95_min": [3.0, 12.5, 7.0]})
    row = summarise_run(annual, chargers)
    assert list(row) == list(SUMMARY_COLUMNS)
    assert row["peak_year"] == 2036
    assert row["peak_co2_wtw_t"] == 100.0
    assert row["co2_2030_wtw_t"] == 21.0
    assert row["cumulative_co2_wtw_t"] == 36.0  # 2036 is outside 2024-2035
    assert row["cumulative_co2_ttw_t"] == 28.0
    assert row["stranded_vehicle_days"] == 3.0
    assert row["unserved_taxi_requests"] == 7.0
    assert row["worst_p95_wait_min"] == 12.5
    assert np.isnan(summarise_run(annual[annual.year < 2030], None)["co2_2030_wtw_t"])


# ------------------------------------------------------------------------------ the engine
def test_serial_sweep_writes_the_documented_folder(folder: Path, capsys) -> None:
    out = folder / "out"
    res = sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run, progress=True)
    assert "8/8 runs, 0 failed" in capsys.readouterr().err
    for name in ("sweep.resolved.toml", "sweep.json", "design.parquet", "summary.parquet",
                 "annual.parquet", "failures.parquet"):
        assert (out / name).is_file(), name
    design = pd.read_parquet(out / "design.parquet")
    assert list(design.columns) == ["run", "run_id", "point", "replication", "seed",
                                    "bus_year", "truck_2030"]
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 8
    assert list(summary.columns) == [*design.columns, *SUMMARY_COLUMNS]
    assert summary["run"].tolist() == list(range(8))
    annual = pd.read_parquet(out / "annual.parquet")
    assert {"run", "run_id", "bus_year", "truck_2030", "replication", "seed", "year", "fleet",
            "powertrain", "co2_wtw_t"} <= set(annual.columns)
    assert len(annual) == 8 * 8 * 4 * 2  # runs x years x fleets x powertrains
    for rid in design["run_id"]:
        for table in ("annual", "chargers", "summary"):
            assert (out / "runs" / table / f"run_id={rid}" / "part-0.parquet").is_file()
        assert (out / "runs" / "meta" / f"{rid}.json").is_file()
    # the hive-partitioned dataset reads back directly
    chargers = pd.read_parquet(out / "runs" / "chargers")
    assert set(chargers["run_id"].astype(str)) == set(design["run_id"])
    info = json.loads((out / "sweep.json").read_text())
    assert (info["n_runs"], info["n_points"], info["design"]) == (8, 4, "grid")
    assert info["base_scenario"]["policy"]["truck"]["nev_share_of_new"] == 0.1
    assert tomllib.loads((out / "sweep.resolved.toml").read_text())["sweep"]["seed"] == 11
    # a faster truck transition lowers cumulative CO2 (the synthetic model responds)
    by = summary.groupby("truck_2030")["cumulative_co2_wtw_t"].mean()
    assert by[0.6] < by[0.2]
    assert res.n_finished == res.n_runs == 8
    assert res.failures.empty
    assert res.table("chargers")["bus_year"].notna().all()


def test_existing_folder_needs_resume_and_the_same_design(folder: Path) -> None:
    out = folder / "out"
    sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run, max_runs=1)
    with pytest.raises(ResultsError, match="pass --resume"):
        sweep(folder / "sw.toml", out, scheduler="serial", run_fn=synthetic_run)
    other = write(folder, GRID.replace("values = [0.2, 0.6]", "values = [0.3, 0.6]"), "o.toml")
    with pytest.raises(ResultsError, match="different sweep design"):
        sweep(other, out, scheduler="serial", run_fn=synthetic_run, resume=True)
    renamed = write(folder, GRID.replace('name = "grid"', 'name = "renamed"'), "r.toml")
    again = sweep(renamed, out, scheduler="serial", run_fn=synthetic_run, resume=True)
    assert again.n_finished == 8


def test_resume_equals_an_uninterrupted_sweep(folder: Path) -> None:
    path = write(folder, GRID)
    sweep(path, folder / "full", scheduler="serial", run_fn=synthetic_run)
    first = Counting()
    part = sweep(path, folder / "part", scheduler="serial", run_fn=first, max_runs=3)
    assert (len(first.calls), part.n_finished, part.n_runs) == (3, 3, 8)
    second = Counting()
    sweep(path, folder / "part", scheduler="serial", run_fn=second, resume=True)
    assert len(second.calls) == 5  # finished runs are skipped
    assert files_of(folder / "part") == files_of(folder / "full")


def test_a_crash_mid_write_loses_only_that_run(folder: Path) -> None:
    path = write(folder, GRID)
    out = folder / "out"
    sweep(path, out, scheduler="serial", run_fn=synthetic_run, max_runs=2)
    # emulate a crash while the third run was being written: a table and a temp file, no
    # summary partition
    assert len(pd.read_parquet(out / "design.parquet")) == 2  # only the runs enumerated
    rid = load_sweep(path).runs(3)[2].run_id
    part = out / "runs" / "annual" / f"run_id={rid}"
    part.mkdir(parents=True)
    (part / "part-0.parquet").write_bytes(b"garbage")
    (part / ".part-0.parquet.tmp-dead").write_bytes(b"half")
    assert read_sweep(out).n_finished == 2
    counting = Counting()
    res = sweep(path, out, scheduler="serial", run_fn=counting, resume=True)
    assert (len(counting.calls), res.n_finished) == (6, 8)
    pd.read_parquet(part / "part-0.parquet")  # rewritten


def test_failing_runs_are_recorded_and_retried_on_resume(folder: Path) -> None:
    path = write(folder, GRID)
    out = folder / "out"
    res = sweep(path, out, scheduler="serial", run_fn=Counting(fail_when=0.6))
    assert res.n_finished == 4
    assert len(res.failures) == 4
    assert set(res.failures["truck_2030"]) == {0.6}
    assert set(res.failures["error_type"]) == {"RuntimeError"}
    record = json.loads(next((out / "errors").glob("*.json")).read_text())
    assert "synthetic failure" in record["traceback"]
    assert record["parameters"]["truck_2030"] == 0.6
    again = sweep(path, out, scheduler="serial", run_fn=synthetic_run, resume=True)
    assert (again.n_finished, len(again.failures)) == (8, 0)
    assert not list((out / "errors").glob("*.json"))


def test_a_missing_table_is_a_run_failure(folder: Path) -> None:
    def annual_only(scenario, seed):
        res = synthetic_run(scenario, seed)
        return Results(tables={"annual": res.tables["annual"]}, meta={})

    res = sweep(write(folder, GRID), folder / "out", scheduler="serial", run_fn=annual_only,
                max_runs=1)
    assert res.failures["message"].iloc[0] == "the run function returned no 'chargers' table"


def test_an_unwritable_table_is_a_run_failure(folder: Path) -> None:
    def unwritable(scenario, seed):
        res = synthetic_run(scenario, seed)
        res.tables["chargers"]["name"] = [object()] * len(res.tables["chargers"])
        return res

    res = sweep(write(folder, GRID), folder / "out", scheduler="serial", run_fn=unwritable,
                max_runs=2)
    assert (res.n_finished, len(res.failures)) == (0, 2)
    assert res.failures["error_type"].str.startswith("Arrow").all()


def test_categorical_curves_and_lhs_choices(folder: Path) -> None:
    text = textwrap.dedent("""\
        [sweep]
        name = "lhs"
        base = "base.toml"
        design = "lhs"
        samples = 6
        [[parameter]]
        name = "truck_curve"
        path = "policy.truck.nev_share_of_new"
        values = [0.1, {2024 = 0.1, 2030 = 0.9}]
        [[parameter]]
        name = "order"
        path = "charging.coverage_order"
        values = ["traffic", "gap"]
        [[parameter]]
        name = "growth"
        path = "policy.freight.road_tonnage_growth"
        range = [0.0, 0.05]
    """)
    spec = load_sweep(write(folder, text))
    assert [p.kind for p in spec.parameters] == ["categorical", "categorical", "real"]
    res = sweep(spec, folder / "out", scheduler="serial", run_fn=synthetic_run)
    labels = set(res.summary["truck_curve"])
    assert labels <= {"0.1", '{"2024":0.1,"2030":0.9}'}
    assert len(labels) == 2  # six stratified draws hit both halves of [0, 1)
    assert res.summary["growth"].between(0.0, 0.05).all()
    curves = {r.scenario.policy.truck.nev_share_of_new.at(2030) for r in spec.runs()}
    assert curves == {0.1, 0.9}


def test_duplicate_design_points_run_once(folder: Path) -> None:
    text = HEAD + textwrap.dedent("""\
        replications = 1
        [[parameter]]
        path = "policy.ship.stock_growth"
        transform = "scale"
        values = [1.0, 2.0]
    """)
    counting = Counting()
    res = sweep(write(folder, text), folder / "out", scheduler="serial", run_fn=counting)
    assert len(counting.calls) == 1  # 0.0 x 1 == 0.0 x 2: the same scenario
    assert res.summary["run"].tolist() == [0, 1]
    assert res.summary["run_id"].nunique() == 1


def test_cli_entry_point(folder: Path, capsys) -> None:
    args = argparse.Namespace(sweep=write(folder, GRID), out=None, workers=None, scheduler=None,
                              resume=True, max_runs=None)
    with pytest.raises(ScenarioError, match="--resume"):
        run_sweep_cli(args)
    from transport_sim.cli import main

    assert main(["sweep", str(folder / "nope.toml"), "--scheduler", "serial"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_private_copy_shares_only_read_only_arrays() -> None:
    frozen = np.arange(5)
    frozen.flags.writeable = False
    state = {"frozen": frozen, "live": np.zeros(3), "items": [1, 2]}
    state["alias"] = state["live"]
    copied = experiments.private_copy(state)
    assert copied["frozen"] is frozen  # shared, still read-only
    assert copied["live"] is not state["live"]
    assert copied["alias"] is copied["live"]  # aliasing inside the copy is kept
    assert copied["live"].flags.writeable
    copied["items"].append(3)
    assert state["items"] == [1, 2]


def test_no_mutable_module_state() -> None:
    for module in (experiments, designs, sweep_plots):
        for name, value in vars(module).items():
            if name.startswith("__") or isinstance(value, types.ModuleType):
                continue
            assert not isinstance(value, (dict, list, set, bytearray)), f"{module.__name__}.{name}"


# ------------------------------------------------------------------------------ plots
def test_plots_of_a_grid(folder: Path) -> None:
    out = folder / "out"
    sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run)
    written = sweep_plots.plot_sweep(out)
    names = {p.name for p in written}
    assert {"co2_trajectories.png", "co2_trajectories_points.png",
            "heatmap_cumulative_co2_wtw_t.png", "response_peak_co2_wtw_t.png"} <= names
    from PIL import Image

    with Image.open(out / "figures" / "co2_trajectories.png") as image:
        assert round(image.info["dpi"][0]) == 150


def test_sobol_indices_and_plots(folder: Path) -> None:
    text = textwrap.dedent("""\
        [sweep]
        name = "sobol"
        base = "base.toml"
        design = "sobol"
        samples = 16
        second_order = false
        replications = 1
        outcomes = ["cumulative_co2_wtw_t"]
        [overrides.run]
        end_year = 2028
        [[parameter]]
        name = "truck"
        path = "policy.truck.nev_share_of_new"
        range = [0.0, 1.0]
        [[parameter]]
        name = "coverage"
        path = "charging.service_area_coverage"
        range = [0.3, 1.0]
        [[parameter]]
        name = "bus_year"
        path = "policy.bus.nev_share_of_new"
        transform = "transition_year"
        range = [2025, 2032]
    """)
    out = folder / "out"
    res = sweep(write(folder, text), out, scheduler="serial", run_fn=synthetic_run)
    assert res.n_runs == 16 * (3 + 2)
    indices = sweep_plots.sobol_indices(res, "cumulative_co2_wtw_t")
    assert indices is not None
    by = indices.set_index("parameter")
    assert by.loc["truck", "ST"] > 0.5  # trucks dominate the synthetic model's CO2
    assert by.loc["coverage", "ST"] < 0.05  # coverage does not change CO2 there
    names = {p.name for p in sweep_plots.plot_sweep(out)}
    assert {"sobol_cumulative_co2_wtw_t.png", "sobol_indices.csv",
            "response_cumulative_co2_wtw_t.png", "heatmap_cumulative_co2_wtw_t.png"} <= names
