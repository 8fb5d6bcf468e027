"""The sweep folder: per-run files written atomically, resume, consolidation, reading back."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transport_sim.accounting.outcomes import OUTCOME_NAMES, outcomes_frame
from transport_sim.errors import ResultsError, describe
from transport_sim.io import write_parquet_atomic, write_text_atomic
from transport_sim.results.folder import check_parent
from transport_sim.sweep.designs import (
    canonical_json,
    value_label,
)
from transport_sim.sweep.spec import RunSpec, Sweep

SUMMARY_DIR = "summary"
META_DIR = "meta"


# --------------------------------------------------------------------------------------
# executing one run (on a worker or in-process)
# --------------------------------------------------------------------------------------
@dataclass
class RunOutcome:
    """What a worker sends back for one run: tables and summary, or the error."""

    ok: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    elapsed_s: float = 0.0

    @classmethod
    def from_exception(cls, exc: BaseException, elapsed_s: float = 0.0) -> RunOutcome:
        """Build the outcome of a failed run."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(ok=False, error_type=type(exc).__name__, message=str(exc) or repr(exc),
                   traceback=text, elapsed_s=elapsed_s)


def json_default(value: object) -> object:
    """Make NumPy scalars and arrays, paths and the like JSON-serialisable."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return str(value)


# --------------------------------------------------------------------------------------
# the sweep folder
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepFolder:
    """Reads and writes the files of one sweep folder (see the module docstring)."""

    path: Path

    def part(self, table: str, run_id: str) -> Path:
        """Return the Parquet file of ``table`` for run ``run_id``."""
        return self.path / "runs" / table / f"run_id={run_id}" / "part-0.parquet"

    def error_file(self, run_id: str) -> Path:
        """Return the error record of run ``run_id``."""
        return self.path / "errors" / f"{run_id}.json"

    def finished(self, tables: Sequence[str] = ()) -> set[str]:
        """Return the ids of finished runs.

        A run is finished when its summary partition and the partitions of ``tables``
        are readable Parquet files; a 0-byte, truncated or unreadable file (a full disk,
        a copy cut short) makes the run unfinished, so ``--resume`` runs it again.
        """
        folder = self.path / "runs" / SUMMARY_DIR
        if not folder.is_dir():
            return set()
        done = set()
        for part in folder.glob("run_id=*"):
            rid = part.name.removeprefix("run_id=")
            files = [part / "part-0.parquet", *(self.part(t, rid) for t in tables)]
            if all(_readable_parquet(f) for f in files):
                done.add(rid)
        return done

    def write_run(self, run_id: str, outcome: RunOutcome) -> None:
        """Write a finished run: tables, meta, then the summary (the completion mark)."""
        for table, frame in outcome.tables.items():
            write_parquet_atomic(frame, self.part(table, run_id))
        write_text_atomic(self.path / "runs" / META_DIR / f"{run_id}.json",
                          json.dumps(outcome.meta, indent=1, sort_keys=True))
        self.error_file(run_id).unlink(missing_ok=True)
        write_parquet_atomic(outcomes_frame(outcome.summary), self.part(SUMMARY_DIR, run_id))

    def write_failure(self, spec: RunSpec, names: Sequence[str], outcome: RunOutcome) -> None:
        """Record a failed run in ``errors/<run_id>.json``."""
        record = {
            "run_id": spec.run_id,
            "seed": spec.seed,
            "parameters": {
                n: value_label(v) for n, v in zip(names, spec.values, strict=True)
            },
            "error_type": outcome.error_type,
            "message": outcome.message,
            "traceback": outcome.traceback,
        }
        write_text_atomic(self.error_file(spec.run_id), json.dumps(record, indent=1, default=str))

    def read_table(self, table: str, run_ids: Sequence[str]) -> pd.DataFrame:
        """Concatenate ``table`` of the given (finished) runs, with a ``run_id`` column."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = []
        for rid in run_ids:
            file = self.part(table, rid)
            if file.is_file():
                tab = pq.read_table(file)
                ids = pa.array([rid] * tab.num_rows, pa.string())
                parts.append(tab.append_column("run_id", ids))
        if not parts:
            return pd.DataFrame({"run_id": pd.Series([], dtype="str")})
        return pa.concat_tables(parts, promote_options="permissive").to_pandas()


def _readable_parquet(path: Path) -> bool:
    """Tell whether ``path`` is a Parquet file whose footer can be read."""
    import pyarrow.parquet as pq

    try:
        if path.stat().st_size < 12:  # "PAR1" + footer length + "PAR1"
            return False
        pq.read_metadata(path)
    except (OSError, ValueError):  # pyarrow raises ArrowInvalid (a ValueError) on garbage
        return False
    return True


def _design_frame(spec: Sweep, runs: Sequence[RunSpec]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "run": [r.run for r in runs],
            "run_id": [r.run_id for r in runs],
            "point": [r.point for r in runs],
            "replication": [r.replication for r in runs],
            "seed": [r.seed for r in runs],
        }
    ).astype({"run": "int64", "point": "int64", "replication": "int64", "seed": "int64"})
    for i, param in enumerate(spec.parameters):
        column = [r.values[i] for r in runs]
        if param.kind == "real":
            frame[param.name] = pd.Series(column, dtype="float64")
        elif param.kind == "integer":
            frame[param.name] = pd.Series(column, dtype="int64")
        else:
            frame[param.name] = pd.Series(
                [v if isinstance(v, str) else canonical_json(v) for v in column], dtype="str"
            )
    return frame


def definition_sha256(spec: Sweep) -> str:
    """Return the hash that identifies what a sweep folder holds.

    See :meth:`~transport_sim.sweep.spec.Sweep.definition_sha256`.
    """
    return spec.definition_sha256()


#: Replication seeds listed in ``sweep.json`` (the rest follow from ``seed``).
SEEDS_LISTED = 1000


def _sweep_json(spec: Sweep) -> dict[str, Any]:
    from transport_sim import __version__

    return {
        "package": "transport_sim",
        "version": __version__,
        "name": spec.name,
        "description": spec.description,
        "source": str(spec.source) if spec.source is not None else None,
        "base": str(spec.base_path),
        "design": spec.design.kind,
        "samples": spec.design.samples,
        "second_order": spec.design.second_order,
        "seed": spec.seed,
        "design_seed": spec.design.seed,
        "replications": spec.replications,
        "replication_seeds": list(spec.replication_seeds(limit=SEEDS_LISTED)),
        "parameters": [p.to_dict() for p in spec.parameters],
        "outcomes": list(spec.outcomes),
        "tables": list(spec.tables),
        "n_points": spec.n_points,
        "n_runs": spec.n_runs,
        "definition_sha256": definition_sha256(spec),
        "base_scenario": spec.base.to_dict(),
    }


def check_folder(out: Path, spec: Sweep, *, resume: bool) -> None:
    """Check that the sweep folder ``out`` may be written, without writing anything.

    Cheap enough to run before connecting to a scheduler or running anything: ``out``
    is not a file, its nearest existing parent is a writable folder, and an existing
    non-empty ``out`` is resumed only with ``resume`` and only if it holds this sweep.

    Raises
    ------
    ResultsError
        One line naming ``--out``.
    """
    from transport_sim.results.folder import MAX_NAME_BYTES

    out = Path(out)
    if len(out.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise ResultsError(describe(None, "--out", str(out),
                                    f"folder name longer than {MAX_NAME_BYTES} bytes"))
    if out.is_symlink() and not out.is_dir():
        raise ResultsError(describe(None, "--out", str(out), "exists and is not a folder"))
    if out.exists() and not out.is_dir():
        raise ResultsError(describe(None, "--out", str(out), "exists and is not a folder"))
    if out.is_dir() and any(out.iterdir()):
        if not resume:
            raise ResultsError(
                describe(None, "--out", str(out),
                         "sweep folder exists; pass --resume to continue it or choose a new --out")
            )
        info_file = out / "sweep.json"
        if not info_file.is_file():
            raise ResultsError(
                describe(None, "--out", str(out),
                         "not a sweep folder (no sweep.json); cannot resume")
            )
        try:
            old = json.loads(info_file.read_text(encoding="utf-8")).get("definition_sha256")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            problem = f"unreadable: {exc}"
            raise ResultsError(describe(info_file, "sweep.json", "", problem)) from None
        if old != definition_sha256(spec):
            raise ResultsError(
                describe(None, "--out", str(out),
                         "was written by a different sweep design (other runs or tables, or a "
                         "version of transport_sim before 0.3); resume it with its own sweep "
                         "file or choose a new --out")
            )
        if not os.access(out, os.W_OK | os.X_OK):
            raise ResultsError(describe(None, "--out", str(out), "folder is not writable"))
        return
    check_parent(out)


def prepare_folder(folder: SweepFolder, spec: Sweep, runs: Sequence[RunSpec], *,
                   resume: bool) -> None:
    """Create (or, with ``resume``, check and reuse) the sweep folder and its definition files.

    ``runs`` are the runs this session plans; ``design.parquet`` lists them together
    with every run an earlier session listed (a sweep run with ``max_runs`` lists only
    the runs enumerated so far).

    Raises
    ------
    ResultsError
        If the folder exists and ``resume`` is false, is not a sweep folder, or was
        written by a different design.
    """
    import tomli_w

    out = folder.path
    check_folder(out, spec, resume=resume)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(describe(None, "--out", str(out), f"cannot create: {exc}")) from None
    design = _design_frame(spec, runs)
    old_design = out / "design.parquet"
    if old_design.is_file():
        try:
            earlier = pd.read_parquet(old_design)
        except (OSError, ValueError):
            earlier = None  # rewritten from this session's runs
        if earlier is not None and len(earlier) and list(earlier.columns) == list(design.columns):
            design = (
                pd.concat([earlier.astype(design.dtypes.to_dict()), design], ignore_index=True)
                .drop_duplicates("run", keep="last")
                .sort_values("run", kind="stable")
                .reset_index(drop=True)
            )
    write_text_atomic(
        out / "sweep.resolved.toml",
        "# Fully resolved sweep (every default filled in); loadable with load_sweep().\n"
        + tomli_w.dumps(spec.to_dict()),
    )
    write_text_atomic(out / "sweep.json", json.dumps(_sweep_json(spec), indent=1, default=str))
    write_parquet_atomic(design, out / "design.parquet")


def consolidate(path: str | os.PathLike[str]) -> SweepResults:
    """(Re)build ``summary.parquet``, ``annual.parquet`` and ``failures.parquet``.

    Uses every finished run of the folder's design (also runs beyond a ``max_runs``
    limit that an earlier session finished).
    """
    folder = SweepFolder(Path(path))
    info = _read_info(folder.path)
    design = _read_design(folder.path)
    finished = folder.finished(info.get("tables", ()))
    done = design[design["run_id"].isin(finished)]
    ids = list(dict.fromkeys(done["run_id"]))

    summary = folder.read_table(SUMMARY_DIR, ids)
    for column in OUTCOME_NAMES:  # an empty dataset still has the documented columns
        if column not in summary.columns:
            summary[column] = pd.Series(dtype="int64" if column == "peak_year" else "float64")
    summary = done.merge(summary, on="run_id", how="inner").sort_values("run", kind="stable")
    write_parquet_atomic(summary.reset_index(drop=True), folder.path / "summary.parquet")

    annual = folder.read_table("annual", ids)
    keys = [c for c in ("year", "fleet", "powertrain") if c in annual.columns]
    annual = done.merge(annual, on="run_id", how="inner").sort_values(["run", *keys], kind="stable")
    write_parquet_atomic(annual.reset_index(drop=True), folder.path / "annual.parquet")

    failed_rows = []
    for rid in dict.fromkeys(design["run_id"]):
        file = folder.error_file(rid)
        if rid in finished or not file.is_file():
            continue
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            record = {"error_type": "unreadable", "message": f"{file} cannot be read"}
        if not isinstance(record, dict):
            record = {"error_type": "unreadable", "message": f"{file} is not an error record"}
        failed_rows.append({"run_id": rid, "error_type": record.get("error_type", ""),
                            "message": record.get("message", "")})
    errors = pd.DataFrame(failed_rows, columns=["run_id", "error_type", "message"]).astype(
        {"run_id": "str", "error_type": "str", "message": "str"}
    )
    failures = design.merge(errors, on="run_id", how="inner").sort_values("run", kind="stable")
    write_parquet_atomic(failures.reset_index(drop=True), folder.path / "failures.parquet")
    return SweepResults(path=folder.path, info=info, design=design,
                        summary=summary.reset_index(drop=True),
                        failures=failures.reset_index(drop=True))


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResults:
    """A sweep folder read back.

    Attributes
    ----------
    path
        The sweep folder.
    info
        The content of ``sweep.json``.
    design
        Every run of the design (``design.parquet``).
    summary
        One row per finished run (``summary.parquet``).
    failures
        One row per failed run (``failures.parquet``).
    """

    path: Path
    info: dict[str, Any]
    design: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Column names of the swept parameters."""
        return tuple(p["name"] for p in self.info["parameters"])

    @property
    def n_runs(self) -> int:
        """Runs in the design (also those a ``max_runs`` limit left unlisted)."""
        return int(self.info.get("n_runs", len(self.design)))

    @property
    def n_finished(self) -> int:
        """Finished design runs."""
        return len(self.summary)

    @property
    def annual(self) -> pd.DataFrame:
        """``annual.parquet``: one row per run x year x fleet x powertrain."""
        return pd.read_parquet(self.path / "annual.parquet")

    def table(self, name: str) -> pd.DataFrame:
        """Return per-run table ``name`` of every finished run, with the design columns."""
        ids = list(dict.fromkeys(self.summary["run_id"]))
        frame = SweepFolder(self.path).read_table(name, ids)
        done = self.design[self.design["run_id"].isin(ids)]
        return done.merge(frame, on="run_id", how="inner").sort_values("run", kind="stable")


#: Fields of ``sweep.json`` that reading and drawing a sweep folder rely on.
SWEEP_JSON_FIELDS = ("name", "design", "parameters", "outcomes", "n_points", "second_order")


def _read_info(path: Path) -> dict[str, Any]:
    """Return ``sweep.json`` of sweep folder ``path``, or raise a one-line ResultsError."""
    info_file = path / "sweep.json"
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"unreadable: {' '.join(str(exc).split())}"
        raise ResultsError(describe(info_file, "sweep.json", "", problem)) from None
    missing = [] if isinstance(info, dict) else list(SWEEP_JSON_FIELDS)
    missing = missing or [f for f in SWEEP_JSON_FIELDS if f not in info]
    if missing:
        raise ResultsError(describe(
            info_file, "fields", missing[:3],
            "missing: not a sweep folder of this version of transport_sim"))
    return info


def _read_design(path: Path) -> pd.DataFrame:
    """Return ``design.parquet`` of sweep folder ``path``, or raise a one-line ResultsError."""
    try:
        return pd.read_parquet(path / "design.parquet")
    except (OSError, ValueError) as exc:
        problem = f"unreadable: {' '.join(str(exc).split())}"
        raise ResultsError(describe(path / "design.parquet", "design", "", problem)) from None


def read_sweep(path: str | os.PathLike[str]) -> SweepResults:
    """Read a sweep folder written by :func:`sweep`.

    ``summary.parquet`` and ``failures.parquet`` are rebuilt from the per-run files when
    they are missing or unreadable.

    Raises
    ------
    ResultsError
        If ``path`` is not a sweep folder, or its ``sweep.json`` or ``design.parquet`` is
        unreadable (one line).
    """
    path = Path(path)
    if not (path / "sweep.json").is_file() or not (path / "design.parquet").is_file():
        raise ResultsError(describe(None, "sweep", str(path), "not a sweep folder (no sweep.json)"))
    info = _read_info(path)
    design = _read_design(path)
    try:
        summary = pd.read_parquet(path / "summary.parquet")
        failures = pd.read_parquet(path / "failures.parquet")
    except (OSError, ValueError):  # missing or damaged: rebuilt from the per-run files
        return consolidate(path)
    return SweepResults(path=path, info=info, design=design, summary=summary,
                        failures=failures)
