"""``transport-sim plot`` on a folder it cannot draw: one line, exit code 2 (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from transport_sim.cli import main
from transport_sim.report import markdown


def fake_folder(tmp_path: Path, *, schema: int = 1, annual_columns=("year",)) -> Path:
    folder = tmp_path / "res"
    folder.mkdir()
    meta = {"tool": "transport_sim", "kind": "run", "schema": schema,
            "package": "transport_sim", "version": "x"}
    (folder / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    pd.DataFrame({c: [2024] for c in annual_columns}).to_parquet(folder / "annual.parquet")
    pd.DataFrame({"year": [2024], "fleet": ["bus"], "powertrain": ["bev"],
                  "vehicles": [1.0]}).to_parquet(folder / "stock.parquet")
    return folder


def plot_cli(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["plot", str(folder)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_missing_columns_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = plot_cli(fake_folder(tmp_path), capsys)
    assert "annual.parquet" in err
    assert "re-run" in err


def test_other_schema_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = fake_folder(tmp_path, schema=99, annual_columns=markdown.PLOT_COLUMNS["annual"])
    err = plot_cli(folder, capsys)
    assert "schema = 99" in err


def test_read_only_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_folder(tmp_path, annual_columns=markdown.PLOT_COLUMNS["annual"])
    monkeypatch.setattr(markdown.os, "access", lambda path, mode: False)
    err = plot_cli(folder, capsys)
    assert "not writable" in err


def test_unreadable_table_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = fake_folder(tmp_path)
    (folder / "annual.parquet").write_bytes(b"")
    err = plot_cli(folder, capsys)
    assert "annual.parquet" in err
