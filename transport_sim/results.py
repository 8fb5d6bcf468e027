"""Results folders: the resolved scenario, Parquet tables and run metadata, written atomically.

A run writes everything into a temporary sibling folder (``.<name>.partial-<pid>``)
and renames it to its final name at the end, so a failed or killed run never leaves a
half-written results folder under the final name.  An existing folder is refused unless
``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from transport_sim.errors import ResultsError, describe

RESOLVED_SCENARIO = "scenario.resolved.toml"
RUN_JSON = "run.json"
#: Table files a run may write (name -> file).
TABLE_FILES = {
    "annual": "annual.parquet",
    "chargers": "chargers.parquet",
    "charger_hourly": "charger_hourly.parquet",
    "timeseries": "timeseries.parquet",
    "stock": "stock.parquet",
}


@dataclass
class Results:
    """The outcome of one run: tables as DataFrames, metadata and the folder (if written).

    Attributes
    ----------
    tables
        ``{"annual": DataFrame, "chargers": DataFrame, ...}``.
    meta
        The content of ``run.json``.
    path
        The results folder, or ``None`` for a run kept in memory (sweeps).
    """

    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]
    scenario_toml: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def annual(self) -> pd.DataFrame:
        """``annual.parquet``: one row per (year, fleet, powertrain)."""
        return self.tables["annual"]

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Return table ``name``."""
        return self.tables[name]


def write_results(
    results: Results,
    out: Path,
    *,
    overwrite: bool = False,
    extra: Callable[[Path, Results], None] | None = None,
) -> Path:
    """Write ``results`` into folder ``out`` atomically and return ``out``.

    ``extra(folder, results)`` may add files (figures, report) before the folder gets its
    final name; if it raises, nothing is left behind.

    Raises
    ------
    ResultsError
        If ``out`` exists and ``overwrite`` is false, or exists and is not a folder.
    """
    out = Path(out)
    check_writable(out, overwrite=overwrite)
    with atomic_folder(out, overwrite=overwrite) as tmp:
        (tmp / RESOLVED_SCENARIO).write_text(
            "# Fully resolved scenario of this run (every default filled in).\n"
            + tomli_w.dumps(results.scenario_toml),
            encoding="utf-8",
        )
        for name, table in results.tables.items():
            file = TABLE_FILES.get(name, f"{name}.parquet")
            table.to_parquet(tmp / file, index=False)
        (tmp / RUN_JSON).write_text(
            json.dumps(results.meta, indent=2, sort_keys=True, default=str), encoding="utf-8"
        )
        if extra is not None:
            extra(tmp, results)
    results.path = out
    return out


def check_writable(out: Path, *, overwrite: bool) -> None:
    """Raise :class:`ResultsError` unless a results folder may be written at ``out``."""
    if out.exists() and not out.is_dir():
        raise ResultsError(describe(None, "--out", str(out), "exists and is not a folder"))
    if out.exists() and not overwrite:
        raise ResultsError(
            describe(
                None, "--out", str(out), "results folder exists; pass --overwrite to replace it"
            )
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_partials(out: Path) -> list[Path]:
    """Remove ``.<name>.partial-<pid>-*`` folders beside ``out`` left by dead processes.

    Returns the folders removed.  Partial folders of live processes are kept.
    """
    out = Path(out)
    removed = []
    if not out.parent.is_dir():
        return removed
    for cand in out.parent.glob(f".{out.name}.partial-*"):
        try:
            pid = int(cand.name.rsplit(".partial-", 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid):
            shutil.rmtree(cand, ignore_errors=True)
            removed.append(cand)
    return removed


@contextlib.contextmanager
def atomic_folder(out: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling folder that becomes ``out`` when the block succeeds.

    On an exception the temporary folder is removed and ``out`` is left untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        if not overwrite:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ResultsError(
                describe(None, "--out", str(out), "results folder appeared meanwhile")
            )
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def read_results(path: Path) -> Results:
    """Read a results folder written by :func:`write_results`.

    Raises
    ------
    ResultsError
        If ``path`` is not a results folder (no ``run.json``) or a table is unreadable.
    """
    path = Path(path)
    meta_file = path / RUN_JSON
    if not meta_file.is_file():
        raise ResultsError(
            describe(None, "results", str(path), "not a results folder (no run.json)")
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(describe(meta_file, "run.json", "", f"unreadable: {exc}")) from None
    tables: dict[str, pd.DataFrame] = {}
    for file in sorted(path.glob("*.parquet")):
        try:
            tables[file.stem] = pd.read_parquet(file)
        except Exception as exc:
            raise ResultsError(describe(file, "table", file.name, f"unreadable: {exc}")) from None
    return Results(tables=tables, meta=meta, path=path)
