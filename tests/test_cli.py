"""The command line: exit codes (0 ok, 2 user error), one-line errors, no half-written folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from transport_sim import __version__
from transport_sim.cli import main

REPO = Path(__file__).resolve().parents[1]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["compare"],
        ["size-chargers"],
        ["sweep"],
        ["plot"],
        ["network"],
        ["network", "info"],
    ],
)
def test_help_on_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage" in capsys.readouterr().out


def write_scenario(folder: Path, body: str) -> Path:
    path = folder / "bad.toml"
    head = (
        f'[scenario]\nname = "bad"\nnetwork = "{REPO}/networks/shiyan_schematic.osm"\n'
        f'fleet_file = "{REPO}/fleets/shiyan.toml"\n'
    )
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[run]\ntick_s = 7\n", "run.tick_s"),
        ("[policy.bus]\nnev_share_of_new = 1.5\n", "policy.bus.nev_share_of_new"),
        ("[policy.plane]\nnev_share_of_new = 0.5\n", "policy.plane"),
        ("[run\n", "malformed TOML"),
        ("[run]\nstart_year = 2030\nend_year = 2024\n", "years reversed"),
    ],
)
def test_bad_scenario_exits_2_with_one_line(
    tmp_path: Path, body: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(tmp_path, body)
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["run", str(path), "--out", str(out_dir)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0]
    assert "bad.toml" in lines[0]
    assert not out_dir.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run", str(tmp_path / "none.toml")], capsys)
    assert code == 2
    assert "none.toml" in err
    assert "not found" in err


def test_missing_network_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        f'[scenario]\nname = "s"\nnetwork = "gone.osm"\nfleet_file = "{REPO}/fleets/shiyan.toml"\n'
    )
    code, _, err = run_cli(["run", str(path)], capsys)
    assert code == 2
    assert "scenario.network" in err
    assert "gone.osm" in err


def test_existing_results_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "thesis.tex").write_text("mine", encoding="utf-8")
    for extra in ([], ["--overwrite"]):
        code, _, err = run_cli(["run", "--out", str(out_dir), *extra], capsys)
        assert code == 2
        assert "left untouched" in err
        assert [p.name for p in out_dir.iterdir()] == ["thesis.tex"]


def test_network_info_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["network", "info", str(tmp_path / "x.osm")], capsys)
    assert code == 2
    assert "x.osm" in err


def test_console_script_is_installed_or_module_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "transport_sim", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("", "empty.osm"),
        ('<?xml version="1.0"?>\n<osm version="0.6">\n <node id="1" lat="32.6" lo', "cut.osm"),
        ("this is not OSM data\n", "text.osm"),
    ],
)
def test_corrupt_network_exits_2_and_leaves_no_folder(
    tmp_path: Path, content: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / name).write_text(content)
    scen = tmp_path / "s.toml"
    scen.write_text(
        f'[scenario]\nname = "s"\nnetwork = "{name}"\nfleet_file = "{REPO}/fleets/shiyan.toml"\n'
    )
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["run", str(scen), "--out", str(out_dir)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert name in err
    assert not out_dir.exists()


def test_unknown_fleet_file_key_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "s.toml"
    scen.write_text(
        f'[scenario]\nname = "s"\nnetwork = "{REPO}/networks/shiyan_schematic.osm"\n'
        f'fleet_file = "{REPO}/fleets/shiyan.toml"\n[fleet_overrides.bus]\nstock = 0\n'
    )
    code, _, err = run_cli(["run", str(scen), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert "bus.stock" in err
    assert not (tmp_path / "out").exists()
