"""``--overwrite`` replaces only folders this tool wrote (issue 13, data loss)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from transport_sim.errors import ResultsError
from transport_sim.results.folder import (
    Results,
    atomic_folder,
    check_writable,
    marker,
    write_results,
)


def _results() -> Results:
    return Results(
        tables={"annual": pd.DataFrame({"year": [2024], "co2_t": [1.0]})},
        meta={**marker("run"), "package": "transport_sim", "version": "x", "seed": 1},
        scenario_toml={"scenario": {"name": "t"}},
    )


def test_overwrite_refuses_a_folder_with_a_git_repository(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    (out / ".git").mkdir(parents=True)
    (out / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(ResultsError, match="left untouched"):
        write_results(_results(), out, overwrite=True)
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    assert (out / ".git").is_dir()
    assert not list(tmp_path.glob(".mydata.partial-*"))


def test_overwrite_refuses_a_tool_folder_that_gained_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_results(_results(), out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"notes\.txt"):
        write_results(_results(), out, overwrite=True)
    assert (out / "notes.txt").is_file()


def test_overwrite_refuses_a_fake_run_json(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"seed": 1}), encoding="utf-8")
    with pytest.raises(ResultsError, match="not a folder written by transport_sim"):
        check_writable(out, overwrite=True)


def test_overwrite_replaces_a_folder_this_tool_wrote(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_results(_results(), out)
    write_results(_results(), out, overwrite=True)
    assert (out / "run.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_existing_folder_without_overwrite_suggests_the_flag_only_for_own_folders(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    write_results(_results(), out)
    with pytest.raises(ResultsError, match="pass --overwrite"):
        check_writable(out, overwrite=False)
    with pytest.raises(ResultsError, match="choose a new --out"):
        check_writable(out, overwrite=False, can_overwrite=False)
    with pytest.raises(ResultsError) as err:
        check_writable(Path("/"), overwrite=False)
    assert "--overwrite" not in str(err.value)


def test_working_folder_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    write_results(_results(), out)
    monkeypatch.chdir(out)
    with pytest.raises(ResultsError, match="working folder"):
        check_writable(Path("."), overwrite=True)


def test_out_under_a_file_fails_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ResultsError, match="is a file"):
        check_writable(blocker / "sub" / "run", overwrite=False)
    with pytest.raises(ResultsError, match="not a folder"):
        check_writable(blocker, overwrite=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_parent_fails_before_any_work(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ResultsError, match="not writable"):
            check_writable(ro / "run", overwrite=False)
    finally:
        ro.chmod(0o700)


def test_folder_appearing_during_the_run_is_checked_again(tmp_path: Path) -> None:
    out = tmp_path / "late"
    with (  # noqa: PT012
        pytest.raises(ResultsError, match="left untouched"),
        atomic_folder(out, overwrite=True) as tmp,
    ):
        (tmp / "annual.parquet").write_bytes(b"x")
        out.mkdir()
        (out / "precious.doc").write_bytes(b"y")
    assert (out / "precious.doc").read_bytes() == b"y"
    assert not list(tmp_path.glob(".late.partial-*"))
