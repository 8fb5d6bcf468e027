"""Results folders: the resolved scenario, Parquet tables and run metadata, written atomically.

A run writes everything into a temporary sibling folder (``.<name>.partial-<pid>``)
and renames it to its final name at the end, so a failed or killed run never leaves a
half-written results folder under the final name.  An existing folder is refused unless
``overwrite=True``, and even then only a folder this tool wrote is replaced: anything else
(a folder with a ``.git``, a thesis, the working folder) is refused and left untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from transport_sim.errors import ResultsError, describe
from transport_sim.results.signals import signals_as_exceptions

RESOLVED_SCENARIO = "scenario.resolved.toml"
RUN_JSON = "run.json"
#: Table files a run may write (name -> file).
TABLE_FILES = {
    "annual": "annual.parquet",
    "chargers": "chargers.parquet",
    "charger_hourly": "charger_hourly.parquet",
    "timeseries": "timeseries.parquet",
    "stock": "stock.parquet",
    "calibration": "calibration.parquet",
    "charging_energy": "charging_energy.parquet",
    "costs": "costs.parquet",
    "tco": "tco.parquet",
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


#: Marker files of the folders this tool writes (file -> kind).  A folder is replaced by
#: ``overwrite=True`` only when it holds one of these, written by this tool, and nothing
#: this tool does not write.
MARKER_FILES = {"run.json": "run", "sizing.json": "sizing", "compare.json": "compare"}
#: File endings of what the tool writes into run, sizing and compare folders.
OWNED_SUFFIXES = (".parquet", ".png", ".md", ".toml", ".json", ".csv")
TOOL_NAME = "transport_sim"


def marker(kind: str) -> dict[str, Any]:
    """Return the fields that mark a JSON file as written by this tool as ``kind``."""
    return {"tool": TOOL_NAME, "kind": kind, "schema": 1}


def _is_marker(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    if data.get("tool") == TOOL_NAME:
        return True
    # results folders of version 0.1.0 carried no "tool" field
    return data.get("package") == TOOL_NAME and "version" in data


def foreign_content(out: Path) -> str | None:
    """Say why ``out`` is not a folder this tool wrote, or return ``None`` if it is.

    A folder counts as the tool's own when it holds a marker file (``run.json``,
    ``sizing.json`` or ``compare.json`` with this tool's fields) and nothing but plain
    files of the kinds the tool writes.
    """
    entries = sorted(out.iterdir())
    if not any(e.name in MARKER_FILES and e.is_file() and _is_marker(e) for e in entries):
        return ("is not a folder written by transport_sim "
                "(no run.json, sizing.json or compare.json of its own)")
    for entry in entries:
        if entry.is_symlink() or not entry.is_file() or not entry.name.endswith(OWNED_SUFFIXES):
            return f"holds {entry.name!r}, which transport_sim did not write"
    return None


def _protected(out: Path) -> bool:
    """Tell whether ``out`` is the root, the home folder, or the working folder or a parent."""
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    return resolved == Path(resolved.anchor) or resolved == Path.home().resolve() or (
        resolved == cwd or resolved in cwd.parents
    )


def check_writable(out: Path, *, overwrite: bool, can_overwrite: bool = True) -> None:
    """Raise :class:`ResultsError` unless a results folder may be written at ``out``.

    Cheap enough to call before any simulation: it checks that ``out`` is not a file,
    that an existing ``out`` may be replaced (only with ``overwrite`` and only a folder
    this tool wrote, see :func:`foreign_content`), and that the nearest existing parent
    is a writable folder.  ``can_overwrite=False`` (commands without ``--overwrite``)
    words the refusal of an existing folder without suggesting that flag.
    """
    out = Path(out)
    if len(out.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise ResultsError(describe(
            None, "--out", str(out),
            f"folder name is {len(out.name.encode('utf-8', 'surrogateescape'))} bytes long; "
            f"at most {MAX_NAME_BYTES} (file systems allow 255 and the tool adds a suffix "
            "while writing): choose a shorter name"))
    if out.exists() or out.is_symlink():
        if out.is_symlink() or not out.is_dir():
            raise ResultsError(describe(None, "--out", str(out), "exists and is not a folder"))
        if _protected(out):
            raise ResultsError(describe(
                None, "--out", str(out),
                "is the root, home or working folder (or a parent of it); choose a new folder"))
        if not any(out.iterdir()):
            return  # an empty folder holds nothing to lose
        why = foreign_content(out)
        if why is not None:
            raise ResultsError(describe(
                None, "--out", str(out),
                f"folder exists and {why}; it is left untouched: choose a new folder"))
        if not overwrite:
            fix = "pass --overwrite to replace it" if can_overwrite else "choose a new --out"
            raise ResultsError(describe(None, "--out", str(out), f"results folder exists; {fix}"))
    check_parent(out)


def check_parent(out: Path) -> None:
    """Raise :class:`ResultsError` unless the nearest existing parent of ``out`` is writable.

    A missing parent is fine (it is created); a parent that is a file, or a folder the
    process may not write into, is not.
    """
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ResultsError(describe(None, "--out", str(out), f"{parent} is a file, not a folder"))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ResultsError(describe(None, "--out", str(out), f"folder {parent} is not writable"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


#: Temporary siblings of a folder being written: ``.<name>.partial-<pid>-<hex>`` (the new
#: content) and ``.<name>.old-<pid>-<hex>`` (the folder being replaced).
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|old)-(?P<pid>\d+)-[0-9a-f]{8}$")
#: Longest final folder name accepted (bytes); the temporary sibling adds up to 40.
MAX_NAME_BYTES = 200


def remove_stale_partials(out: Path) -> list[Path]:
    """Clean the temporary folders that dead processes left beside ``out``.

    Every ``.<name>.partial-<pid>-<hex>`` folder in ``out``'s parent whose process is
    no longer alive is removed, whatever ``<name>`` is (results folders with timestamped
    names would otherwise pile up).  A ``.<name>.old-<pid>-<hex>`` folder (a folder being
    replaced when its writer died) is removed when ``<name>`` exists again, and renamed
    back to ``<name>`` otherwise, so an interrupted ``--overwrite`` never loses the old
    results.  Temporary folders of live processes are kept.

    Returns
    -------
    list of Path
        The temporary folders removed or restored.
    """
    parent = Path(out).parent
    cleaned: list[Path] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(".")]
    except OSError:
        return cleaned
    for cand in sorted(candidates):
        match = _TEMP_NAME.match(cand.name)
        if match is None or not cand.is_dir() or cand.is_symlink():
            continue
        if _pid_alive(int(match["pid"])):
            continue
        final = parent / match["name"]
        if match["kind"] == "old" and not final.exists():
            with contextlib.suppress(OSError):
                cand.rename(final)
                cleaned.append(cand)
            continue
        shutil.rmtree(cand, ignore_errors=True)
        if not cand.exists():
            cleaned.append(cand)
    return cleaned


def prepare_output(out: Path, *, overwrite: bool, can_overwrite: bool = True) -> Path:
    """Check ``out`` before any simulation and clean stale temporary folders beside it.

    Runs :func:`check_writable` (milliseconds) and :func:`remove_stale_partials`; call it
    before the expensive work so that a bad ``--out`` fails at once.

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    check_writable(out, overwrite=overwrite, can_overwrite=can_overwrite)
    remove_stale_partials(out)
    return out


@contextlib.contextmanager
def atomic_folder(out: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling folder that becomes ``out`` when the block succeeds.

    On an exception, SIGINT or SIGTERM (see
    :func:`~transport_sim.results.signals.signals_as_exceptions`) the temporary folder is
    removed and ``out`` is left untouched.
    """
    out = Path(out)
    check_writable(out, overwrite=overwrite)
    with signals_as_exceptions():
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(describe(None, "--out", str(out), f"cannot create: {exc}")) from None
        remove_stale_partials(out)
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = out.parent / f".{out.name}.partial-{tag}"
        try:
            tmp.mkdir()
        except OSError as exc:
            raise ResultsError(describe(None, "--out", str(out), f"cannot create: {exc}")) from None
        old = out.parent / f".{out.name}.old-{tag}"
        try:
            yield tmp
            if out.exists():
                check_writable(out, overwrite=overwrite)
                out.rename(old)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old.exists() and not out.exists():  # interrupted between the two renames
                old.rename(out)
            raise
        shutil.rmtree(old, ignore_errors=True)


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
