"""Command-line messages (issue 13): flags blamed for their values, one-line usage errors,
output checked before any simulation, warnings once on one line."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from transport_sim import cli
from transport_sim.cli import main

REPO = Path(__file__).resolve().parents[1]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make any simulation fail the test: the checks must come first."""
    calls: list[str] = []

    def forbidden(*args, **kwargs):
        calls.append("simulated")
        raise AssertionError("simulation started before the output was checked")

    import transport_sim.pipeline.run as run_mod
    import transport_sim.sim.prepare as prep_mod

    monkeypatch.setattr(run_mod, "run_tables", forbidden)
    monkeypatch.setattr(prep_mod, "prepare", forbidden)
    return calls


@pytest.mark.parametrize(
    ("args", "flag", "needle"),
    [
        (["run", "--seed", "-1"], "--seed = -1", "must not be negative"),
        (["run", "--years", "2024:2150"], "--years = '2024:2150'", "2100"),
        (["run", "--years", "2030:2024"], "--years = '2030:2024'", "reversed"),
        (["run", "--years", "2030:2031"], "--years = '2030:2031'", "base year 2024"),
        (["run", "--tick-s", "7"], "--tick-s = 7.0", "divide the day"),
        (["run", "--vehicle-scale", "0"], "--vehicle-scale = 0.0", ""),
        (["size-chargers", "--year", "2150", "--max-wait-p95-min", "5"], "--year = 2150", "2100"),
        (["size-chargers", "--year", "2000", "--max-wait-p95-min", "5"], "--year = 2000", "start"),
    ],
)
def test_command_line_values_are_blamed_on_the_flag(
    args: list[str], flag: str, needle: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = no_simulation(monkeypatch)
    code, _, err = run_cli([*args, "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert flag in lines[0]
    assert needle in lines[0]
    assert "shiyan_plan.toml" not in lines[0]  # the user did not write the value there
    assert calls == []
    assert not (tmp_path / "out").exists()


def test_tick_flag_moves_the_report_interval_instead_of_blaming_it() -> None:
    from transport_sim.scenario.settings import load_scenario

    base = load_scenario(REPO / "experiments" / "shiyan_plan.toml")
    scen = cli.apply_flags(base, [("--tick-s", 3600.0, {"run.tick_s": 3600.0})])
    assert scen.run.tick_s == 3600.0
    assert scen.run.report_interval_s == 3600.0
    scen = cli.apply_flags(base, [("--tick-s", 300.0, {"run.tick_s": 300.0})])
    assert scen.run.report_interval_s == base.run.report_interval_s  # 900 s still fits


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--seed", "abc"],
        ["run", "--bogus"],
        ["frobnicate"],
        ["size-chargers"],
        ["sweep"],
        ["size-chargers", "--year", "2030", "--max-wait-p95-min", "5", "--day-type", "x"],
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "error:" in err


def test_usage_error_of_the_installed_command_is_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "transport_sim", "run", "--seed", "x"],
                          capture_output=True, text=True, check=False, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("where", ["under_file", "is_file", "long_name"])
def test_run_output_checked_before_any_simulation(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = no_simulation(monkeypatch)
    blocker = tmp_path / "blocker"
    blocker.write_text("mine", encoding="utf-8")
    out = {"under_file": blocker / "out", "is_file": blocker,
           "long_name": tmp_path / ("x" * 300)}[where]
    for command in (["run"], ["size-chargers", "--year", "2030", "--max-wait-p95-min", "5"]):
        code, _, err = run_cli([*command, "--out", str(out)], capsys)
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1
        assert "--out" in err
    assert calls == []
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_long_scenario_name_gets_a_short_default_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    first, second = cli._timestamped(long_a), cli._timestamped(long_b)
    assert first != second
    assert len(first.name.encode()) <= 130
    first.mkdir()  # a real file system accepts it


def test_compare_out_checked_before_reading(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["compare", str(tmp_path / "nothing"), "--out", str(blocker / "c")],
                           capsys)
    assert code == 2
    assert "--out" in err
    assert "overwrite" not in err


@pytest.mark.parametrize("kind", ["under_file", "bad_suffix"])
def test_network_outputs_checked_before_loading(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transport_sim.network import commands

    def forbidden(*args, **kwargs):
        raise AssertionError("network loaded before the output was checked")

    monkeypatch.setattr(commands, "load_network", forbidden)
    blocker = tmp_path / "blocker"
    blocker.write_text("mine", encoding="utf-8")
    if kind == "under_file":
        for args in (["network", "build", str(REPO / "networks" / "shiyan_schematic.osm"),
                      "--out", str(blocker / "dir")],
                     ["network", "plot", "--out", str(blocker / "map.png")]):
            code, _, err = run_cli(args, capsys)
            assert code == 2, err
            assert len(err.strip().splitlines()) == 1
    else:
        code, _, err = run_cli(["network", "plot", "--out", str(tmp_path / "map.jpg")], capsys)
        assert code == 2
        assert ".png" in err


def test_network_plot_prints_the_file_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transport_sim.network import commands

    drawn: list[Path] = []

    def fake_draw(network, out_png):
        out_png.write_bytes(b"\x89PNG")
        drawn.append(out_png)
        return out_png

    monkeypatch.setattr(commands, "load_network", lambda path: object())
    monkeypatch.setattr(commands, "draw_network", fake_draw)
    folder = tmp_path / "maps"
    folder.mkdir()
    for out, expected in ((folder, folder / "shiyan_schematic.png"),
                          (tmp_path / "noext", tmp_path / "noext.png")):
        code, stdout, _ = run_cli(["network", "plot", "--out", str(out)], capsys)
        assert code == 0
        assert stdout.strip() == f"map: {expected}"
        assert expected.is_file()


def test_warnings_are_shown_once_on_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def noisy(args):
        for _ in range(3):
            warnings.warn("vehicle_scale = 0.0001: few vehicles\n  per fleet", UserWarning,
                          stacklevel=1)
        warnings.warn("another one", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "_cmd_plot", noisy)
    code, _, err = run_cli(["plot", "x"], capsys)
    assert code == 0
    assert err.splitlines() == [
        "transport-sim: warning: vehicle_scale = 0.0001: few vehicles per fleet",
        "transport-sim: warning: another one",
    ]
