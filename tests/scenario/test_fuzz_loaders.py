"""Property-based fuzzing of the three TOML loaders (scenario, fleet, sweep).

Random mutations of the shipped files -- wrong types, NaN/inf, huge and negative
numbers, deleted and unknown keys, duplicated keys and entries, deep nesting, other
encodings, byte-order marks, truncation -- must either load or raise the project's
:class:`~transport_sim.errors.TransportSimError` with a one-line message.  Any other
exception (a traceback for the user) fails the test.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport_sim.errors import TransportSimError
from transport_sim.fleets.reader import load_fleets, load_fleets_for
from transport_sim.scenario.settings import load_scenario
from transport_sim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("baseline.toml", "shiyan_plan.toml", "plan_plus.toml")
SWEEPS = ("sweep_smoke.toml", "sweep_transition_rates.toml")
#: Examples per test.  CI runs a fixed (derandomised) set in ~30 s; to explore, set
#: TRANSPORT_SIM_FUZZ_EXAMPLES (e.g. 2000): examples are then drawn at random.
EXAMPLES = int(os.environ.get("TRANSPORT_SIM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not EXAMPLES,
)

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 2**63 - 1, 10**8, 2024, 1950, 2101]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e308, 5e-324]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", "{value}", "{base}", "2030", "bev", "../x.toml", "a" * 300]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(min_size=1, max_size=6) | st.sampled_from(["2024", "2030"]),
                      inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (dict keys and list indices) below ``node``, tables included."""
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"x": value}
    return value


def _mutate_once(draw: st.DrawFn, data: dict[str, Any]) -> None:
    """Apply one random structural mutation to ``data`` in place."""
    paths = _paths(data)
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    op = draw(st.sampled_from(
        ["replace", "replace", "delete", "unknown", "duplicate", "nest", "retype", "scale"]
    ))
    old = parent[key]
    if op == "replace":
        parent[key] = draw(values)
    elif op == "delete":
        del parent[key]
    elif op == "unknown" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(old))
    elif op == "duplicate":
        parent[draw(st.sampled_from(sorted(parent)))] = copy.deepcopy(old)
    elif op == "nest":
        depth = draw(st.sampled_from([2, 10, 40]))
        parent[key] = _nest(old, depth, draw(st.booleans()))
    elif op == "retype":
        is_int = isinstance(old, int) and not isinstance(old, bool)
        is_float = isinstance(old, float) and math.isfinite(old) and abs(old) < 1e18
        parent[key] = float(old) if is_int else int(old) if is_float else str(old)
    elif op == "scale" and isinstance(old, (int, float)):
        parent[key] = old * draw(st.sampled_from([0, -1, 1e9, math.nan, math.inf, 1e-9]))


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> bytes:
    """Return the bytes of a mutated copy of ``original`` (a parsed TOML file)."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        _mutate_once(draw, data)
    text = tomli_w.dumps(data)
    form = draw(st.sampled_from(["utf-8", "utf-8", "bom", "utf-16", "latin-1", "line", "cut"]))
    if form == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if form == "utf-16":
        return text.encode("utf-16")
    if form == "latin-1":
        return (text + '\n# "Shiyan \u00e9t\u00e9"\n').encode("latin-1", errors="replace")
    lines = text.splitlines(keepends=True)
    if form == "line" and lines:  # duplicate or drop one line (duplicate keys, lost headers)
        i = draw(st.integers(0, len(lines) - 1))
        lines[i:i + 1] = [lines[i]] * draw(st.sampled_from([0, 2]))
        return "".join(lines).encode("utf-8")
    if form == "cut":
        return text.encode("utf-8")[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the experiments and fleets folders, and a stand-in network file."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "experiments", root / "experiments")
    shutil.copytree(REPO / "fleets", root / "fleets")
    (root / "networks").mkdir()
    (root / "networks" / "shiyan_schematic.osm").write_text("<osm/>", encoding="utf-8")
    return root


def _original(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _loads_or_fails_cleanly(load: Any, *args: Any) -> Any:
    """Return ``load(*args)``, or ``None`` after a one-line :class:`TransportSimError`."""
    try:
        return load(*args)
    except TransportSimError as exc:
        message = str(exc)
    assert "\n" not in message, message
    return None


def _write_and_restore(target: Path, content: bytes, call: Any) -> None:
    original = target.read_bytes()
    try:
        target.write_bytes(content)
        call()
    finally:
        target.write_bytes(original)


@pytest.mark.parametrize("name", SCENARIOS)
@FUZZ
@given(data=st.data())
def test_scenario_loader_never_crashes(repo_copy: Path, name: str, data: st.DataObject) -> None:
    target = repo_copy / "experiments" / name
    content = data.draw(mutated(_original(REPO / "experiments" / name)))

    def call() -> None:
        scenario = _loads_or_fails_cleanly(load_scenario, target)
        if scenario is not None:  # fleet_overrides reach the fleet loader
            _loads_or_fails_cleanly(load_fleets_for, scenario)

    _write_and_restore(target, content, call)


@FUZZ
@given(data=st.data())
def test_fleet_loader_never_crashes(repo_copy: Path, data: st.DataObject) -> None:
    target = repo_copy / "fleets" / "shiyan.toml"
    content = data.draw(mutated(_original(REPO / "fleets" / "shiyan.toml")))
    _write_and_restore(target, content, lambda: _loads_or_fails_cleanly(load_fleets, target))


@pytest.mark.parametrize("name", SWEEPS)
@settings(FUZZ, max_examples=EXAMPLES or 30)
@given(data=st.data())
def test_sweep_loader_never_crashes(repo_copy: Path, name: str, data: st.DataObject) -> None:
    target = repo_copy / "experiments" / name
    content = data.draw(mutated(_original(REPO / "experiments" / name)))
    _write_and_restore(target, content, lambda: _loads_or_fails_cleanly(load_sweep, target))
