"""The sweep file: parameters, design points, replications and run ids.

See the package docstring for the file format and the folder layout.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import os
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transport_sim.accounting.outcomes import OUTCOME_NAMES
from transport_sim.errors import ScenarioError, describe
from transport_sim.io import file_sha256
from transport_sim.scenario import schema
from transport_sim.scenario.settings import (
    Scenario,
    deep_merge,
    load_scenario,
    read_toml,
    scenario_from_dict,
)
from transport_sim.sweep.designs import (
    DESIGN_KINDS,
    Design,
    Parameter,
    canonical_json,
    check_transform,
    parse_parameter,
)

if TYPE_CHECKING:
    from transport_sim.results.folder import Results

#: A run function: (resolved scenario, seed) -> Results.  Must be picklable for Dask.
RunFn = Callable[[Scenario, int], "Results"]

RUN_ID_HEX = 16
DEFAULT_SEED = 20240601
DEFAULT_OUTCOMES: tuple[str, ...] = ("peak_co2_wtw_t", "cumulative_co2_wtw_t", "co2_2030_wtw_t")
#: Tables a run may keep per run, and the default.
RUN_TABLES: tuple[str, ...] = ("annual", "chargers", "charger_hourly", "timeseries", "stock",
                               "costs", "tco", "charging_energy")
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
#: Most replications per design point accepted.  The standard error of a mean over
#: replications falls as 1/sqrt(R): 10,000 replications give 1 % of one run's spread,
#: far below any use, and every replication is a full model run.
MAX_REPLICATIONS = 10_000
#: Largest LHS sample size / Sobol base sample accepted (2^20; each point is R runs).
MAX_SAMPLES = 2**20

#: The ``[sweep]`` table, declared once (see :mod:`transport_sim.scenario.schema`).
SWEEP_SCHEMA = schema.Record(
    {
        "name": schema.String(name=True, max_length=schema.MAX_NAME_LENGTH),
        "description": schema.String(),
        "base": schema.String(
            nonempty=True, what="the base scenario file, relative to the sweep"
        ),
        "design": schema.Enum(DESIGN_KINDS),
        "samples": schema.Integer(1, MAX_SAMPLES, what="samples = a positive integer"),
        "second_order": schema.Bool(),
        "replications": schema.Integer(1, MAX_REPLICATIONS),
        "seed": schema.Integer(0),
        "outcomes": schema.ListOf(
            schema.Member(OUTCOME_NAMES, "outcome"), nonempty=True, distinct=True,
            what="a non-empty list of summary columns",
        ),
        "tables": schema.ListOf(
            schema.Member(RUN_TABLES, "table"), distinct=True,
            what="a list of tables including 'annual'",
        ),
    }
)




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

    def replication_seed(self, replication: int) -> int:
        """Return the seed of replication ``replication`` (child ``1 + r`` of the root)."""
        state = np.random.SeedSequence(self.seed, spawn_key=(1 + replication,)).generate_state(1)
        return int(state[0])

    def replication_seeds(self, limit: int | None = None) -> tuple[int, ...]:
        """Return the seed of each replication (at most the first ``limit``)."""
        count = self.replications if limit is None else min(limit, self.replications)
        return tuple(self.replication_seed(r) for r in range(count))

    def points(self) -> list[tuple[Any, ...]]:
        """Return the design points (tuples of parameter values)."""
        return self.design.points(self.parameters)

    def iter_points(self) -> Iterator[tuple[Any, ...]]:
        """Yield the design points in order; a grid is enumerated lazily."""
        if self.design.kind == "grid" and self.parameters:
            return itertools.product(*(p.levels() for p in self.parameters))
        return iter(self.points())

    @property
    def n_points(self) -> int:
        """Number of design points (computed, not enumerated)."""
        if not self.parameters:
            return 1
        if self.design.kind == "grid":
            return math.prod(len(p.levels()) for p in self.parameters)
        return self.design.n_points(len(self.parameters))

    @property
    def n_runs(self) -> int:
        """Number of runs: design points x replications (computed, not enumerated)."""
        return self.n_points * self.replications

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

    def runs(self, limit: int | None = None) -> list[RunSpec]:
        """Return every run of the design (at most the first ``limit``), validated, in order.

        Raises
        ------
        ScenarioError
            If a design point gives an invalid scenario (naming the point's values).
        """
        return list(self.iter_runs(limit))

    def iter_runs(self, limit: int | None = None) -> Iterator[RunSpec]:
        """Yield the runs of the design in order, building each only when it is reached.

        A design point's scenario is built and validated once, when its first run is
        reached; ``limit`` stops after that many runs, so the first runs of a design with
        ``replications = 10**9`` cost what they say.

        Raises
        ------
        ScenarioError
            If a design point gives an invalid scenario (naming the point's values).
        """
        if limit is not None and limit <= 0:
            return
        hashes: dict[Path, str] = {}
        base_values = [base_field_value(self.base, p.path) for p in self.parameters]
        run = 0
        for point, values in enumerate(self.iter_points()):
            try:
                scen = self.base.with_overrides(self.point_overrides(values, base_values))
            except ScenarioError as exc:
                shown = dict(zip(self.parameter_names, values, strict=True))
                raise ScenarioError(
                    describe(self.source, f"design point {point}", shown, f"invalid: {exc}")
                ) from None
            for rep in range(self.replications):
                seed = self.replication_seed(rep)
                run_scen = dataclasses.replace(scen, run=dataclasses.replace(scen.run, seed=seed))
                yield RunSpec(
                    run=run, point=point, replication=rep, seed=seed,
                    values=tuple(values), run_id=run_id_of(run_scen, seed, hashes),
                    scenario=run_scen,
                )
                run += 1
                if limit is not None and run >= limit:
                    return

    def definition_sha256(self) -> str:
        """Return a hash of what the runs of this sweep are, without enumerating them.

        It covers the base scenario (input files by the SHA-256 of their contents, as
        in run ids), the parameters, the design, the replications, the seed and the
        kept tables; not the sweep's name, description or outcomes, which change no run.
        """
        hashes: dict[Path, str] = {}
        base = self.base.to_dict(resolve_paths=True)
        base["scenario"]["network"] = "sha256:" + file_sha256(self.base.network_path, hashes)
        base["scenario"]["fleet_file"] = "sha256:" + file_sha256(self.base.fleet_path, hashes)
        payload = canonical_json({
            "base": base,
            "parameters": [p.to_dict() for p in self.parameters],
            "design": [self.design.kind, self.design.samples, self.design.seed,
                       self.design.second_order],
            "replications": self.replications,
            "seed": self.seed,
            "tables": list(self.tables),
        })
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved sweep as a TOML-ready dict (loadable by :func:`load_sweep`)."""
        head: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "base": str(self.base_path),
            "design": self.design.kind,
        }
        if self.design.kind not in ("grid", "oat"):
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
        fields = schema.public_fields(node)
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
        node = schema.section_type(typing.get_type_hints(node)[part])
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

    top = schema.Where(source)
    schema.check_keys(data, TOP_KEYS, top, "unknown table")
    if not isinstance(data.get("sweep"), dict):
        problem = "missing [sweep] table (needs at least name and base)"
        raise fail("sweep", data.get("sweep"), problem)
    head = SWEEP_SCHEMA.convert(data["sweep"], top.at("sweep"))
    if "name" not in head:
        raise fail("sweep.name", None, "expected a name: letters, digits, '-' and '_'")
    name = head["name"]
    description = head.get("description", "")
    if "base" not in head:
        raise fail("sweep.base", None, "expected the base scenario file, relative to the sweep")
    base_rel = head["base"]
    folder = source.parent if source is not None else Path.cwd()
    base_path = (folder / base_rel).resolve()
    if not base_path.is_file():
        raise fail("sweep.base", base_rel, f"base scenario not found ({base_path})")

    kind = head.get("design", "grid")
    samples = head.get("samples")
    if kind in ("grid", "oat"):
        if samples is not None:
            raise fail("sweep.samples", samples,
                        f"{kind} designs take no samples (lhs/sobol only)")
        samples = 0
    elif samples is None:
        raise fail("sweep.samples", samples, f"{kind} designs need samples = a positive integer")
    elif kind == "sobol" and samples & (samples - 1):
        raise fail("sweep.samples", samples, "sobol (Saltelli) designs need a power of 2")
    second_order = head.get("second_order", True)
    if "second_order" in head and kind != "sobol":
        raise fail("sweep.second_order", second_order, "applies to sobol designs only")
    replications = head.get("replications", 1)
    seed = head.get("seed", DEFAULT_SEED)
    outcomes = list(head.get("outcomes", DEFAULT_OUTCOMES))
    tables = list(head.get("tables", DEFAULT_TABLES))
    if "annual" not in tables:
        raise fail("sweep.tables", tables, "expected a list of tables including 'annual'")

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
    reserved = set(DESIGN_COLUMNS) | set(OUTCOME_NAMES) | {"year", "fleet", "powertrain"}
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
def run_id_of(scenario: Scenario, seed: int, file_hashes: dict[Path, str] | None = None) -> str:
    """Return the id of a run: a short SHA-256 of its resolved scenario and seed.

    The network, fleet, calibration and cost file paths enter the hash as the SHA-256 of
    their contents.
    """
    data = scenario.to_dict(resolve_paths=True)
    data["scenario"]["network"] = "sha256:" + file_sha256(scenario.network_path, file_hashes)
    data["scenario"]["fleet_file"] = "sha256:" + file_sha256(scenario.fleet_path, file_hashes)
    if scenario.calibration_path.exists():  # the fitted demand values are part of a run
        data["scenario"]["calibration_file"] = "sha256:" + file_sha256(
            scenario.calibration_path, file_hashes
        )
    cost = scenario.cost_path
    data["scenario"]["cost_file"] = (
        "sha256:" + file_sha256(cost, file_hashes) if cost.is_file() else "missing"
    )
    payload = canonical_json({"scenario": data, "seed": int(seed)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:RUN_ID_HEX]

