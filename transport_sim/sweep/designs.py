"""Typed sweep parameters and experimental designs (full grid, Latin hypercube, Sobol).

A :class:`Parameter` names one scenario field by dotted path and says which values it
takes; a :class:`Design` turns a tuple of parameters into design points.  Every design
first draws points in the unit hypercube ``[0, 1)^D`` (grid designs skip this step) and
then maps each coordinate to a value of its parameter:

* ``real`` with ``range = [lo, hi]``: ``lo + u (hi - lo)``;
* ``integer`` with ``range = [lo, hi]`` (inclusive): ``lo + floor(u (hi - lo + 1))``;
* any kind with ``values = [...]``: the ``floor(u n)``-th of the ``n`` values.

Sampling is deterministic given the design's seed: Latin hypercubes come from
:class:`scipy.stats.qmc.LatinHypercube`, Sobol designs from Saltelli's scheme as
implemented by :func:`SALib.sample.sobol.sample` (``N (2D + 2)`` points with second-order
indices, ``N (D + 2)`` without).

A parameter's value reaches the scenario through its *transform*:

``set`` (default)
    The value replaces the field; a number given to a curve field is a constant curve.
``scale``
    The base scenario's value of the field (a number or every point of a curve) is
    multiplied by the value.
``transition_year``
    For curve levers: the curve runs linearly from the base value in ``run.start_year``
    to ``target`` (default 1.0) in year ``value`` and stays there.
``template``
    A TOML value in which the string ``"{value}"`` (as a value, or as a curve year key)
    is replaced by the parameter value and ``"{base}"`` (as a curve value) by the base
    scenario's value of the field in that year.  ``transition_year`` is the template
    ``{<start_year> = "{base}", "{value}" = <target>}``.

Nothing in this module imports Dask; it is pure NumPy/SciPy/SALib.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Literal

import numpy as np

from transport_sim.errors import ScenarioError, describe
from transport_sim.io import is_number
from transport_sim.scenario import schema
from transport_sim.scenario.curves import Curve

ParameterKind = Literal["real", "integer", "categorical"]
DesignKind = Literal["grid", "lhs", "sobol", "oat"]
TransformKind = Literal["set", "scale", "transition_year", "template"]

PARAMETER_KINDS: tuple[str, ...] = ("real", "integer", "categorical")
DESIGN_KINDS: tuple[str, ...] = ("grid", "lhs", "sobol", "oat")
#: Designs whose points come from the parameters' ``values`` lists (no sampling).
VALUE_DESIGNS: tuple[str, ...] = ("grid", "oat")
TRANSFORMS: tuple[str, ...] = ("set", "scale", "transition_year", "template")
VALUE_TOKEN = "{value}"
BASE_TOKEN = "{base}"

#: Keys accepted in a ``[[parameter]]`` table.
PARAMETER_KEYS: tuple[str, ...] = (
    "name", "path", "kind", "values", "range", "transform", "template", "target",
)
#: Longest list of values one parameter may take (a grid multiplies these lengths).
MAX_VALUES = 10_000

#: The ``[[parameter]]`` table, declared once (see :mod:`transport_sim.scenario.schema`);
#: rules between its keys are checked by :func:`parse_parameter`.
PARAMETER_SCHEMA = schema.Record(
    {
        "name": schema.String(
            name=True, extra="._-", max_length=schema.MAX_NAME_LENGTH,
            what="a column name: letters, digits, '.', '_', '-'",
        ),
        "path": schema.String(
            nonempty=True, max_length=200,
            what="a dotted field, e.g. policy.bus.nev_share_of_new",
        ),
        "kind": schema.Enum(PARAMETER_KINDS),
        "values": schema.ListOf(
            schema.Anything(), nonempty=True, what="a non-empty list", max_length=MAX_VALUES,
        ),
        "range": schema.ListOf(schema.Number(), length=2, what="[lo, hi] (two numbers)"),
        "transform": schema.Enum(TRANSFORMS),
        "template": schema.Anything(),
        "target": schema.Number(),
    },
    unknown="unknown key",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def canonical_json(value: object) -> str:
    """Return ``value`` as canonical JSON (sorted keys, no spaces, no NaN).

    Used for run ids and for the labels of non-scalar categorical values.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def value_label(value: object) -> object:
    """Return a table-friendly form of a parameter value (JSON text for tables/lists)."""
    if isinstance(value, (dict, list, tuple)):
        return canonical_json(value)
    return value


# --------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    """One swept scenario field.

    Attributes
    ----------
    name
        Column name of the parameter in every result table (default: ``path``).
    path
        Dotted path of the scenario field, e.g. ``policy.bus.nev_share_of_new``.
    kind
        ``real``, ``integer`` or ``categorical``.
    values
        Discrete values (required by grid designs and by categorical parameters).
    bounds
        ``(lo, hi)`` of a real or integer parameter in LHS/Sobol designs (TOML ``range``).
    transform
        How a value becomes the field's value: ``set``, ``scale``, ``transition_year``
        or ``template`` (see the module docstring).
    template
        The template of ``transform = "template"`` (``None`` otherwise).
    target
        Final value of a ``transition_year`` curve (default 1.0).
    """

    name: str
    path: str
    kind: ParameterKind = "real"
    values: tuple[Any, ...] | None = None
    bounds: tuple[float, float] | None = None
    transform: TransformKind = "set"
    template: Any = None
    target: float = 1.0

    # ---------------------------------------------------------------- sampling
    @property
    def is_discrete(self) -> bool:
        """True when the parameter takes one of a list of values."""
        return self.values is not None

    def levels(self) -> tuple[Any, ...]:
        """Return the grid levels (the ``values`` list)."""
        if self.values is None:
            msg = f"parameter {self.name!r} has a range, not values"
            raise ValueError(msg)
        return self.values

    def from_unit(self, u: float) -> Any:
        """Map a coordinate ``u`` in ``[0, 1]`` of the unit hypercube to a value."""
        u = min(max(float(u), 0.0), 1.0)
        if self.values is not None:
            n = len(self.values)
            return self.values[min(math.floor(u * n), n - 1)]
        assert self.bounds is not None
        lo, hi = self.bounds
        if self.kind == "integer":
            ilo, ihi = int(lo), int(hi)
            return min(ilo + math.floor(u * (ihi - ilo + 1)), ihi)
        return float(lo + u * (hi - lo))

    def check_values(self) -> tuple[Any, ...]:
        """Values used to validate the parameter against the scenario at load time."""
        if self.values is not None:
            return self.values
        assert self.bounds is not None
        lo, hi = self.bounds
        if self.kind == "integer":
            return (int(lo), int(hi))
        return (float(lo), float(hi))

    # ---------------------------------------------------------------- transforms
    def scenario_value(self, value: Any, base_value: Any, start_year: int) -> Any:
        """Return the TOML value the field takes for parameter value ``value``.

        Parameters
        ----------
        value
            The parameter value of a design point.
        base_value
            The field's value in the base scenario, in TOML form (a number, a
            ``{year: value}`` table, ...), or ``None`` when the base does not set it.
        start_year
            ``run.start_year`` of the base scenario (used by ``transition_year``).
        """
        if self.transform == "set":
            return value
        if self.transform == "scale":
            return _scale(base_value, value)
        template = (
            {str(start_year): BASE_TOKEN, VALUE_TOKEN: self.target}
            if self.transform == "transition_year"
            else self.template
        )
        return _fill(template, value, base_value)

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Return the TOML form (every resolved field; ``range`` for ``bounds``)."""
        out: dict[str, Any] = {"name": self.name, "path": self.path, "kind": self.kind}
        if self.values is not None:
            out["values"] = list(self.values)
        if self.bounds is not None:
            out["range"] = list(self.bounds)
        out["transform"] = self.transform
        if self.transform == "template":
            out["template"] = self.template
        if self.transform == "transition_year":
            out["target"] = self.target
        return out


def _scale(base_value: Any, factor: Any) -> Any:
    if not is_number(factor):
        msg = f"scale factor {factor!r} is not a number"
        raise TypeError(msg)
    if is_number(base_value):
        return base_value * factor
    if isinstance(base_value, dict) and all(is_number(v) for v in base_value.values()):
        return {k: v * factor for k, v in base_value.items()}
    msg = f"cannot scale {base_value!r}: not a number or a curve"
    raise TypeError(msg)


def _base_at(base_value: Any, year: int) -> float:
    if is_number(base_value):
        return float(base_value)
    if isinstance(base_value, dict) and base_value:
        keys = sorted(base_value, key=int)
        curve = Curve(tuple(int(k) for k in keys), tuple(float(base_value[k]) for k in keys))
        return curve.at(year)
    msg = f'"{BASE_TOKEN}" needs a number or a curve in the base scenario, got {base_value!r}'
    raise TypeError(msg)


def _fill(template: Any, value: Any, base_value: Any) -> Any:  # noqa: PLR0912
    """Substitute ``{value}``/``{base}`` in a template (see the module docstring)."""
    if isinstance(template, str):
        if template == VALUE_TOKEN:
            return value
        if template == BASE_TOKEN:
            msg = f'"{BASE_TOKEN}" may only be a curve value ({{year = "{BASE_TOKEN}"}})'
            raise TypeError(msg)
        return template
    if isinstance(template, list):
        return [_fill(v, value, base_value) for v in template]
    if not isinstance(template, dict):
        return template
    literal: dict[str, Any] = {}
    from_value: dict[str, Any] = {}
    for key, item in template.items():
        if key == VALUE_TOKEN:
            if not _is_int(value):
                msg = f'"{VALUE_TOKEN}" as a curve year needs an integer value, got {value!r}'
                raise TypeError(msg)
            dest, real_key = from_value, str(value)
        else:
            dest, real_key = literal, str(key)
        if item == BASE_TOKEN:
            if not real_key.lstrip("-").isdigit():
                msg = f'"{BASE_TOKEN}" may only be a curve value, not under key {key!r}'
                raise TypeError(msg)
            dest[real_key] = _base_at(base_value, int(real_key))
        else:
            dest[real_key] = _fill(item, value, base_value)
    merged = {**literal, **from_value}  # a "{value}" year wins over a literal one
    if merged and all(k.lstrip("-").isdigit() for k in merged):
        return {k: merged[k] for k in sorted(merged, key=int)}
    return merged


def _template_uses_value_key(template: Any) -> bool:
    if isinstance(template, dict):
        return VALUE_TOKEN in template or any(
            _template_uses_value_key(v) for v in template.values()
        )
    if isinstance(template, list):
        return any(_template_uses_value_key(v) for v in template)
    return False


def parse_parameter(  # noqa: PLR0912
    data: object, index: int, design: str, source: Path | None
) -> Parameter:
    """Validate one ``[[parameter]]`` table (shape only; the path is checked by the sweep).

    Raises
    ------
    ScenarioError
        Naming the file, ``parameter[<index>].<key>`` and the value.
    """
    where = f"parameter[{index}]"
    if not isinstance(data, dict):
        raise ScenarioError(describe(source, where, data, "expected a [[parameter]] table"))

    def fail(key: str, value: object, problem: str) -> ScenarioError:
        return ScenarioError(describe(source, f"{where}.{key}", value, problem))

    PARAMETER_SCHEMA.convert(data, schema.Where(source, where))
    path = data.get("path")
    if path is None or any(not p for p in path.split(".")):
        raise fail("path", path, "expected a dotted field, e.g. policy.bus.nev_share_of_new")
    name = data.get("name", path)
    values = data.get("values")
    bounds = data.get("range")
    if values is not None and bounds is not None:
        raise fail("range", bounds, "give either values = [...] or range = [lo, hi], not both")
    if values is None and bounds is None:
        raise fail("values", None, "missing: give values = [...] (grid) or range = [lo, hi]")
    transform = data.get("transform", "template" if "template" in data else "set")
    template = data.get("template")
    if (template is not None) != (transform == "template"):
        raise fail("template", template, 'template = ... goes with transform = "template" only')
    bad = schema.first_nonfinite(template, "template")
    if bad is not None:
        raise fail(bad, template, "expected finite numbers (no nan or inf)")
    target = data.get("target", 1.0)
    if "target" in data and transform != "transition_year":
        raise fail("target", target, 'target applies to transform = "transition_year" only')

    kind = data.get("kind")
    if kind is not None and kind not in PARAMETER_KINDS:
        raise fail("kind", kind, f"expected one of: {', '.join(PARAMETER_KINDS)}")
    year_key = transform == "transition_year" or (
        transform == "template" and _template_uses_value_key(template)
    )
    if values is not None:
        bad = schema.first_nonfinite(values, "values")
        if bad is not None:
            raise fail(bad, values, "expected finite values (no nan or inf)")
        try:
            labels = [canonical_json(v) for v in values]
        except (TypeError, ValueError):
            raise fail(
                "values", values, "expected numbers, strings, booleans, lists or tables (no dates)"
            ) from None
        if len(set(labels)) != len(labels):
            raise fail("values", values, "values must not repeat")
        inferred = (
            "integer" if all(_is_int(v) for v in values)
            else "real" if all(is_number(v) for v in values)
            else "categorical"
        )
        kind = kind or inferred
        if kind == "integer" and inferred != "integer":
            raise fail("values", values, "kind = integer needs integer values")
        if kind == "real":
            if inferred == "categorical":
                raise fail("values", values, "kind = real needs numbers")
            values = [float(v) for v in values]
        values_t: tuple[Any, ...] | None = tuple(values)
        bounds_t: tuple[float, float] | None = None
    else:
        if design in VALUE_DESIGNS:
            raise fail("range", bounds, f"{design} designs need values = [...], not a range")
        kind = kind or ("integer" if year_key else "real")
        if kind == "categorical":
            raise fail("kind", kind, "categorical parameters need values = [...], not a range")
        lo, hi = bounds
        if kind == "integer" and not (_is_int(lo) and _is_int(hi)):
            raise fail("range", bounds, "kind = integer needs integer bounds")
        if not lo < hi:
            raise fail("range", bounds, "expected lo < hi")
        values_t = None
        bounds_t = (int(lo), int(hi)) if kind == "integer" else (float(lo), float(hi))
    if year_key and kind != "integer":
        raise fail("kind", kind, "a year taken from the value needs kind = integer (whole years)")
    if transform == "scale" and kind == "categorical":
        raise fail("transform", transform, "scale needs numeric values")
    return Parameter(
        name=name, path=path, kind=kind, values=values_t, bounds=bounds_t,
        transform=transform, template=template, target=float(target),
    )


# --------------------------------------------------------------------------------------
# designs
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """How design points are drawn.

    Attributes
    ----------
    kind
        ``grid`` (every combination of the parameters' values), ``lhs`` (Latin
        hypercube of ``samples`` points), ``sobol`` (Saltelli's scheme: ``samples``
        is the base sample size ``N``, a power of two) or ``oat`` (one lever at a time:
        point 0 has every parameter at its first value, then each parameter in turn
        takes each of its other values while the rest stay at their first; the points
        of a marginal abatement cost curve).
    samples
        ``N`` for LHS/Sobol designs (0 for grids).
    seed
        Seed of the sampler (derived from the sweep seed).
    second_order
        Sobol only: also draw the points needed for second-order indices.
    """

    kind: DesignKind = "grid"
    samples: int = 0
    seed: int = 0
    second_order: bool = True

    def n_points(self, n_parameters: int) -> int:
        """Return the number of design points for ``n_parameters`` parameters (not grids)."""
        if self.kind == "lhs":
            return self.samples
        if self.kind == "sobol":
            return self.samples * (2 * n_parameters + 2 if self.second_order else n_parameters + 2)
        msg = "grid designs count points from their values"
        raise ValueError(msg)

    def unit_points(self, n_parameters: int) -> np.ndarray:
        """Return the LHS/Sobol points in the unit hypercube, shape ``(n_points, D)``."""
        if self.kind == "lhs":
            from scipy.stats import qmc

            sampler = qmc.LatinHypercube(d=n_parameters, rng=np.random.default_rng(self.seed))
            return sampler.random(n=self.samples)
        if self.kind == "sobol":
            from SALib.sample import sobol as sobol_sample

            problem = salib_problem([f"x{i}" for i in range(n_parameters)])
            return np.asarray(
                sobol_sample.sample(
                    problem, self.samples, calc_second_order=self.second_order,
                    scramble=True, seed=self.seed,
                )
            )
        msg = "grid designs have no unit-hypercube points"
        raise ValueError(msg)

    def points(self, parameters: Sequence[Parameter]) -> list[tuple[Any, ...]]:
        """Return the design points: one tuple of values (in parameter order) per point."""
        if not parameters:
            return [()]
        if self.kind == "grid":
            return list(product(*(p.levels() for p in parameters)))
        if self.kind == "oat":
            base = tuple(p.levels()[0] for p in parameters)
            points = [base]
            for i, p in enumerate(parameters):
                points += [(*base[:i], v, *base[i + 1:]) for v in p.levels()[1:]]
            return points
        unit = self.unit_points(len(parameters))
        return [
            tuple(p.from_unit(u) for p, u in zip(parameters, row, strict=True)) for row in unit
        ]


def salib_problem(names: Sequence[str]) -> dict[str, Any]:
    """Return the SALib problem of a design drawn in the unit hypercube."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def grid_size(parameters: Sequence[Parameter]) -> int:
    """Return the number of grid points of ``parameters``."""
    return math.prod(len(p.levels()) for p in parameters)


def check_transform(
    parameter: Parameter,
    base_value: Any,
    start_year: int,
    fail: Callable[[str], Exception],
) -> None:
    """Apply ``parameter``'s transform to its check values; raise ``fail(problem)`` on error."""
    for value in parameter.check_values():
        try:
            parameter.scenario_value(value, base_value, start_year)
        except TypeError as exc:
            raise fail(str(exc)) from None
