"""One declarative schema for every TOML input: scenario, fleet and sweep files.

Each value of an input file is checked by a *field kind* (:class:`Number`,
:class:`Integer`, :class:`Share`, :class:`Bool`, :class:`String`, :class:`Enum`,
:class:`YearCurve`, :class:`ShareMix`, :class:`ListOf`, :class:`Table`,
:class:`Record`).  A kind converts a raw TOML value into its typed form or raises the
loader's error (a subclass of :class:`~transport_sim.errors.TransportSimError`) with the
one-line message of :func:`~transport_sim.errors.describe`::

    <file>: <dotted.field> = <value>: <problem>; <what is accepted>

The three loaders use the same kinds, so the same mistake gets the same message
whichever file it is in, and the CLI maps every one of them to exit code 2:

* scenario files: dataclass fields declare their kind in ``metadata`` (see
  :func:`kind_of` and :func:`build_dataclass`);
* fleet files: :class:`transport_sim.fleets.reader._Reader` asks for one key at a time
  with a kind;
* sweep files: :mod:`transport_sim.sweep.spec` declares ``[sweep]`` as a :class:`Record`.

Rules shared by every kind: numbers are finite unless a kind says otherwise, unknown
keys are refused (listing the accepted ones), an empty curve ``{}`` is an error.
:func:`read_toml` is the one TOML reader: it accepts a UTF-8 byte-order mark and turns
syntax errors, unreadable files and nesting deeper than :data:`MAX_DEPTH` into one line.

Cross-field rules are declared as :class:`Rule` objects and checked by
:func:`check_rules`; settings that are valid but statistically meaningless emit a
:class:`~transport_sim.errors.TransportSimWarning` through :func:`warn`.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transport_sim.codes import POWERTRAINS
from transport_sim.errors import ScenarioError, TransportSimError, TransportSimWarning, describe
from transport_sim.scenario.curves import Curve
from transport_sim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

#: Calendar years accepted in curves and year fields.
MIN_YEAR = 2000
MAX_YEAR = 2100
#: Deepest nesting of tables and arrays accepted in an input file.  The deepest shipped
#: file (a fleet file: fleet.classes.<class>.powertrains.<pt>.kwh_per_km.<group>) nests
#: six levels; 32 leaves room for any legitimate layout and keeps recursion bounded.
MAX_DEPTH = 32
#: Longest name (scenario, sweep) accepted: names become folder names and table labels.
MAX_NAME_LENGTH = 80
#: Tolerance on shares that must sum to 1.
SHARE_SUM_TOLERANCE = 1e-6


# ======================================================================================
# where a value is: file, dotted path, error class
# ======================================================================================
@dataclass(frozen=True)
class Where:
    """The location of a value being checked, and the error raised when it is wrong.

    Attributes
    ----------
    source
        The file the value came from (``None`` when built in Python).
    path
        Dotted path of the value, e.g. ``policy.bus.nev_share_of_new``.
    error
        The :class:`TransportSimError` subclass raised by :meth:`fail`.
    label
        Optional function giving the file label shown for a dotted path (the fleet
        loader adds "(with fleet_overrides)" to paths a scenario overrode).
    """

    source: str | Path | None
    path: str = ""
    error: type[TransportSimError] = ScenarioError
    label: Callable[[str], str | Path | None] | None = None

    def at(self, key: object) -> Where:
        """Return the location of ``key`` inside this table."""
        path = f"{self.path}.{key}" if self.path else str(key)
        return dataclasses.replace(self, path=path)

    def item(self, index: int) -> Where:
        """Return the location of the ``index``-th entry of this list."""
        return dataclasses.replace(self, path=f"{self.path}[{index}]")

    def fail(self, value: object, problem: str) -> TransportSimError:
        """Return (for ``raise``) the one-line error for ``value`` at this location."""
        source = self.label(self.path) if self.label is not None else self.source
        return self.error(describe(source, self.path or "<root>", value, problem))


class Kind:
    """A field kind: converts one raw TOML value, or raises ``where.fail(...)``."""

    def convert(self, value: Any, where: Where) -> Any:  # pragma: no cover - interface
        """Return the typed value of ``value`` (raise ``where.fail`` when it is invalid)."""
        raise NotImplementedError


def is_number(value: object) -> bool:
    """Tell whether ``value`` is an int or float (not a bool); NaN and inf count."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(x: float) -> str:
    return f"{x:g}"


# ======================================================================================
# scalar kinds
# ======================================================================================
@dataclass(frozen=True)
class Number(Kind):
    """A real number, finite unless ``finite=False``, within optional bounds.

    ``lo_open``/``hi_open`` make a bound exclusive (``lo=0, lo_open=True``: "> 0").
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    finite: bool = True
    what: str = "a number"

    def convert(self, value: Any, where: Where) -> float:
        """Return ``value`` as a float."""
        if not is_number(value):
            raise where.fail(value, f"expected {self.what}")
        number = float(value)
        if math.isnan(number) or (self.finite and math.isinf(number)):
            raise where.fail(value, f"expected a finite number, not {number}")
        check_bounds(number, self.lo, self.hi, where, value, self.lo_open, self.hi_open)
        return number


def check_bounds(
    number: float,
    lo: float | None,
    hi: float | None,
    where: Where,
    value: object = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """Raise ``where.fail`` unless ``lo <= number <= hi`` (bounds optional, maybe open)."""
    shown = number if value is None else value
    if lo is not None and (number <= lo if lo_open else number < lo):
        if lo == 0:
            raise where.fail(shown, "must be > 0" if lo_open else "must not be negative")
        raise where.fail(shown, f"must be {'>' if lo_open else '>='} {_fmt(lo)}")
    if hi is not None and (number >= hi if hi_open else number > hi):
        raise where.fail(shown, f"must be {'<' if hi_open else '<='} {_fmt(hi)}")


@dataclass(frozen=True)
class Share(Kind):
    """A share in ``[0, 1]`` (``lo_open``: in ``(0, 1]``, for efficiencies)."""

    lo_open: bool = False

    def convert(self, value: Any, where: Where) -> float:
        """Return ``value`` as a float in [0, 1]."""
        interval = "(0, 1]" if self.lo_open else "[0, 1]"
        if not is_number(value) or not math.isfinite(value):
            raise where.fail(value, f"expected a share in {interval}")
        if not (0 < value <= 1 if self.lo_open else 0 <= value <= 1):
            raise where.fail(value, f"expected a share in {interval}")
        return float(value)


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number (TOML integer, not a float or bool) within optional bounds."""

    lo: int | None = None
    hi: int | None = None
    what: str = "an integer"

    def convert(self, value: Any, where: Where) -> int:
        """Return ``value`` as an int."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.fail(value, f"expected {self.what}")
        check_bounds(value, self.lo, self.hi, where, value)
        return value


@dataclass(frozen=True)
class Year(Kind):
    """A calendar year in ``MIN_YEAR..MAX_YEAR`` (or the given range)."""

    lo: int = MIN_YEAR
    hi: int = MAX_YEAR

    def convert(self, value: Any, where: Where) -> int:
        """Return ``value`` as an int year."""
        if isinstance(value, bool) or not isinstance(value, int) or not self.lo <= value <= self.hi:
            raise where.fail(value, f"expected a year in {self.lo}..{self.hi}")
        return value


@dataclass(frozen=True)
class Divisor(Kind):
    """A duration in seconds that is > 0, at most ``hi`` and divides ``of`` exactly."""

    of: float
    hi: float
    what: str = "the tick"

    def convert(self, value: Any, where: Where) -> float:
        """Return ``value`` as a float."""
        number = Number().convert(value, where)
        if number <= 0 or number > self.hi or self.of % number != 0:
            raise where.fail(
                value,
                f"{self.what} must be > 0 s, <= {_fmt(self.hi)} s and divide "
                f"the day ({_fmt(self.of)} s)",
            )
        return number


@dataclass(frozen=True)
class Bool(Kind):
    """``true`` or ``false``."""

    def convert(self, value: Any, where: Where) -> bool:
        """Return ``value`` (a bool)."""
        if not isinstance(value, bool):
            raise where.fail(value, "expected true or false")
        return value


@dataclass(frozen=True)
class String(Kind):
    """Text, optionally non-empty, of bounded length, or a name of restricted characters.

    With ``name=True`` the text is a name usable as a folder name: letters and digits
    (any script), plus the characters of ``extra``, starting with a letter or digit.
    """

    nonempty: bool = False
    max_length: int | None = None
    name: bool = False
    extra: str = "-_"
    what: str = "a string"

    def convert(self, value: Any, where: Where) -> str:
        """Return ``value`` (a str)."""
        if not isinstance(value, str):
            raise where.fail(value, f"expected {self.what}")
        if self.max_length is not None and len(value) > self.max_length:
            raise where.fail(
                value, f"{len(value)} characters; at most {self.max_length} accepted"
            )
        if self.name:
            allowed = ", ".join(repr(c) for c in self.extra)
            ok = bool(value) and value[0].isalnum() and all(
                c.isalnum() or c in self.extra for c in value
            )
            if not ok:
                raise where.fail(
                    value, f"use letters, digits, {allowed} only, starting with a letter or digit"
                )
        if self.nonempty and not value:
            raise where.fail(value, f"expected {self.what}")
        return value


@dataclass(frozen=True)
class Enum(Kind):
    """One of a fixed tuple of strings."""

    choices: tuple[str, ...]

    def convert(self, value: Any, where: Where) -> str:
        """Return ``value`` (one of ``choices``)."""
        if not isinstance(value, str) or value not in self.choices:
            raise where.fail(value, f"expected one of: {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class Optional(Kind):
    """``kind``, or ``None`` (a value that Python callers may unset)."""

    kind: Kind

    def convert(self, value: Any, where: Where) -> Any:
        """Return ``None`` or the converted value."""
        return None if value is None else self.kind.convert(value, where)


# ======================================================================================
# composite kinds
# ======================================================================================
@dataclass(frozen=True)
class YearCurve(Kind):
    """A curve: a number (constant) or a non-empty ``{year = value}`` table.

    Years are in ``MIN_YEAR..MAX_YEAR``, increasing and distinct; values finite numbers
    within ``lo``..``hi``.
    """

    lo: float | None = None
    hi: float | None = None
    first_year: int = MIN_YEAR
    last_year: int = MAX_YEAR
    constant: bool = True
    ordered: bool = True

    def convert(self, value: Any, where: Where) -> Curve:
        """Return the :class:`Curve` (years sorted when ``ordered`` is False)."""
        if isinstance(value, Curve):
            value = value.to_toml()
        if is_number(value) and self.constant:
            self._check(value, None, where)
            return Curve.constant(float(value))
        if isinstance(value, dict) and not value:
            raise where.fail(
                value, "an empty curve sets nothing; give a number or {year = value, ...}"
            )
        if not isinstance(value, dict):
            table = "a {year = value} table"
            raise where.fail(value, f"expected {'a number or ' if self.constant else ''}{table}")
        points: list[tuple[int, float]] = []
        for key, val in value.items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise where.fail(value, f"curve key {key!r} is not a year") from None
            if not self.first_year <= year <= self.last_year:
                raise where.fail(
                    value, f"curve year {year} outside {self.first_year}..{self.last_year}"
                )
            self._check(val, year, where, value)
            points.append((year, float(val)))
        if not self.ordered:
            points.sort()
        years = [p[0] for p in points]
        if len(set(years)) != len(years):
            raise where.fail(value, "curve years must not repeat")
        if years != sorted(years):
            raise where.fail(value, "curve years must be given in increasing order")
        return Curve(tuple(years), tuple(p[1] for p in points))

    def _check(self, val: Any, year: int | None, where: Where, whole: Any = None) -> None:
        shown = val if whole is None else whole
        label = "value" if year is None else f"curve value for {year}"
        if not is_number(val) or not math.isfinite(val):
            if year is None:
                raise where.fail(shown, "expected a finite number or a {year = value} table")
            raise where.fail(shown, f"{label} is not a finite number")
        lo, hi = self.lo, self.hi
        if (lo is not None and val < lo) or (hi is not None and val > hi):
            lo_s = _fmt(lo) if lo is not None else "-inf"
            hi_s = _fmt(hi) if hi is not None else "inf"
            if year is None:
                check_bounds(float(val), lo, hi, where, shown)
            raise where.fail(shown, f"{label} {_fmt(val)} outside [{lo_s}, {hi_s}]")


@dataclass(frozen=True)
class ShareMix(Kind):
    """A table ``name = share`` over ``choices`` whose shares sum to 1.

    With ``curves=True`` each share is a :class:`YearCurve` in [0, 1] and the sum is
    checked in every year; otherwise each is a :class:`Share` (a float).
    """

    choices: tuple[str, ...]
    curves: bool = True

    def convert(self, value: Any, where: Where) -> dict[str, Any]:
        """Return ``{name: Curve}`` (or ``{name: float}``)."""
        if not isinstance(value, dict) or not value:
            raise where.fail(value, "expected a table of name = share")
        out: dict[str, Any] = {}
        item = YearCurve(0.0, 1.0) if self.curves else Share()
        for key, val in value.items():
            if key not in self.choices:
                raise where.at(key).fail(val, f"unknown name; accepted: {', '.join(self.choices)}")
            out[key] = item.convert(val, where.at(key))
        if self.curves:
            check_mix_sums(out, where)
        else:
            total = sum(out.values())
            if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
                raise where.fail(value, f"shares sum to {total:.6g}, must sum to 1")
        return out


def check_mix_sums(mix: Mapping[str, Curve], where: Where) -> None:
    """Raise ``where.fail`` unless the curves sum to 1 in every year.

    Piecewise-linear curves sum to a piecewise-linear function whose breakpoints are the
    union of theirs, so checking those years checks every year.
    """
    years = sorted({y for c in mix.values() for y in c.breakpoints()})
    for year in years:
        total = sum(c.at(year) for c in mix.values())
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            shown = {k: round(c.at(year), 6) for k, c in mix.items()}
            when = "" if years == [Curve.constant(0.0).years[0]] else f" in {year}"
            raise where.fail(shown, f"shares sum to {total:.6g}{when}, must sum to 1")


@dataclass(frozen=True)
class ListOf(Kind):
    """A list of ``item`` values; optionally non-empty, of fixed length, distinct.

    ``what`` describes the whole list in messages ("a non-empty list drawn from: ...").
    Returns a tuple.
    """

    item: Kind
    nonempty: bool = False
    length: int | None = None
    distinct: bool = False
    what: str = "a list"
    max_length: int | None = None

    def convert(self, value: Any, where: Where) -> tuple[Any, ...]:
        """Return the converted entries as a tuple."""
        if not isinstance(value, list):
            raise where.fail(value, f"expected {self.what}")
        if (self.nonempty and not value) or (self.length is not None and len(value) != self.length):
            raise where.fail(value, f"expected {self.what}")
        if self.max_length is not None and len(value) > self.max_length:
            raise where.fail(
                value, f"{len(value)} entries; at most {self.max_length} accepted"
            )
        out = tuple(self.item.convert(v, where.item(i)) for i, v in enumerate(value))
        if self.distinct and len(set(out)) != len(out):
            raise where.fail(value, "entries must not repeat")
        return out


@dataclass(frozen=True)
class Table(Kind):
    """A free-form table (checked later by whoever reads it); returned as is."""

    what: str = "a table"

    def convert(self, value: Any, where: Where) -> dict[str, Any]:
        """Return ``value`` (a dict)."""
        if not isinstance(value, dict):
            raise where.fail(value, f"expected {self.what}")
        return value


@dataclass(frozen=True)
class Anything(Kind):
    """Any TOML value (checked later by whoever reads it); returned as is."""

    def convert(self, value: Any, where: Where) -> Any:
        """Return ``value``."""
        return value


@dataclass(frozen=True)
class Record(Kind):
    """A table of declared keys, each with its kind; unknown keys are refused.

    Missing keys are left out of the result (the caller applies defaults) unless listed
    in ``required``.  ``unknown`` is the noun used for an unknown key.
    """

    fields: Mapping[str, Kind]
    required: tuple[str, ...] = ()
    unknown: str = "unknown key"
    what: str = "a table"

    def convert(self, value: Any, where: Where) -> dict[str, Any]:
        """Return ``{key: converted value}`` for the keys present."""
        if not isinstance(value, dict):
            raise where.fail(value, f"expected {self.what}")
        check_keys(value, tuple(self.fields), where, self.unknown)
        for key in self.required:
            if key not in value:
                raise where.at(key).fail(None, "missing; this field is required")
        return {k: self.fields[k].convert(v, where.at(k)) for k, v in value.items()}


def check_keys(
    table: Mapping[str, Any], accepted: Sequence[str], where: Where, noun: str = "unknown key"
) -> None:
    """Raise ``where.at(key).fail`` for the first key of ``table`` not in ``accepted``."""
    for key in sorted(k for k in table if k not in accepted):
        raise where.at(key).fail(table[key], f"{noun}; accepted: {', '.join(accepted)}")


# ======================================================================================
# scenario dataclasses: kinds declared in field metadata
# ======================================================================================
def _choices_list(meta: Mapping[str, Any]) -> Kind:
    choices = tuple(meta["choices"])
    empty_ok = bool(meta.get("allow_empty", False))
    return ListOf(
        Member(choices), nonempty=not empty_ok, distinct=True,
        what=f"a {'' if empty_ok else 'non-empty '}list drawn from: {', '.join(choices)}",
    )


#: Field kinds of the scenario dataclasses (``metadata["kind"]``) and how each is built
#: from the field's metadata (``lo``, ``hi``, ``choices``).
FIELD_KINDS: Mapping[str, Callable[[Mapping[str, Any]], Kind]] = types.MappingProxyType(
    {
        "name": lambda m: String(name=True, max_length=MAX_NAME_LENGTH),
        "str": lambda m: String(),
        "path": lambda m: String(nonempty=True, what="a file path"),
        "int": lambda m: Integer(m.get("lo"), m.get("hi")),
        "year": lambda m: Year(),
        "year_or_none": lambda m: Optional(Year()),
        "tick": lambda m: Divisor(of=SECONDS_PER_DAY, hi=MAX_TICK_S),
        "float": lambda m: Number(m.get("lo"), m.get("hi")),
        "share": lambda m: Share(),
        "curve": lambda m: YearCurve(m.get("lo"), m.get("hi")),
        "share_curve": lambda m: YearCurve(0.0, 1.0),
        "choice": lambda m: Enum(tuple(m["choices"])),
        "choice_or_none": lambda m: Optional(Enum(tuple(m["choices"]))),
        "choices": _choices_list,
        "mix": lambda m: ShareMix(tuple(m.get("choices") or POWERTRAINS)),
        "mix_or_none": lambda m: Optional(ShareMix(tuple(m.get("choices") or POWERTRAINS))),
        "table": lambda m: Table(),
    }
)


def kind_of(meta: Mapping[str, Any]) -> Kind:
    """Return the :class:`Kind` declared by a dataclass field's ``metadata``.

    ``metadata["kind"]`` is a key of :data:`FIELD_KINDS`; ``lo``, ``hi`` and ``choices``
    refine it.  (``section`` fields are built by :func:`build_dataclass`.)
    """
    try:
        factory = FIELD_KINDS[meta["kind"]]
    except KeyError:
        msg = f"unknown field kind {meta['kind']!r}"
        raise AssertionError(msg) from None
    return factory(meta)


#: Longest tick accepted (one hour): the dispatch and charging decisions are taken per tick.
MAX_TICK_S = SECONDS_PER_HOUR


@dataclass(frozen=True)
class Member(Kind):
    """An entry of a list drawn from ``choices``; the message blames the list, not the index."""

    choices: tuple[str, ...]
    noun: str = "entry"

    def convert(self, value: Any, where: Where) -> str:
        """Return ``value`` (one of ``choices``)."""
        if not isinstance(value, str) or value not in self.choices:
            parent = dataclasses.replace(where, path=where.path.rsplit("[", 1)[0])
            raise parent.fail(
                value, f"unknown {self.noun} {value!r}; accepted: {', '.join(self.choices)}"
            )
        return value


def section_type(hint: Any) -> type:
    """Return the dataclass of a ``section`` field from its type hint (``X`` or ``X | None``)."""
    if isinstance(hint, type):
        return hint
    for arg in typing.get_args(hint):
        if isinstance(arg, type) and arg is not types.NoneType:
            return arg
    msg = f"cannot resolve section type {hint!r}"
    raise AssertionError(msg)


def public_fields(cls: type) -> dict[str, dataclasses.Field]:
    """Return the fields of dataclass ``cls`` read from files (not ``kind="internal"``)."""
    return {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("kind") != "internal"}


def build_dataclass(cls: type, data: Any, where: Where) -> Any:
    """Build dataclass ``cls`` from a TOML table, each field checked by its declared kind.

    Keys not given take the field's default; unknown keys are refused.
    """
    if not isinstance(data, dict):
        raise where.fail(data, "expected a table")
    fields = public_fields(cls)
    check_keys(data, tuple(fields), where)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, fld in fields.items():
        if name not in data:
            continue
        sub = where.at(name)
        if fld.metadata["kind"] == "section":
            kwargs[name] = build_dataclass(section_type(hints[name]), data[name], sub)
        else:
            kwargs[name] = kind_of(fld.metadata).convert(data[name], sub)
    return cls(**kwargs)


# ======================================================================================
# cross-field rules and warnings
# ======================================================================================
@dataclass(frozen=True)
class Rule:
    """A rule across fields of a loaded object.

    Attributes
    ----------
    field
        Dotted path of the field blamed (and whose value is shown) when the rule fails.
    problem
        ``problem(obj)`` returns ``None`` when the rule holds, else what is wrong and
        what is accepted.
    """

    field: str
    problem: Callable[[Any], str | None]


def get_dotted(obj: Any, dotted: str) -> Any:
    """Return attribute (or key) path ``dotted`` of ``obj``."""
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def check_rules(obj: Any, rules: Sequence[Rule], where: Where) -> None:
    """Raise ``where.at(rule.field).fail`` for the first rule that ``obj`` breaks."""
    for rule in rules:
        problem = rule.problem(obj)
        if problem is not None:
            raise where.at(rule.field).fail(get_dotted(obj, rule.field), problem)


def warn(where: Where, value: object, consequence: str) -> None:
    """Emit one :class:`TransportSimWarning` in the error format, naming the consequence.

    Python shows a given warning once per location by default, so a setting reused by
    every run of a sweep is reported once.
    """
    source = where.label(where.path) if where.label is not None else where.source
    warnings.warn(
        describe(source, where.path, value, consequence), TransportSimWarning, stacklevel=3
    )


# ======================================================================================
# reading files
# ======================================================================================
def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """Return how deeply tables and arrays nest in ``value`` (stops counting at ``limit+1``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


_TOO_DEEP = f"tables or arrays nested more than {MAX_DEPTH} levels deep; not a valid input"


def check_depth(data: Any, where: Where) -> None:
    """Raise ``where.fail`` when tables/arrays nest deeper than :data:`MAX_DEPTH`."""
    if depth_of(data) > MAX_DEPTH:
        raise where.fail("...", _TOO_DEEP)


def first_nonfinite(value: Any, path: str = "") -> str | None:
    """Return the dotted path of the first NaN/inf number inside ``value``, else ``None``."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, here = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return here
        if isinstance(node, dict):
            stack.extend((v, f"{here}.{k}" if here else str(k)) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, f"{here}[{i}]") for i, v in enumerate(node))
    return None


def read_toml(
    path: Path, what: str = "scenario", error: type[TransportSimError] = ScenarioError
) -> dict[str, Any]:
    """Read a TOML input file into a dict; every failure is one line of ``error``.

    A UTF-8 byte-order mark at the start is accepted (editors on Windows write one).

    Raises
    ------
    TransportSimError
        (``error``) when the file is missing, a folder, unreadable, not UTF-8, not valid
        TOML, or nested deeper than :data:`MAX_DEPTH`.
    """
    where = Where(path, what, error)
    if not path.exists():
        raise where.fail(str(path), "file not found")
    if path.is_dir():
        raise where.fail(str(path), "is a folder, expected a TOML file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise where.fail(str(path), f"cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(" ".join(f"{path}: malformed TOML: {exc}".split())) from None
    except RecursionError:
        raise where.fail("...", _TOO_DEEP) from None
    check_depth(data, where)
    return data
