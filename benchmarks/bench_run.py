"""Wall time, peak memory and time breakdown of a full default run (the Shiyan plan).

Runs ``experiments/shiyan_plan.toml`` (2024-2035, all fleets, both day types) as
``transport-sim run`` does (``runner.run_tables`` + writing the results folder with
figures and report), each time in a fresh subprocess pinned to ONE core:

* cold: ``NUMBA_CACHE_DIR`` is a new empty folder, so every kernel compiles;
* warm: the same folder, now filled, so kernels load from the cache.

The warm child also reports where the time goes (setup: fleets / network / context /
stock; demand generation; model build; kernels = time inside ``kernels.day._run_ticks``;
Python work per tick = the rest of ``TransportModel.run_day``; accounting; I/O), how the
kernel time splits between the four kernels of the fused loop (one day replayed with a
timer around each kernel call), and a cProfile of ``run_tables`` for the first two years
(run again, warm) aggregated by module.

Usage::

    python benchmarks/bench_run.py [--quick]

``--quick`` (CI): 2024-2025, weekday only, ``vehicle_scale = 0.1``, warm child only (the
JIT cache already in use, no cold compile), no figures.

The warm child also times the two movement engines of the day loop (``run.movement``:
``tick``, every vehicle every tick, and ``event``, a vehicle touched only at its events)
on the same day plan, the first simulated day, in one process, checks that they end
the same (integers exact, floats within 1e-9 relative) and prints the ratio.
``--engines`` runs only that comparison (on the full-scale 2024 weekday, or the quick
case with ``--quick``; ``--repeats N`` alternating runs of each, default 2) and also
prints the ratio of each back-to-back pair and their median.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_PROCESS_START = time.perf_counter()

import _common  # noqa: E402

QUICK_RUN = {"start_year": 2024, "end_year": 2025, "day_types": ["weekday"],
             "vehicle_scale": 0.1}  # fmt: skip
FULL_RUN: dict = {}  # the plan as shipped: 2024-2035, both day types, every vehicle
KERNELS = ("_dispatch_tick", "_charging_decisions", "_advance_tick", "_charging_tick")


# --------------------------------------------------------------------------------------
# child side
# --------------------------------------------------------------------------------------


def compile_clock():
    """A numba event listener that sums the time of (outermost) compilations, live."""
    from numba.core import event

    class CompileClock(event.Listener):
        def __init__(self) -> None:
            self.total_s = 0.0
            self.own_s: dict[str, float] = {}  # per function, nested compiles excluded
            self._stack: list[list] = []

        def on_start(self, event) -> None:
            disp = (event.data or {}).get("dispatcher")
            name = getattr(getattr(disp, "py_func", None), "__qualname__", "?")
            module = getattr(getattr(disp, "py_func", None), "__module__", "?")
            self._stack.append([f"{module}.{name}", time.perf_counter(), 0.0])

        def on_end(self, event) -> None:
            name, t0, nested = self._stack.pop()
            took = time.perf_counter() - t0
            self.own_s[name] = self.own_s.get(name, 0.0) + took - nested
            if self._stack:
                self._stack[-1][2] += took
            else:
                self.total_s += took

    return CompileClock()


class Timers:
    """Accumulating wall timers installed around functions by monkeypatching.

    Time spent compiling (JIT cache misses) inside a timed call is moved to ``jit``.
    """

    def __init__(self, clock) -> None:
        self.s: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.clock = clock

    def wrap(self, owner: object, attr: str, key: str) -> None:
        fn = getattr(owner, attr)

        def timed(*args, **kwargs):
            t0, c0 = time.perf_counter(), self.clock.total_s
            try:
                return fn(*args, **kwargs)
            finally:
                jit = self.clock.total_s - c0
                self.s[key] = self.s.get(key, 0.0) + time.perf_counter() - t0 - jit
                self.s[f"jit_in_{key}"] = self.s.get(f"jit_in_{key}", 0.0) + jit
                self.calls[key] = self.calls.get(key, 0) + 1

        setattr(owner, attr, timed)


def install_timers(clock) -> Timers:
    """Time the parts of a run (patching the module attributes the runner looks up)."""
    from transport_sim.accounting import annual as accounting
    from transport_sim.accounting import outcomes
    from transport_sim.charging import private_cars as charging
    from transport_sim.charging import year_sites as sites
    from transport_sim.demand import dayplan
    from transport_sim.pipeline import run as runner
    from transport_sim.sim import model

    tm = Timers(clock)
    tm.wrap(runner, "prepare", "setup")
    tm.wrap(dayplan, "build_day_plan", "demand")
    tm.wrap(sites, "build_year_sites", "demand")
    tm.wrap(charging, "draw_background_cars", "demand")
    tm.wrap(model.TransportModel, "__init__", "model_build")
    tm.wrap(model.TransportModel, "run_day", "run_day")
    tm.wrap(model, "_run_ticks", "kernels")
    tm.wrap(model, "_run_events", "kernels")
    tm.wrap(model.TransportModel, "fleet_totals", "accounting")
    for name in ("annual_table", "annual_tables", "charger_tables"):
        tm.wrap(accounting, name, "accounting")
    tm.wrap(outcomes, "summarise", "accounting")
    return tm


def count_day_work(tm: Timers):
    """Count vehicles x ticks simulated (wraps ``TransportModel.run_day`` once more)."""
    from transport_sim.sim import model

    inner = model.TransportModel.run_day
    tm.s.setdefault("vehicle_ticks", 0.0)
    tm.s.setdefault("days", 0.0)

    def counted(self, *args, **kwargs):
        out = inner(self, *args, **kwargs)
        ticks = round(model.SECONDS_PER_DAY / self.settings.tick_s)
        tm.s["vehicle_ticks"] += self.state.n_vehicles * ticks
        tm.s["days"] += 1
        return out

    model.TransportModel.run_day = counted


def timed_run(scenario, out_dir: Path, *, figures: bool = True) -> dict:
    """``run_tables`` + results folder (with figures and report); returns timings (s)."""
    from transport_sim.pipeline.run import run_tables
    from transport_sim.results.folder import write_results

    render_into = None
    if figures:
        try:
            from transport_sim.report.markdown import render_into
        except ImportError:  # figures/report not available in this checkout
            render_into = None
    t0, c0 = time.perf_counter(), time.process_time()
    results = run_tables(scenario)
    t1 = time.perf_counter()
    figures_s = [0.0]

    def extra(folder, res):
        t = time.perf_counter()
        render_into(folder, res)
        figures_s[0] += time.perf_counter() - t

    write_results(results, out_dir, extra=extra if render_into else None)
    t2 = time.perf_counter()
    return {
        "run_tables_s": t1 - t0,
        "io_s": t2 - t1 - figures_s[0],
        "figures_s": figures_s[0],
        "figures": render_into is not None,
        "wall_s": t2 - t0,
        "cpu_s": time.process_time() - c0,
        "meta_timings": results.meta.get("timings_s", {}),
        "days": len(scenario.years) * len(scenario.run.day_types),
    }


def maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_ticks_source() -> str:
    """Source of ``kernels.day._run_ticks`` as imported (read once, early in the child).

    Other people edit the package while benchmarks run; reading the source late could
    replay a newer loop than the one compiled.
    """
    import inspect
    import textwrap

    from transport_sim.kernels import day

    if not hasattr(run_ticks_source, "text"):
        run_ticks_source.text = textwrap.dedent(inspect.getsource(day._run_ticks.py_func))
    return run_ticks_source.text


def make_replay(timer: dict[str, list[float]]):
    """A Python twin of ``kernels.day._run_ticks`` that times each compiled kernel call.

    Built from the source of ``_run_ticks`` itself (every call of one of the four
    kernels is wrapped in a timer), so it runs exactly the same kernels in the same
    order with the same arguments.
    """
    import ast

    from transport_sim.kernels import day

    tree = ast.parse(run_ticks_source())
    fn = tree.body[0]
    fn.decorator_list = []
    fn.name = "_replay_ticks"

    class Wrap(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id in KERNELS:
                return ast.Call(
                    func=ast.Name("_bench_timed", ast.Load()),
                    args=[ast.Constant(node.func.id), node.func, *node.args],
                    keywords=[],
                )
            return node

    tree = ast.fix_missing_locations(Wrap().visit(tree))

    def _bench_timed(name, kernel, *args):
        t0 = time.perf_counter()
        out = kernel(*args)
        rec = timer.setdefault(name, [0.0, 0, args])
        rec[0] += time.perf_counter() - t0
        rec[1] += 1
        return out

    ns = dict(vars(day))
    ns["_bench_timed"] = _bench_timed
    # the kernels have no CPython wrapper (compile time); Python calls their `_py` entries
    from transport_sim.kernels import charging, dispatch, movement

    for module in (charging, dispatch, movement):
        for name in KERNELS:
            if hasattr(module, f"{name}_py"):
                ns[name] = getattr(module, f"{name}_py")
    exec(compile(tree, "<replay of kernels.day._run_ticks>", "exec"), ns)
    return ns["_replay_ticks"]


def call_overhead_s(args: tuple, n: int = 100) -> float:
    """Mean cost (s) of calling a compiled no-op with the same arguments (dispatch)."""
    from numba import njit

    @njit
    def noop(*a):
        return 0

    noop(*args)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            noop(*args)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def engine_ratio(scenario, repeats: int = 2) -> dict:
    """Time the tick and the event day loop on the same day plan; their ratio.

    The first simulated day of ``scenario`` is built afresh for every run (same seeds, so
    the same plan) and run with ``run.movement`` = ``tick`` and = ``event`` alternately,
    ``repeats`` times each after one compile/cache-load tick of each; the best cpu time of
    each engine counts: inside the compiled day loop (``ratio``, the kernel ratio of
    issue 18) and for the whole ``TransportModel.run_day`` (``ratio_run_day``: plus the
    per-interval DataCollector, the same Python work for both).  Each repeat runs the two
    back to back, so ``pair_ratios`` (tick / event day loop per repeat) and their median
    ``ratio_pair_median`` hold up better when the host's speed drifts between repeats.
    ``same`` is True when every integer fleet, charger-site and request array ends
    identical and every float one within 1e-9 relative (``max_rel_diff``: the largest
    relative difference).
    """
    import dataclasses

    import numpy as np

    from transport_sim.kernels.state import FleetState
    from transport_sim.sim import model as model_mod
    from transport_sim.sim.model import TransportModel
    from transport_sim.sim.prepare import day_seeds, prepare

    prep = prepare(scenario)
    year, day_type = scenario.years[0], scenario.run.day_types[0]

    def build(engine: str) -> TransportModel:
        seq = day_seeds(scenario.run.seed, scenario.years, scenario.run.day_types)
        m = TransportModel.for_day(prep, year, day_type, seq[(year, day_type)])
        m.settings = dataclasses.replace(m.settings, movement=engine)
        return m

    for engine in ("tick", "event"):  # compile or load both from the JIT cache
        warm = build(engine)
        warm.step()
        warm.release()
    best = {"tick": np.inf, "event": np.inf}
    best_wall = {"tick": np.inf, "event": np.inf}
    best_kernel = {"tick": np.inf, "event": np.inf}
    inside = [0.0]

    def timed(kernel):
        def call(*args):
            c0 = time.process_time()
            try:
                return kernel(*args)
            finally:
                inside[0] += time.process_time() - c0

        return call

    days = {}
    kernel_s: dict[str, list[float]] = {"tick": [], "event": []}
    for _ in range(repeats):
        for engine in ("tick", "event"):
            m = build(engine)
            inside[0] = 0.0
            loops = (model_mod._run_ticks, model_mod._run_events)
            model_mod._run_ticks, model_mod._run_events = (timed(f) for f in loops)
            try:
                c0, w0 = time.process_time(), time.perf_counter()
                m.run_day()
                best[engine] = min(best[engine], time.process_time() - c0)
                best_wall[engine] = min(best_wall[engine], time.perf_counter() - w0)
            finally:
                model_mod._run_ticks, model_mod._run_events = loops
            best_kernel[engine] = min(best_kernel[engine], inside[0])
            kernel_s[engine].append(inside[0])
            if engine in days:
                m.release()
            else:
                days[engine] = m
    a, b = days["tick"], days["event"]
    pairs = [(getattr(a.state, f.name), getattr(b.state, f.name))
             for f in dataclasses.fields(FleetState)]
    pairs += [(getattr(a.site_arrays, f.name), getattr(b.site_arrays, f.name))
              for f in dataclasses.fields(a.site_arrays)
              if isinstance(getattr(a.site_arrays, f.name), np.ndarray)]
    pairs.append((a.dispatch.taxi, b.dispatch.taxi))
    same, max_rel = True, 0.0  # integers exact, floats within 1e-9 relative (issue 18)
    for x, y in pairs:
        if x.dtype.kind != "f":
            same = same and bool(np.array_equal(x, y))
            continue
        same = same and bool(np.allclose(x, y, rtol=1e-9, atol=0.0, equal_nan=True))
        ok = np.isfinite(x) & np.isfinite(y) & (x != y)
        if ok.any():
            max_rel = max(max_rel, float(np.max(np.abs(x[ok] - y[ok]) / np.abs(x[ok]))))
    pair_ratios = [t / e for t, e in zip(kernel_s["tick"], kernel_s["event"], strict=True)]
    out = {
        "day": f"{year} {day_type}",
        "vehicles": int(a.state.n_vehicles),
        "vehicle_scale": scenario.run.vehicle_scale,
        "repeats": repeats,
        "tick_cpu_s": best["tick"],
        "event_cpu_s": best["event"],
        "tick_wall_s": best_wall["tick"],
        "event_wall_s": best_wall["event"],
        "tick_kernel_cpu_s": best_kernel["tick"],
        "event_kernel_cpu_s": best_kernel["event"],
        "ratio": best_kernel["tick"] / best_kernel["event"],
        "ratio_run_day": best["tick"] / best["event"],
        "pair_ratios": pair_ratios,
        "ratio_pair_median": float(np.median(pair_ratios)),
        "same": bool(same),
        "max_rel_diff": max_rel,
    }
    a.release()
    b.release()
    return out


def report_engines(r: dict) -> None:
    """Print the tick/event comparison."""
    if "error" in r:
        print(f"movement engines: FAILED ({r['error']})")
        return
    print(f"movement engines on the same day plan ({r['day']}, {r['vehicles']} vehicles, "
          f"vehicle_scale {r['vehicle_scale']}; best of {r['repeats']} each):")
    for name, label in (("tick", "every vehicle every tick  "),
                        ("event", "touched only at its events")):  # fmt: skip
        print(f"  {name:<5} ({label}): day loop {r[f'{name}_kernel_cpu_s']:6.2f} s cpu, "
              f"run_day {r[f'{name}_cpu_s']:6.2f} s cpu ({r[f'{name}_wall_s']:.2f} s wall)")
    print(f"  ratio tick / event: day loop {r['ratio']:.2f}x, run_day {r['ratio_run_day']:.2f}x;"
          f" same days (integers exact, floats 1e-9 relative): {r['same']},"
          f" largest relative float difference {r.get('max_rel_diff', 0.0):.1e}")
    pairs = ", ".join(f"{x:.2f}" for x in r["pair_ratios"])
    print(f"  day loop ratio of each back-to-back pair: {pairs} (median "
          f"{r['ratio_pair_median']:.2f}x)")
    print()


def kernel_split(scenario) -> dict:
    """Replay the first weekday with a timer around each kernel; shares of kernel time."""
    import numpy as np

    scenario = scenario.with_overrides({"run.movement": "tick"})  # the replay is of _run_ticks

    from transport_sim.sim import model
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    timer: dict[str, list] = {}
    replay = make_replay(timer)
    compiled = model._run_ticks
    prep = prepare(scenario)
    year = scenario.years[0]
    day_type = scenario.run.day_types[0]
    def seq():  # a fresh SeedSequence each time (spawning children mutates it)
        return day_seeds(scenario.run.seed, scenario.years, scenario.run.day_types)[
            (year, day_type)
        ]

    ref = simulate_day(prep, year, day_type, seq())  # compiled, to check the replay
    model._run_ticks = replay
    try:
        day = simulate_day(prep, year, day_type, seq())
    finally:
        model._run_ticks = compiled
    same = all(
        np.array_equal(getattr(ref.state, f), getattr(day.state, f))
        for f in ("status", "node", "odometer_m", "energy_kwh", "soc_kwh", "charged_kwh")
    )
    out = {"day": f"{year} {day_type}", "vehicles": int(day.state.n_vehicles), "same": same}
    for name, (total, calls, args) in timer.items():
        over = call_overhead_s(args)
        out[name] = {"s": total, "calls": calls, "net_s": max(total - over * calls, 0.0),
                     "overhead_us": over * 1e6}  # fmt: skip
    return out


def profile_by_module(scenario) -> list[tuple[str, float]]:
    """cProfile of ``run_tables(scenario)``, own time (tottime) summed by module."""
    import cProfile
    import pstats

    from transport_sim.pipeline.run import run_tables

    prof = cProfile.Profile()
    prof.enable()
    run_tables(scenario)
    prof.disable()
    by_module: dict[str, float] = {}
    for (file, _, func), row in pstats.Stats(prof).stats.items():
        tottime = row[2]
        by_module[module_of(file, func)] = by_module.get(module_of(file, func), 0.0) + tottime
    return sorted(by_module.items(), key=lambda kv: -kv[1])


def module_of(file: str, func: str) -> str:
    """Package-level label of a profiled function (transport_sim modules kept whole)."""
    path = file.replace("\\", "/")
    if "/transport_sim/" in path:
        rel = path.split("/transport_sim/", 1)[1].removesuffix(".py").replace("/", ".")
        return f"transport_sim.{rel}"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if file == "~":
        return f"builtins ({func.split(' of ', maxsplit=1)[0].strip('<>')[:40]})"
    return "stdlib/other"


def child(mode: str, quick: bool, out_root: Path) -> dict:
    """Run in a fresh process: one timed run (cold or warm) and, when warm, the analysis."""
    from numba.core import event

    scenario = _common.plan_scenario(QUICK_RUN if quick else FULL_RUN)
    run_ticks_source()
    clock = compile_clock()
    tm = install_timers(clock) if mode == "warm" else None
    if tm is not None:
        count_day_work(tm)
    with event.install_listener("numba:compile", clock):
        run = timed_run(scenario, out_root / f"{mode}_run", figures=not quick)
        if os.environ.get("BENCH_PERF_MAP"):  # name JIT code for `perf record` (RESULTS.md)
            print(f"perf map: {_common.write_perf_map()}", file=sys.stderr)
        result = {
            "mode": mode,
            "since_process_start_s": time.perf_counter() - T_PROCESS_START,
            "compile_s": clock.total_s,
            "compile_top": sorted(clock.own_s.items(), key=lambda kv: -kv[1])[:8],
            "maxrss_mb": maxrss_mb(),
            "cpu_affinity": sorted(os.sched_getaffinity(0)),
            "network": _common.network_choice()[1],
            "years": [scenario.years.start, scenario.years.stop - 1],
            "day_types": list(scenario.run.day_types),
            "vehicle_scale": scenario.run.vehicle_scale,
            **run,
        }
        if tm is not None:
            result["parts"] = dict(tm.s)
            try:
                result["split"] = kernel_split(scenario)
            except Exception as exc:
                result["split"] = {"error": f"{type(exc).__name__}: {exc}"}
            try:
                result["engines"] = engine_ratio(scenario)
            except Exception as exc:
                result["engines"] = {"error": f"{type(exc).__name__}: {exc}"}
            first = scenario.years.start
            two_years = scenario.with_overrides(
                {"run.start_year": first, "run.end_year": min(first + 1, scenario.years.stop - 1)}
            )
            try:
                result["profile"] = profile_by_module(two_years)[:14]
            except Exception as exc:
                result["profile"] = [(f"profile failed: {type(exc).__name__}: {exc}", 0.0)]
    return result


# --------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------


def spawn(mode: str, quick: bool, cache_dir: Path | None, out_root: Path) -> dict:
    """Run this script as a child in a fresh process pinned to one core.

    ``cache_dir`` becomes ``NUMBA_CACHE_DIR``; ``None`` keeps the caller's JIT cache.
    """
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env.update({
        "NUMBA_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    })  # fmt: skip
    cmd = [sys.executable, __file__, "--child", mode, "--out-root", str(out_root)]
    cmd += ["--quick"] if quick else []
    cpu = min(os.sched_getaffinity(0))
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["taskset", "-c", str(cpu), *cmd] if _has_taskset() else cmd,
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
        msg = f"{mode} child failed (exit {proc.returncode}):\n{tail}"
        raise RuntimeError(msg)
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result["process_wall_s"] = wall
    return result


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


def report(cold: dict | None, warm: dict, quick: bool) -> None:
    """Print every figure and the target checks."""
    p = warm["parts"]
    total = warm["wall_s"]
    setup = warm["meta_timings"]
    kernels = p.get("kernels", 0.0)
    per_tick_py = p.get("run_day", 0.0) - kernels - p.get("jit_in_kernels", 0.0)
    demand = p.get("demand", 0.0)
    build = p.get("model_build", 0.0)
    acct = p.get("accounting", 0.0)
    io = warm["io_s"] + warm["figures_s"]
    prep = p.get("setup", 0.0)
    jit = warm["compile_s"]
    other = total - (prep + demand + build + kernels + per_tick_py + acct + io + jit)
    vt = p.get("vehicle_ticks", 0.0)
    print(f"network: {warm['network']}")
    print(f"scenario: experiments/shiyan_plan.toml years {warm['years'][0]}-{warm['years'][1]}, "
          f"day types {', '.join(warm['day_types'])}, vehicle_scale {warm['vehicle_scale']}, "
          f"{warm['days']} simulated days; one core (taskset cpu {warm['cpu_affinity']})")
    print(f"vehicle-ticks simulated: {vt:.3g} ({vt / max(p.get('days', 1), 1):.3g} per day)")
    print()
    cold_start = None
    if cold is None:
        print("cold run: skipped in --quick (run without --quick to measure the first compile)")
    else:
        cold_start = cold["compile_s"]
        print(f"cold run (empty NUMBA_CACHE_DIR, fresh process): wall {cold['wall_s']:.1f} s "
              f"(process incl. imports {cold['since_process_start_s']:.1f} s), cpu "
              f"{cold['cpu_s']:.1f} s, numba compile {cold['compile_s']:.1f} s, peak RSS "
              f"{cold['maxrss_mb']:.0f} MB")
        top = ", ".join(f"{n.removeprefix('transport_sim.')} {t:.1f} s"
                        for n, t in cold["compile_top"][:6])  # fmt: skip
        print(f"  slowest compiles (own time, callees excluded): {top}")
    print(f"warm run ({'caller' if cold is None else 'filled'} JIT cache, fresh process): wall "
          f"{total:.1f} s (process incl. imports {warm['since_process_start_s']:.1f} s), "
          f"cpu {warm['cpu_s']:.1f} s, numba compile {warm['compile_s']:.1f} s, "
          f"peak RSS {warm['maxrss_mb']:.0f} MB")
    if cold_start is not None:
        print(f"cold start = time numba spent compiling in the cold run: {cold_start:.1f} s "
              f"(cold - warm: wall {cold['wall_s'] - total:.1f} s, cpu "
              f"{cold['cpu_s'] - warm['cpu_s']:.1f} s; wall differences include other load)")
    print()
    print("where the warm run's wall time goes:")
    figures = (f"figures + report {warm['figures_s']:.2f} s" if warm["figures"]
               else "figures skipped")  # fmt: skip
    rows = [
        ("setup: fleets, network, context, stock (runner.prepare)", prep),
        (f"  of which network {setup.get('network_s', 0):.2f} s, context "
         f"{setup.get('context_s', 0):.2f} s, fleets+policy "
         f"{setup.get('fleets_s', 0) + setup.get('policy_s', 0):.2f} s", None),
        ("demand generation (build_day_plan, year sites, background cars)", demand),
        ("model build (TransportModel.__init__: Mesa agents, DataCollector)", build),
        ("JIT compile in this warm run (cache misses; 0 when the cache is valid)", jit),
        ("kernels (inside kernels.day._run_ticks, compile excluded)", kernels),
        ("Python work per tick (run_day minus kernels: loop, DataCollector)", per_tick_py),
        ("accounting (fleet_totals, annual/charger tables)", acct),
        (f"I/O: Parquet + run.json {warm['io_s']:.2f} s, {figures}", io),
        ("other (runner loop, pandas glue)", other),
    ]  # fmt: skip
    for label, secs in rows:
        if secs is None:
            print(f"  {label}")
        else:
            print(f"  {label:<68} {secs:7.2f} s {secs / total:6.1%}")
    if kernels > 0 and vt:
        print(f"  kernel time per vehicle-tick (all four kernels): {kernels / vt * 1e9:.1f} ns")
    print()
    report_split(warm["split"])
    report_engines(warm.get("engines", {"error": "not measured"}))
    report_profile(warm["profile"])
    check = [
        ("default plan run <= 60 s wall on one core", total <= 60.0, f"{total:.1f} s"),
        ("peak memory <= 2 GB", warm["maxrss_mb"] <= 2048, f"{warm['maxrss_mb']:.0f} MB"),
        ("Python work per tick <= 30 % of the run", per_tick_py / total <= 0.30,
         f"{per_tick_py / total:.1%}"),
    ]  # fmt: skip
    if cold_start is not None:
        check.append(
            ("cold start (first compile) < 30 s", cold_start < 30.0, f"{cold_start:.1f} s")
        )
    scope = "QUICK case, not the target case" if quick else "full plan"
    for label, ok, fig in check:
        print(f"target [{scope}] {label}: {'met' if ok else 'NOT met'} ({fig})")
    _common.print_load()
    print(f"warm_wall_s: {total:.1f}")


def report_split(sp: dict) -> None:
    """Print the per-kernel split of the replayed day."""
    if "error" in sp:
        print(f"kernel split: FAILED ({sp['error']})")
        print()
        return
    ticks = sp.get("_dispatch_tick", {"calls": 1})["calls"]
    print(f"kernel split, {sp['day']} replayed from Python with a timer per kernel call "
          f"({sp['vehicles']} vehicles, {ticks} ticks; replay identical to the compiled loop: "
          f"{sp['same']}):")
    net_total = sum(sp[k]["net_s"] for k in KERNELS if k in sp)
    for k in KERNELS:
        if k in sp:
            r = sp[k]
            print(f"  {k:<22} {r['net_s']:7.2f} s {r['net_s'] / max(net_total, 1e-12):6.1%}  "
                  f"{r['net_s'] / ticks * 1e6:7.1f} us per tick ({r['calls']} calls, "
                  f"{r['overhead_us']:.0f} us call overhead each removed)")
    print()


def report_profile(profile: list) -> None:
    """Print the cProfile aggregate by module."""
    print("cProfile of run_tables for the first two years (warm, run again), own time by module"
          " (profiling slows Python code):")
    prof_total = sum(s for _, s in profile)
    for mod, secs in profile[:12]:
        print(f"  {mod:<44} {secs:7.2f} s {secs / max(prof_total, 1e-12):6.1%}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2024-2025 weekday, 10 %% scale")
    parser.add_argument("--engines", action="store_true",
                        help="only time the tick and event loops on the first day (this process)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="with --engines: runs of each engine, alternating (default 2)")
    parser.add_argument("--child", choices=("cold", "warm"), help=argparse.SUPPRESS)
    parser.add_argument("--out-root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.quick, args.out_root)
        print("RESULT " + json.dumps(result, default=str))
        return
    if args.engines:
        _common.print_header("bench_run --engines: tick vs event day loop, same day plan")
        base = QUICK_RUN if args.quick else {"start_year": 2024, "end_year": 2024,
                                             "day_types": ["weekday"]}  # fmt: skip
        if args.repeats < 1:
            parser.error(f"--repeats must be >= 1, got {args.repeats}")
        report_engines(engine_ratio(_common.plan_scenario(base), repeats=args.repeats))
        _common.print_load()
        return
    _common.print_header("bench_run: full default run (Shiyan plan), cold and warm JIT cache")
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        root = Path(tmp)
        if args.quick:
            cold = None
            warm = spawn("warm", args.quick, None, root)
        else:
            cache = root / "numba_cache"
            cache.mkdir()
            cold = spawn("cold", args.quick, cache, root)
            print(f"cold child done: wall {cold['wall_s']:.1f} s, compile "
                  f"{cold['compile_s']:.1f} s, peak RSS {cold['maxrss_mb']:.0f} MB", flush=True)
            warm = spawn("warm", args.quick, cache, root)
    report(cold, warm, args.quick)


if __name__ == "__main__":
    main()
