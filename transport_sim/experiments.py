"""Batch sweeps on Dask: designs, seeds, resume, any cluster, and response plots.

A *sweep* varies scenario fields over a design (full grid, Latin hypercube or Sobol),
runs every design point ``replications`` times with different seeds, and writes one
partitioned Parquet dataset.  It is resumable, deterministic whatever the number of
workers, and runs on a local Dask cluster, on any ``dask.distributed`` scheduler, or
serially in-process.

Sweep file
----------
::

    [sweep]
    name = "transition_rates"      # letters, digits, '-', '_'
    description = "..."            # optional
    base = "shiyan_plan.toml"      # base scenario, relative to this file
    design = "grid"                # "grid" | "lhs" | "sobol"
    samples = 64                   # lhs: points; sobol: N (a power of 2) -> N(2D+2) points
    second_order = true            # sobol: also sample for second-order indices
    replications = 3               # runs per design point, each with its own seed
    seed = 20240601                # root of a numpy SeedSequence (sampling and run seeds)
    outcomes = ["peak_co2_wtw_t", "cumulative_co2_wtw_t"]   # summary columns to plot
    tables = ["annual", "chargers"]                         # per-run tables to keep

    [overrides]                    # optional: a partial scenario (same layout as a
    run.end_year = 2030            # scenario file) merged onto the base for every run
    run.day_types = ["weekday"]

    [[parameter]]
    name = "bus_transition_year"   # column name (default: the path)
    path = "policy.bus.nev_share_of_new"   # any scenario field, by dotted path
    values = [2025, 2027, 2030]    # grid (or any design: a choice among these values)
    # range = [2025, 2030]         # lhs / sobol: a real or integer interval
    kind = "integer"               # "real" | "integer" | "categorical" (inferred if omitted)
    transform = "transition_year"  # "set" (default) | "scale" | "transition_year" | "template"
    target = 1.0                   # transition_year only: share reached in year {value}

    [[parameter]]
    name = "truck_nev_share_2030"
    path = "policy.truck.nev_share_of_new"
    values = [0.25, 0.5, 0.75]
    template = {2024 = "{base}", 2030 = "{value}"}   # transform = "template" implied

Transforms (see :mod:`transport_sim.designs`): ``set`` puts the value into the field (a
number on a curve field is a constant curve); ``scale`` multiplies the base value (every
point of a curve); ``transition_year`` makes the curve
``{<start_year> = <base value then>, <value> = <target>}``; ``template`` substitutes
``"{value}"`` (a value, or a curve year key) and ``"{base}"`` (the base curve's value in
that year).  Every parameter path and the extreme values of every parameter are checked
against the base scenario when the sweep is loaded; every run's scenario is validated
before the first run starts.  Errors are one-line :class:`~transport_sim.errors.ScenarioError`
messages naming the file, the field and the value.

Seeds: ``SeedSequence(seed)`` child 0 seeds the LHS/Sobol sampler; child ``1 + r`` gives
the seed of replication ``r``, the same for every design point (common random numbers,
so differences between points are not sampling noise).  Runs are ordered point by
point, all replications of a point together; ``max_runs`` keeps the first runs.

Run ids
-------
A run's id is the first 16 hex digits of the SHA-256 of the canonical JSON (sorted keys)
of ``{"scenario": <resolved scenario dict>, "seed": <seed>}``, where the network and
fleet file paths are replaced by the SHA-256 of their contents: an id survives moving
the repository and changes when an input file changes.  Identical runs (duplicate design
points) share an id and are run once.

Folder layout
-------------
::

    OUT/sweep.resolved.toml      the sweep with every default filled in (loadable)
    OUT/sweep.json               definition, parameters, resolved base scenario, sizes
    OUT/design.parquet           one row per design run: run, run_id, point,
                                 replication, seed, <parameters>
    OUT/runs/<table>/run_id=<id>/part-0.parquet   each run's tables (hive-partitioned)
    OUT/runs/summary/run_id=<id>/part-0.parquet   its summary row: written last, so its
                                                  presence marks a finished run
    OUT/runs/meta/<id>.json      the run's run.json (timings, network hash, ...)
    OUT/errors/<id>.json         a failed run: error type, message, traceback
    OUT/summary.parquet          one row per finished design run: design columns +
                                 the outcomes of :data:`SUMMARY_COLUMNS`
    OUT/annual.parquet           one row per run x year x fleet x powertrain with the
                                 design columns
    OUT/failures.parquet         failed design runs with their error
    OUT/figures/*.png            :func:`plot_sweep`

Every file is written to a temporary name and renamed (``os.replace``), so a crash or a
killed worker loses only unfinished runs.  The client writes results as runs complete
(``as_completed``); workers only compute.  With ``resume`` a sweep skips every run whose
summary partition exists and refuses a folder written by a different design.

Execution
---------
Runs go to a :class:`distributed.LocalCluster` (one single-threaded worker process per
CPU by default), to any scheduler (``scheduler="tcp://host:8786"``; its workers must
import this package and see the input files at the same absolute paths) or, with
``scheduler="serial"`` / ``workers=0``, run in-process.  At most ``4 x threads`` runs are
in flight.  The default run function, :func:`run_model`, reuses each worker's network,
fleets and context across runs (:class:`PreparedCache`, a Dask worker plugin) on private
copies, so a run's tables are byte for byte the same whatever the number of workers and
whichever runs a worker did before.  A run that raises is recorded in ``errors/`` and
the sweep goes on; a worker that dies has its run retried elsewhere by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times, then it is recorded as
``KilledWorker``).

Python API: :func:`load_sweep`, :func:`sweep`, :func:`read_sweep`, :func:`plot_sweep`;
the ``transport-sim sweep`` command calls :func:`run_sweep_cli`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import logging
import math
import os
import pickle
import sys
import time
import traceback
import typing
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import numpy as np
import pandas as pd
from distributed.diagnostics.plugin import WorkerPlugin

from transport_sim.designs import (
    DESIGN_KINDS,
    Design,
    Parameter,
    canonical_json,
    check_transform,
    parse_parameter,
    value_label,
)
from transport_sim.errors import ResultsError, ScenarioError, describe
from transport_sim.scenario import (
    Scenario,
    deep_merge,
    load_scenario,
    read_toml,
    scenario_from_dict,
)

if TYPE_CHECKING:
    import argparse

    from distributed import Client, Worker

    from transport_sim.results import Results
    from transport_sim.runner import Prepared

#: A run function: (resolved scenario, seed) -> Results.  Must be picklable for Dask.
RunFn = Callable[[Scenario, int], "Results"]

T = TypeVar("T")

RUN_ID_HEX = 16
DEFAULT_SEED = 20240601
#: Years summed by ``cumulative_co2_*`` (clipped to the run's years).
CUMULATIVE_YEARS = (2024, 2035)
#: Year of the ``co2_2030_wtw_t`` outcome (NaN when the run does not reach it).
MILESTONE_YEAR = 2030

#: Per-run summary columns (the outcomes a sweep can name), in file order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "peak_year",
    "peak_co2_wtw_t",
    "co2_2030_wtw_t",
    "cumulative_co2_wtw_t",
    "cumulative_co2_ttw_t",
    "stranded_vehicles",
    "unserved_taxi_requests",
    "worst_p95_wait_min",
)
DEFAULT_OUTCOMES: tuple[str, ...] = ("peak_co2_wtw_t", "cumulative_co2_wtw_t", "co2_2030_wtw_t")
#: Tables a run may keep per run, and the default.
RUN_TABLES: tuple[str, ...] = ("annual", "chargers", "charger_hourly", "timeseries", "stock")
DEFAULT_TABLES: tuple[str, ...] = ("annual", "chargers")
#: Columns of ``design.parquet`` before the parameter columns.
DESIGN_COLUMNS: tuple[str, ...] = ("run", "run_id", "point", "replication", "seed")

SWEEP_KEYS: tuple[str, ...] = (
    "name", "description", "base", "design", "samples", "second_order", "replications",
    "seed", "outcomes", "tables",
)
TOP_KEYS: tuple[str, ...] = ("sweep", "overrides", "parameter")
#: Fields a sweep parameter may not set (seeds come from the replications).
RESERVED_PATHS: tuple[str, ...] = ("run.seed",)

SUMMARY_DIR = "summary"
META_DIR = "meta"


# --------------------------------------------------------------------------------------
# the sweep definition
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a design point, a replication and its resolved scenario.

    Attributes
    ----------
    run
        Position in the design (0-based; runs are ordered point by point).
    point
        Index of the design point.
    replication
        Replication number (0-based).
    seed
        The run's seed (``run.seed`` of ``scenario``).
    values
        Parameter values, in the sweep's parameter order.
    run_id
        Short SHA-256 of the resolved scenario and the seed.
    scenario
        The resolved, validated scenario of the run.
    """

    run: int
    point: int
    replication: int
    seed: int
    values: tuple[Any, ...]
    run_id: str
    scenario: Scenario


@dataclass(frozen=True)
class Sweep:
    """A validated sweep definition (see the module docstring for the TOML layout).

    Attributes
    ----------
    name
        Sweep name (used for the default output folder).
    base_path
        The base scenario file.
    base
        The base scenario with ``[overrides]`` applied.
    parameters
        The swept parameters, in column order.
    design
        How design points are drawn (its seed is derived from ``seed``).
    replications
        Runs per design point.
    seed
        Root of the sweep's :class:`numpy.random.SeedSequence`.
    outcomes
        Summary columns the figures show.
    tables
        Per-run tables kept in the dataset.
    overrides
        The ``[overrides]`` table (a partial scenario).
    description
        Free text.
    source
        The sweep file (``None`` when built in Python).
    """

    name: str
    base_path: Path
    base: Scenario
    parameters: tuple[Parameter, ...]
    design: Design = field(default_factory=Design)
    replications: int = 1
    seed: int = DEFAULT_SEED
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    tables: tuple[str, ...] = DEFAULT_TABLES
    overrides: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    source: Path | None = field(default=None, compare=False)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Column names of the parameters."""
        return tuple(p.name for p in self.parameters)

    def replication_seeds(self) -> tuple[int, ...]:
        """Return the seed of each replication (children ``1..R`` of the root sequence)."""
        return tuple(
            int(np.random.SeedSequence(self.seed, spawn_key=(1 + r,)).generate_state(1)[0])
            for r in range(self.replications)
        )

    def points(self) -> list[tuple[Any, ...]]:
        """Return the design points (tuples of parameter values)."""
        return self.design.points(self.parameters)

    def point_overrides(
        self, values: Sequence[Any], base_values: Sequence[Any] | None = None
    ) -> dict[str, Any]:
        """Return the dotted-path overrides of one design point.

        ``base_values`` are the parameters' fields in the base scenario (computed when
        not given).
        """
        start = self.base.run.start_year
        if base_values is None:
            base_values = [base_field_value(self.base, p.path) for p in self.parameters]
        return {
            p.path: p.scenario_value(v, b, start)
            for p, v, b in zip(self.parameters, values, base_values, strict=True)
        }

    def runs(self) -> list[RunSpec]:
        """Return every run of the design, validated, in design order.

        Raises
        ------
        ScenarioError
            If a design point gives an invalid scenario (naming the point's values).
        """
        seeds = self.replication_seeds()
        hashes: dict[Path, str] = {}
        base_values = [base_field_value(self.base, p.path) for p in self.parameters]
        out: list[RunSpec] = []
        for point, values in enumerate(self.points()):
            try:
                scen = self.base.with_overrides(self.point_overrides(values, base_values))
            except ScenarioError as exc:
                shown = dict(zip(self.parameter_names, values, strict=True))
                raise ScenarioError(
                    describe(self.source, f"design point {point}", shown, f"invalid: {exc}")
                ) from None
            for rep, seed in enumerate(seeds):
                run_scen = dataclasses.replace(scen, run=dataclasses.replace(scen.run, seed=seed))
                out.append(
                    RunSpec(
                        run=len(out), point=point, replication=rep, seed=seed,
                        values=tuple(values), run_id=run_id_of(run_scen, seed, hashes),
                        scenario=run_scen,
                    )
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved sweep as a TOML-ready dict (loadable by :func:`load_sweep`)."""
        head: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "base": str(self.base_path),
            "design": self.design.kind,
        }
        if self.design.kind != "grid":
            head["samples"] = self.design.samples
        if self.design.kind == "sobol":
            head["second_order"] = self.design.second_order
        head.update(
            replications=self.replications, seed=self.seed,
            outcomes=list(self.outcomes), tables=list(self.tables),
        )
        out: dict[str, Any] = {"sweep": head}
        if self.overrides:
            out["overrides"] = self.overrides
        out["parameter"] = [p.to_dict() for p in self.parameters]
        return out


def base_field_value(scenario: Scenario, path: str) -> Any:
    """Return the TOML value of dotted field ``path`` in ``scenario`` (``None`` if unset)."""
    node: Any = scenario.to_dict(resolve_paths=False)
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_path(path: str) -> str | None:
    """Return ``None`` if ``path`` names a scenario field, else what is wrong."""
    node: Any = Scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        fields = {
            f.name: f for f in dataclasses.fields(node) if f.metadata.get("kind") != "internal"
        }
        if part not in fields:
            where = ".".join(parts[:i]) or "the scenario"
            return f"no field {part!r} in {where}; accepted: {', '.join(fields)}"
        kind = fields[part].metadata.get("kind")
        if i == len(parts) - 1:
            return None
        if kind in ("table", "mix", "mix_or_none"):
            return None  # free-form below (fleet_overrides, mixes): checked by the values
        if kind != "section":
            return f"{'.'.join(parts[: i + 1])} is a value, not a table"
        hint = typing.get_type_hints(node)[part]
        node = hint if isinstance(hint, type) else typing.get_args(hint)[0]
    return None


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Load and validate a sweep TOML file.

    Parameters
    ----------
    path
        The sweep file; its ``base`` scenario is resolved relative to it.

    Returns
    -------
    Sweep

    Raises
    ------
    ScenarioError
        On a malformed file, an unknown key, an invalid value, a parameter path that is
        not a scenario field, or a parameter value that makes the scenario invalid.
    """
    path = Path(path)
    return sweep_from_dict(read_toml(path, "sweep"), source=path.resolve())


def sweep_from_dict(  # noqa: PLR0912
    data: dict[str, Any], source: Path | None = None
) -> Sweep:
    """Validate a plain dict (as read from a sweep TOML file) into a :class:`Sweep`."""

    def fail(where: str, value: object, problem: str) -> ScenarioError:
        return ScenarioError(describe(source, where, value, problem))

    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise fail(unknown[0], data[unknown[0]], f"unknown table; accepted: {', '.join(TOP_KEYS)}")
    head = data.get("sweep")
    if not isinstance(head, dict):
        raise fail("sweep", head, "missing [sweep] table (needs at least name and base)")
    unknown = sorted(set(head) - set(SWEEP_KEYS))
    if unknown:
        raise fail(
            f"sweep.{unknown[0]}", head[unknown[0]],
            f"unknown key; accepted: {', '.join(SWEEP_KEYS)}",
        )
    name = head.get("name")
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise fail("sweep.name", name, "expected a name: letters, digits, '-' and '_'")
    description = head.get("description", "")
    if not isinstance(description, str):
        raise fail("sweep.description", description, "expected a string")
    base_rel = head.get("base")
    if not isinstance(base_rel, str) or not base_rel:
        raise fail("sweep.base", base_rel, "expected the base scenario file, relative to the sweep")
    folder = source.parent if source is not None else Path.cwd()
    base_path = (folder / base_rel).resolve()
    if not base_path.is_file():
        raise fail("sweep.base", base_rel, f"base scenario not found ({base_path})")

    kind = head.get("design", "grid")
    if kind not in DESIGN_KINDS:
        raise fail("sweep.design", kind, f"expected one of: {', '.join(DESIGN_KINDS)}")
    samples = head.get("samples")
    if kind == "grid":
        if samples is not None:
            raise fail("sweep.samples", samples, "grid designs take no samples (lhs/sobol only)")
        samples = 0
    elif isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise fail("sweep.samples", samples, f"{kind} designs need samples = a positive integer")
    elif kind == "sobol" and samples & (samples - 1):
        raise fail("sweep.samples", samples, "sobol (Saltelli) designs need a power of 2")
    second_order = head.get("second_order", True)
    if not isinstance(second_order, bool):
        raise fail("sweep.second_order", second_order, "expected true or false")
    if "second_order" in head and kind != "sobol":
        raise fail("sweep.second_order", second_order, "applies to sobol designs only")
    replications = head.get("replications", 1)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise fail("sweep.replications", replications, "expected an integer >= 1")
    seed = head.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise fail("sweep.seed", seed, "expected an integer >= 0")
    outcomes = head.get("outcomes", list(DEFAULT_OUTCOMES))
    if not isinstance(outcomes, list) or not outcomes:
        raise fail("sweep.outcomes", outcomes, "expected a non-empty list of summary columns")
    for outcome in outcomes:
        if outcome not in SUMMARY_COLUMNS:
            raise fail(
                "sweep.outcomes", outcome,
                f"unknown outcome; accepted: {', '.join(SUMMARY_COLUMNS)}",
            )
    tables = head.get("tables", list(DEFAULT_TABLES))
    if not isinstance(tables, list) or "annual" not in tables:
        raise fail("sweep.tables", tables, "expected a list of tables including 'annual'")
    for table in tables:
        if table not in RUN_TABLES:
            raise fail("sweep.tables", table, f"unknown table; accepted: {', '.join(RUN_TABLES)}")
    if len(set(tables)) != len(tables) or len(set(outcomes)) != len(outcomes):
        raise fail("sweep.tables", tables, "entries must not repeat")

    base = load_scenario(base_path)
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise fail("overrides", overrides, "expected a table (a partial scenario)")
    if overrides:
        merged = deep_merge(base.to_dict(resolve_paths=True), overrides)
        base = scenario_from_dict(merged, source=source if source is not None else base_path)

    raw_params = data.get("parameter", [])
    if not isinstance(raw_params, list):
        raise fail("parameter", raw_params, "expected [[parameter]] tables")
    params = tuple(parse_parameter(p, i, kind, source) for i, p in enumerate(raw_params))
    reserved = set(DESIGN_COLUMNS) | set(SUMMARY_COLUMNS) | {"year", "fleet", "powertrain"}
    seen_names: set[str] = set()
    seen_paths: set[str] = set()
    start = base.run.start_year
    for i, param in enumerate(params):
        where = f"parameter[{i}]"
        if param.name in seen_names or param.name in reserved:
            raise fail(f"{where}.name", param.name, "name repeats or is a reserved column name")
        if param.path in seen_paths:
            raise fail(f"{where}.path", param.path, "another parameter sets this field")
        seen_names.add(param.name)
        seen_paths.add(param.path)
        if param.path in RESERVED_PATHS:
            raise fail(f"{where}.path", param.path, "seeds come from sweep.seed and replications")
        problem = _check_path(param.path)
        if problem is not None:
            raise fail(f"{where}.path", param.path, problem)
        base_value = base_field_value(base, param.path)
        check_transform(
            param, base_value, start,
            lambda msg, w=where, p=param: fail(f"{w}.transform", p.transform, msg),
        )
        for value in param.check_values():
            override = param.scenario_value(value, base_value, start)
            try:
                base.with_overrides({param.path: override})
            except ScenarioError as exc:
                raise fail(
                    where, value, f"{param.name} = {value!r} gives an invalid scenario: {exc}"
                ) from None
    if kind != "grid" and not params:
        raise fail("parameter", [], f"{kind} designs need at least one [[parameter]]")

    design_seed = int(np.random.SeedSequence(seed, spawn_key=(0,)).generate_state(1)[0])
    return Sweep(
        name=name, base_path=base_path, base=base, parameters=params,
        design=Design(kind=kind, samples=samples, seed=design_seed, second_order=second_order),
        replications=replications, seed=seed, outcomes=tuple(outcomes), tables=tuple(tables),
        overrides=overrides, description=description, source=source,
    )


# --------------------------------------------------------------------------------------
# run ids and run summaries
# --------------------------------------------------------------------------------------
def file_sha256(path: Path, cache: dict[Path, str] | None = None) -> str:
    """Return the SHA-256 (hex) of a file's contents, memoised in ``cache``."""
    if cache is not None and path in cache:
        return cache[path]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    out = digest.hexdigest()
    if cache is not None:
        cache[path] = out
    return out


def run_id_of(scenario: Scenario, seed: int, file_hashes: dict[Path, str] | None = None) -> str:
    """Return the id of a run: a short SHA-256 of its resolved scenario and seed.

    The network and fleet file paths enter the hash as the SHA-256 of their contents.
    """
    data = scenario.to_dict(resolve_paths=True)
    data["scenario"]["network"] = "sha256:" + file_sha256(scenario.network_path, file_hashes)
    data["scenario"]["fleet_file"] = "sha256:" + file_sha256(scenario.fleet_path, file_hashes)
    payload = canonical_json({"scenario": data, "seed": int(seed)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:RUN_ID_HEX]


def summarise_run(annual: pd.DataFrame, chargers: pd.DataFrame | None) -> dict[str, float]:
    """Return a run's outcomes (:data:`SUMMARY_COLUMNS`) from its annual and charger tables.

    ``cumulative_*`` sums the run's years within :data:`CUMULATIVE_YEARS`;
    ``stranded_vehicles`` sums the annual ``stranded`` column over years and fleets;
    ``worst_p95_wait_min`` is the largest P95 charger wait of any site, year and day.
    """
    by_year = annual.groupby("year")[["co2_wtw_t", "co2_ttw_t"]].sum().sort_index()
    wtw = by_year["co2_wtw_t"]
    first, last = CUMULATIVE_YEARS
    window = by_year[(by_year.index >= first) & (by_year.index <= last)]
    has_chargers = chargers is not None and len(chargers) > 0
    return {
        "peak_year": float(int(wtw.idxmax())),
        "peak_co2_wtw_t": float(wtw.max()),
        "co2_2030_wtw_t": float(wtw.get(MILESTONE_YEAR, math.nan)),
        "cumulative_co2_wtw_t": float(window["co2_wtw_t"].sum()),
        "cumulative_co2_ttw_t": float(window["co2_ttw_t"].sum()),
        "stranded_vehicles": float(annual["stranded"].sum()),
        "unserved_taxi_requests": float(annual["unserved"].sum()),
        "worst_p95_wait_min": (
            float(chargers["wait_p95_min"].max()) if has_chargers else math.nan
        ),
    }


def _summary_frame(summary: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: summary[c] for c in SUMMARY_COLUMNS}])
    return frame.astype({c: "float64" for c in SUMMARY_COLUMNS}).astype({"peak_year": "int64"})


# --------------------------------------------------------------------------------------
# run functions
# --------------------------------------------------------------------------------------
class _SharingPickler(pickle.Pickler):
    """Pickles everything except read-only NumPy arrays, which are passed by reference."""

    def __init__(self, file: io.BytesIO, shared: list[np.ndarray]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: object) -> int | None:
        if isinstance(obj, np.ndarray) and not obj.flags.writeable:
            self.shared.append(obj)
            return len(self.shared) - 1
        return None


class _SharingUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: list[np.ndarray]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: int) -> np.ndarray:
        return self.shared[pid]


def private_copy(obj: T) -> T:
    """Return a deep copy of ``obj`` that shares its read-only NumPy arrays.

    Read-only arrays cannot change, so sharing them is safe and keeps them read-only:
    a plain :func:`copy.deepcopy` makes every array writeable, and Numba compiles (and
    caches) a separate specialisation of a kernel for writeable arrays, so a run on a
    deep copy would not execute exactly the code a run on fresh inputs executes.
    """
    shared: list[np.ndarray] = []
    buffer = io.BytesIO()
    _SharingPickler(buffer, shared).dump(obj)
    buffer.seek(0)
    return _SharingUnpickler(buffer, shared).load()


class PreparedCache:
    """Network, fleets and context loaded once per process and reused across runs.

    The key is everything :func:`transport_sim.runner.prepare` reads besides the policy:
    the network and fleet files (path, size, modification time), ``fleet_overrides``
    and ``run.start_year``.  The cache keeps a pristine copy of the network and context
    and hands every run its own :func:`private_copy` (a run may extend the context, e.g.
    register routing targets, and results must not depend on which runs a worker did
    before);
    the fleet definition is immutable and shared; the stock trajectory depends on the
    policy and is simulated for every scenario.
    At most ``max_entries`` inputs are kept.
    """

    def __init__(self, max_entries: int = 2) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    @staticmethod
    def key(scenario: Scenario) -> str:
        """Return the cache key of ``scenario``'s inputs."""
        files = []
        for path in (scenario.network_path, scenario.fleet_path):
            stat = path.stat()
            files.append([str(path), stat.st_size, stat.st_mtime_ns])
        return canonical_json([files, scenario.fleet_overrides, scenario.run.start_year])

    def prepared(self, scenario: Scenario) -> Prepared:
        """Return fresh run inputs for ``scenario``, loading network and fleets only once."""
        from transport_sim.policy import simulate_stock
        from transport_sim.runner import prepare

        key = self.key(scenario)
        cached = self._entries.get(key)
        if cached is None:
            prep = prepare(scenario)
            network, context = private_copy((prep.network, prep.context))
            self._entries[key] = dataclasses.replace(prep, network=network, context=context)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return prep
        self._entries.move_to_end(key)
        t0 = time.perf_counter()
        network, context = private_copy((cached.network, cached.context))
        stock = simulate_stock(scenario, cached.fleet_def)
        timings = {"prepared_reused": 1.0, "policy_s": time.perf_counter() - t0}
        return dataclasses.replace(
            cached, scenario=scenario, network=network, context=context, stock=stock,
            timings=timings,
        )


class PreparedCachePlugin(WorkerPlugin):
    """Gives every Dask worker process one :class:`PreparedCache` (see :func:`run_model`)."""

    name = "transport-sim-prepared-cache"
    idempotent = True

    def setup(self, worker: Worker) -> None:
        """Create the worker's cache."""
        self.cache = PreparedCache()


def _worker_cache() -> PreparedCache | None:
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    plugin = worker.plugins.get(PreparedCachePlugin.name)
    return getattr(plugin, "cache", None)


def run_model(scenario: Scenario, seed: int, *, cache: PreparedCache | None = None) -> Results:
    """Default run function of a sweep: :func:`transport_sim.runner.run_tables`.

    The network, fleets and context are reused across runs with the same inputs: from
    ``cache`` when given, else from the Dask worker's :class:`PreparedCachePlugin`.
    Results do not depend on this reuse.
    """
    from transport_sim.runner import run_tables

    cache = cache if cache is not None else _worker_cache()
    prepared = cache.prepared(scenario) if cache is not None else None
    return run_tables(scenario, seed, prepared=prepared)


#: Synthetic fleets: (fleet, ICE powertrain, vehicles, t CO2 TTW per ICE vehicle and year,
#: kWh per BEV and year, mean lifetime in years).
_SYNTHETIC_FLEETS: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("bus", "diesel", 1_800.0, 60.0, 90_000.0, 8.0),
    ("taxi", "petrol", 4_500.0, 22.0, 25_000.0, 6.0),
    ("truck", "diesel", 30_000.0, 35.0, 55_000.0, 10.0),
    ("ship", "diesel", 400.0, 80.0, 120_000.0, 20.0),
)


def synthetic_run(scenario: Scenario, seed: int | None = None, *, busy_s: float = 0.0) -> Results:
    """Run a cheap analytic stand-in for the model (tests and benchmarks of sweeps).

    Stock turnover towards each fleet's ``nev_share_of_new``, freight shifted to rail
    by ``policy.freight.rail_share``, the grid factor, and charger waits that fall with
    ``charging.service_area_coverage``; multiplicative noise (3 %) from ``seed``.  It
    returns ``annual`` and ``chargers`` tables with the real model's columns and needs
    no network.

    Parameters
    ----------
    scenario
        Any validated scenario.
    seed
        Overrides ``run.seed``.
    busy_s
        Spin the CPU this long (seconds) to emulate a costly run in benchmarks.
    """
    from transport_sim.accounting import ANNUAL_COLUMNS
    from transport_sim.results import Results

    if busy_s > 0:
        end = time.perf_counter() + busy_s
        while time.perf_counter() < end:
            pass
    seed = scenario.run.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    years = list(scenario.years)
    rows: list[dict[str, Any]] = []
    for fleet, ice, n0, co2_ice_t, bev_kwh, life_yr in _SYNTHETIC_FLEETS:
        policy = scenario.policy.fleet(fleet)
        share = 0.1
        for year in years:
            share += (policy.nev_share_of_new.at(year) - share) / life_yr
            activity = 1.0
            if fleet == "truck":
                rail = scenario.policy.freight.rail_share
                activity = (1.0 - rail.at(year)) / (1.0 - rail.at(years[0]))
            grid = scenario.grid.co2_kg_per_kwh.at(year)
            for powertrain, frac in ((ice, 1.0 - share), ("bev", share)):
                noise = float(rng.lognormal(0.0, 0.03))
                vehicles = n0 * frac
                kwh = vehicles * bev_kwh * activity * noise if powertrain == "bev" else 0.0
                ttw = 0.0 if powertrain == "bev" else vehicles * co2_ice_t * activity * noise
                row = dict.fromkeys(ANNUAL_COLUMNS, 0.0)
                row.update(
                    year=year, fleet=fleet, powertrain=powertrain, vehicles=vehicles,
                    sim_vehicles=vehicles, electricity_kwh=kwh, energy_kwh=kwh,
                    co2_ttw_t=ttw, co2_wtw_t=ttw * 1.2 + kwh * grid / 1000.0,
                )
                rows.append(row)
    annual = pd.DataFrame(rows, columns=list(ANNUAL_COLUMNS))
    annual["year"] = annual["year"].astype("int64")
    cover = scenario.charging.service_area_coverage
    crows = [
        {
            "year": year, "day_type": day, "site_id": site, "name": f"SA{site}",
            "kind": "service_area", "lon": 110.8, "lat": 32.6, "plugs": 6,
            "power_kw": 180.0, "sessions": 50.0, "energy_kwh": 2_000.0, "utilisation": 0.3,
            "wait_mean_min": 2.0 / max(cover.at(year), 0.05),
            "wait_p95_min": 8.0 / max(cover.at(year), 0.05) * float(rng.lognormal(0.0, 0.05)),
            "max_queue": 3,
        }
        for year in years for day in scenario.run.day_types for site in range(3)
    ]
    annual["stranded"] = np.where(
        annual["powertrain"] == "bev",
        annual["vehicles"] * 0.001 * (1.0 - np.array([cover.at(y) for y in annual["year"]])),
        0.0,
    )
    meta = {"scenario": scenario.name, "seed": seed, "synthetic": True}
    return Results(tables={"annual": annual, "chargers": pd.DataFrame(crows)}, meta=meta,
                   scenario_toml=scenario.to_dict())


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


def _json_default(value: object) -> object:
    """Make NumPy scalars and arrays, paths and the like JSON-serialisable."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return str(value)


def execute_run(
    run_fn: RunFn, scenario: Scenario, seed: int, tables: Sequence[str]
) -> RunOutcome:
    """Run one scenario and keep ``tables``; never raises for a failing run.

    This is the task each Dask worker executes; it is a plain module-level function so
    that it pickles by reference.
    """
    t0 = time.perf_counter()
    try:
        results = run_fn(scenario, seed)
        missing = [t for t in tables if t not in results.tables]
        if missing:
            msg = f"the run function returned no {missing[0]!r} table"
            raise LookupError(msg)  # reported like any failing run
        kept = {t: results.tables[t] for t in tables}
        summary = summarise_run(kept["annual"], results.tables.get("chargers"))
    except Exception as exc:  # a failing run is recorded; the sweep goes on
        return RunOutcome.from_exception(exc, time.perf_counter() - t0)
    meta = json.loads(json.dumps(results.meta, default=_json_default))
    return RunOutcome(ok=True, tables=kept, summary=summary, meta=meta,
                      elapsed_s=time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# the sweep folder
# --------------------------------------------------------------------------------------
def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    _write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _write_text(text: str, path: Path) -> None:
    _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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

    def finished(self) -> set[str]:
        """Return the ids of finished runs (those with a summary partition)."""
        folder = self.path / "runs" / SUMMARY_DIR
        if not folder.is_dir():
            return set()
        return {
            p.name.removeprefix("run_id=")
            for p in folder.glob("run_id=*")
            if (p / "part-0.parquet").is_file()
        }

    def write_run(self, run_id: str, outcome: RunOutcome) -> None:
        """Write a finished run: tables, meta, then the summary (the completion mark)."""
        for table, frame in outcome.tables.items():
            _write_parquet(frame, self.part(table, run_id))
        _write_text(json.dumps(outcome.meta, indent=1, sort_keys=True),
                    self.path / "runs" / META_DIR / f"{run_id}.json")
        self.error_file(run_id).unlink(missing_ok=True)
        _write_parquet(_summary_frame(outcome.summary), self.part(SUMMARY_DIR, run_id))

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
        _write_text(json.dumps(record, indent=1, default=str), self.error_file(spec.run_id))

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


def definition_sha256(spec: Sweep, runs: Sequence[RunSpec]) -> str:
    """Return the hash that identifies what a sweep folder holds (its run ids and tables)."""
    payload = canonical_json({"run_ids": [r.run_id for r in runs], "tables": list(spec.tables)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _sweep_json(spec: Sweep, runs: Sequence[RunSpec]) -> dict[str, Any]:
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
        "replication_seeds": list(spec.replication_seeds()),
        "parameters": [p.to_dict() for p in spec.parameters],
        "outcomes": list(spec.outcomes),
        "tables": list(spec.tables),
        "n_points": len({r.point for r in runs}),
        "n_runs": len(runs),
        "n_unique_runs": len({r.run_id for r in runs}),
        "definition_sha256": definition_sha256(spec, runs),
        "base_scenario": spec.base.to_dict(),
    }


def _prepare_folder(folder: SweepFolder, spec: Sweep, runs: Sequence[RunSpec], *,
                    resume: bool) -> None:
    import tomli_w

    out = folder.path
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
        except (OSError, json.JSONDecodeError) as exc:
            problem = f"unreadable: {exc}"
            raise ResultsError(describe(info_file, "sweep.json", "", problem)) from None
        if old != definition_sha256(spec, runs):
            raise ResultsError(
                describe(None, "--out", str(out),
                         "was written by a different sweep design (other runs or tables); "
                         "resume it with its own sweep file or choose a new --out")
            )
    out.mkdir(parents=True, exist_ok=True)
    _write_text(
        "# Fully resolved sweep (every default filled in); loadable with load_sweep().\n"
        + tomli_w.dumps(spec.to_dict()),
        out / "sweep.resolved.toml",
    )
    _write_text(json.dumps(_sweep_json(spec, runs), indent=1, default=str), out / "sweep.json")
    _write_parquet(_design_frame(spec, runs), out / "design.parquet")


def consolidate(path: str | os.PathLike[str]) -> SweepResults:
    """(Re)build ``summary.parquet``, ``annual.parquet`` and ``failures.parquet``.

    Uses every finished run of the folder's design (also runs beyond a ``max_runs``
    limit that an earlier session finished).
    """
    folder = SweepFolder(Path(path))
    info = json.loads((folder.path / "sweep.json").read_text(encoding="utf-8"))
    design = pd.read_parquet(folder.path / "design.parquet")
    finished = folder.finished()
    done = design[design["run_id"].isin(finished)]
    ids = list(dict.fromkeys(done["run_id"]))

    summary = folder.read_table(SUMMARY_DIR, ids)
    for column in SUMMARY_COLUMNS:  # an empty dataset still has the documented columns
        if column not in summary.columns:
            summary[column] = pd.Series(dtype="int64" if column == "peak_year" else "float64")
    summary = done.merge(summary, on="run_id", how="inner").sort_values("run", kind="stable")
    _write_parquet(summary.reset_index(drop=True), folder.path / "summary.parquet")

    annual = folder.read_table("annual", ids)
    keys = [c for c in ("year", "fleet", "powertrain") if c in annual.columns]
    annual = done.merge(annual, on="run_id", how="inner").sort_values(["run", *keys], kind="stable")
    _write_parquet(annual.reset_index(drop=True), folder.path / "annual.parquet")

    failed_rows = []
    for rid in dict.fromkeys(design["run_id"]):
        file = folder.error_file(rid)
        if rid in finished or not file.is_file():
            continue
        record = json.loads(file.read_text(encoding="utf-8"))
        failed_rows.append({"run_id": rid, "error_type": record.get("error_type", ""),
                            "message": record.get("message", "")})
    errors = pd.DataFrame(failed_rows, columns=["run_id", "error_type", "message"]).astype(
        {"run_id": "str", "error_type": "str", "message": "str"}
    )
    failures = design.merge(errors, on="run_id", how="inner").sort_values("run", kind="stable")
    _write_parquet(failures.reset_index(drop=True), folder.path / "failures.parquet")
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
        """Runs in the design."""
        return len(self.design)

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


def read_sweep(path: str | os.PathLike[str]) -> SweepResults:
    """Read a sweep folder written by :func:`sweep`.

    Raises
    ------
    ResultsError
        If ``path`` is not a sweep folder.
    """
    path = Path(path)
    if not (path / "sweep.json").is_file() or not (path / "design.parquet").is_file():
        raise ResultsError(describe(None, "sweep", str(path), "not a sweep folder (no sweep.json)"))
    if not (path / "summary.parquet").is_file():
        return consolidate(path)
    return SweepResults(
        path=path,
        info=json.loads((path / "sweep.json").read_text(encoding="utf-8")),
        design=pd.read_parquet(path / "design.parquet"),
        summary=pd.read_parquet(path / "summary.parquet"),
        failures=pd.read_parquet(path / "failures.parquet"),
    )


# --------------------------------------------------------------------------------------
# execution
# --------------------------------------------------------------------------------------
class _Progress:
    """A one-line progress report on stderr: runs done/total, failures, elapsed, ETA."""

    def __init__(self, name: str, total: int, already: int, *, enabled: bool,
                 stream: TextIO | None = None) -> None:
        self.name, self.total, self.already = name, total, already
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.done = self.failed = 0

    @staticmethod
    def _clock(seconds: float) -> str:
        if not math.isfinite(seconds):
            return "?"
        s = round(seconds)
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"

    def update(self, *, ok: bool, force: bool = False) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.show(force=force)

    def show(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = self.done == self.total - self.already
        if not (force or finished or self.tty or now - self.last >= 5.0):
            return
        self.last = now
        elapsed = now - self.t0
        left = self.total - self.already - self.done
        eta = elapsed / self.done * left if self.done else math.inf
        text = (
            f"sweep {self.name}: {self.already + self.done}/{self.total} runs, "
            f"{self.failed} failed, {self._clock(elapsed)} elapsed, ETA {self._clock(eta)}"
        )
        end = "\n" if finished or not self.tty else ""
        print(("\r" if self.tty else "") + text, end=end, file=self.stream, flush=True)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _dask_client(
    workers: int | None, scheduler: str | Client | None, *, progress: bool
) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None or scheduler == "local":
        n_workers = workers if workers is not None else _cpu_count()
        with (
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            if progress:
                print(f"dask dashboard: {client.dashboard_link}", file=sys.stderr)
            yield client
        return
    with Client(scheduler) as client:
        yield client


def _run_serial(pending: Sequence[RunSpec], run_fn: RunFn, tables: Sequence[str],
                on_done: Callable[[RunSpec, RunOutcome], None]) -> None:
    for spec in pending:
        on_done(spec, execute_run(run_fn, spec.scenario, spec.seed, tables))


def _run_dask(client: Client, pending: Sequence[RunSpec], run_fn: RunFn, tables: Sequence[str],
              on_done: Callable[[RunSpec, RunOutcome], None]) -> None:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    in_flight = max(16, 4 * sum(client.nthreads().values()))
    queue = iter(pending)
    specs: dict[str, RunSpec] = {}

    def submit(spec: RunSpec) -> Any:
        future = client.submit(
            execute_run, run_fn, spec.scenario, spec.seed, tuple(tables),
            key=f"transport-sim-run-{spec.run_id}-{token}", retries=0,
        )
        specs[future.key] = spec
        return future

    completed = as_completed([submit(s) for s in islice(queue, in_flight)])
    try:
        for future in completed:
            spec = specs.pop(future.key)
            try:
                outcome = future.result()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # KilledWorker, cancelled, lost
                outcome = RunOutcome.from_exception(exc)
            future.release()
            on_done(spec, outcome)
            nxt = next(queue, None)
            if nxt is not None:
                completed.add(submit(nxt))
    finally:
        completed.clear()


def sweep(
    sweep_or_path: Sweep | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    resume: bool = False,
    max_runs: int | None = None,
    progress: bool = False,
    figures: bool = False,
    run_fn: RunFn | None = None,
) -> SweepResults:
    """Run a sweep and write its folder; return the consolidated results.

    Parameters
    ----------
    sweep_or_path
        A :class:`Sweep` or a sweep TOML file.
    out
        The sweep folder (default: ``results/<name>-<timestamp>/``).
    workers
        Local Dask worker processes (default: one per CPU); ``0`` runs serially.
    scheduler
        ``None``/``"local"``: a new :class:`distributed.LocalCluster` (one thread per
        worker process); ``"serial"``: in-process, no Dask; an address such as
        ``"tcp://host:8786"``: that scheduler (its workers must see the input files at
        the same paths); or a :class:`distributed.Client`, used as is.
    resume
        Continue a sweep folder: runs already finished are skipped.
    max_runs
        Run only the first ``max_runs`` runs of the design.
    progress
        Print a progress line (runs done/total, failures, elapsed, ETA) to stderr.
    figures
        Draw :func:`plot_sweep` figures at the end.
    run_fn
        ``run_fn(scenario, seed) -> Results``; default :func:`run_model` (the model).
        Must be picklable for Dask.

    Returns
    -------
    SweepResults

    Raises
    ------
    ScenarioError
        For an invalid sweep file or design point.
    ResultsError
        If ``out`` exists and ``resume`` is false, or holds a different sweep.
    """
    spec = sweep_or_path if isinstance(sweep_or_path, Sweep) else load_sweep(sweep_or_path)
    if max_runs is not None and max_runs < 0:
        raise ScenarioError(describe(None, "--max-runs", max_runs, "expected an integer >= 0"))
    if workers is not None and workers < 0:
        raise ScenarioError(describe(None, "--workers", workers, "expected an integer >= 0"))
    if out is None:
        from transport_sim.paths import default_results_dir

        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = default_results_dir() / f"{spec.name}-{stamp}"
    runs = spec.runs()
    folder = SweepFolder(Path(out))
    _prepare_folder(folder, spec, runs, resume=resume)

    planned = runs if max_runs is None else runs[:max_runs]
    unique = list({r.run_id: r for r in planned[::-1]}.values())  # first of each id ...
    unique.sort(key=lambda r: r.run)  # ... in design order
    finished = folder.finished()
    pending = [r for r in unique if r.run_id not in finished]
    bar = _Progress(spec.name, len(unique), len(unique) - len(pending), enabled=progress)
    names = spec.parameter_names

    def on_done(run: RunSpec, outcome: RunOutcome) -> None:
        if outcome.ok:
            try:
                folder.write_run(run.run_id, outcome)
            except Exception as exc:  # e.g. a table pyarrow cannot store
                outcome = RunOutcome.from_exception(exc)
        if not outcome.ok:
            folder.write_failure(run, names, outcome)
        bar.update(ok=outcome.ok)

    bar.show(force=True)
    if pending:
        if scheduler == "serial" or workers == 0:
            fn = run_fn or functools.partial(run_model, cache=PreparedCache())
            _run_serial(pending, fn, spec.tables, on_done)
        else:
            with _dask_client(workers, scheduler, progress=progress) as client:
                if run_fn is None:
                    client.register_plugin(PreparedCachePlugin())
                _run_dask(client, pending, run_fn or run_model, spec.tables, on_done)
    results = consolidate(folder.path)
    if figures:
        plot_sweep(folder.path)
    return results


def run_sweep_cli(args: argparse.Namespace) -> int:
    """Run ``transport-sim sweep`` (see :func:`sweep`); return the exit code.

    Returns 0 when every planned run finished, 1 when some runs failed (listed in
    ``failures.parquet``).  User errors raise :class:`~transport_sim.errors.TransportSimError`.
    """
    spec = load_sweep(args.sweep)
    if args.resume and args.out is None:
        raise ScenarioError(
            describe(None, "--resume", True, "needs --out SWEEPDIR, the folder to resume")
        )
    scheduler = getattr(args, "scheduler", None)
    results = sweep(
        spec, args.out, workers=args.workers, scheduler=scheduler, resume=args.resume,
        max_runs=args.max_runs, progress=True, figures=True,
    )
    print(f"sweep: {results.path}")
    print(f"runs: {results.n_finished}/{results.n_runs} finished, {len(results.failures)} failed")
    if len(results.failures):
        first = results.failures.iloc[0]
        print(f"failures: {results.path / 'failures.parquet'} "
              f"(first: {first['error_type']}: {first['message']})")
        return 1
    return 0


def plot_sweep(path: str | os.PathLike[str]) -> list[Path]:
    """Draw the figures of a sweep folder into ``<path>/figures/``; return the files.

    See :func:`transport_sim.sweep_plots.plot_sweep`.
    """
    from transport_sim.sweep_plots import plot_sweep as _plot

    return _plot(Path(path))
