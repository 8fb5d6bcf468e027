"""Executing a sweep: one run per task, serially or on Dask, with progress and resume."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import logging
import math
import os
import pickle
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

from transport_sim.accounting.outcomes import compute_outcomes
from transport_sim.errors import ScenarioError, describe
from transport_sim.scenario.settings import Scenario
from transport_sim.sweep.designs import canonical_json
from transport_sim.sweep.folder import (
    RunOutcome,
    SweepFolder,
    SweepResults,
    check_folder,
    consolidate,
    json_default,
    prepare_folder,
)
from transport_sim.sweep.spec import RunFn, RunSpec, Sweep, load_sweep

if TYPE_CHECKING:
    import argparse

    from distributed import Client, Worker

    from transport_sim.results.folder import Results
    from transport_sim.sim.prepare import Prepared

T = TypeVar("T")


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

    The key is everything :func:`transport_sim.sim.prepare.prepare` reads besides the policy:
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
        from transport_sim.policy.turnover import simulate_stock
        from transport_sim.sim.prepare import prepare

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
    """Default run function of a sweep: :func:`transport_sim.pipeline.run.run_tables`.

    The network, fleets and context are reused across runs with the same inputs: from
    ``cache`` when given, else from the Dask worker's :class:`PreparedCachePlugin`.
    Results do not depend on this reuse.
    """
    from transport_sim.pipeline.run import run_tables

    cache = cache if cache is not None else _worker_cache()
    prepared = cache.prepared(scenario) if cache is not None else None
    return run_tables(scenario, seed, prepared=prepared)


#: Synthetic fleets: (fleet, ICE powertrain, vehicles, t CO2 TTW per ICE vehicle and year,
#: kWh per BEV and year, mean lifetime in years).
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
        summary = compute_outcomes(kept["annual"], results.tables.get("chargers"),
                                   results.tables)
    except Exception as exc:  # a failing run is recorded; the sweep goes on
        return RunOutcome.from_exception(exc, time.perf_counter() - t0)
    meta = json.loads(json.dumps(results.meta, default=json_default))
    return RunOutcome(ok=True, tables=kept, summary=summary, meta=meta,
                      elapsed_s=time.perf_counter() - t0)


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
    address = _check_address(scheduler)
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(describe(
            None, "--scheduler", scheduler,
            f"cannot connect within {SCHEDULER_TIMEOUT_S} s: {' '.join(str(exc).split())}",
        )) from None
    with client:
        yield client


#: Seconds to wait for a scheduler given by address.
SCHEDULER_TIMEOUT_S = 10
#: Address schemes dask.distributed connects over.
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def _check_address(address: str) -> str:
    """Return a scheduler address, or raise a one-line error saying what is wrong with it."""
    from urllib.parse import urlsplit

    text = address.strip()
    if "://" not in text:
        text = f"tcp://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ScenarioError(describe(None, "--scheduler", address,
                                     f"not an address: {exc}; e.g. tcp://host:8786")) from None
    if parts.scheme not in SCHEDULER_SCHEMES:
        raise ScenarioError(describe(
            None, "--scheduler", address,
            f"unknown scheme {parts.scheme!r}; accepted: {', '.join(SCHEDULER_SCHEMES)}, "
            "or 'local' / 'serial'"))
    if parts.scheme != "inproc" and (not parts.hostname or port is None):
        raise ScenarioError(describe(None, "--scheduler", address,
                                     "expected HOST:PORT, e.g. tcp://127.0.0.1:8786"))
    return text


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
        from transport_sim.paths import timestamped_results_dir

        out = timestamped_results_dir(spec.name, time.strftime("%Y%m%d-%H%M%S"))
    folder = SweepFolder(Path(out))
    check_folder(folder.path, spec, resume=resume)  # milliseconds, before anything runs
    planned = spec.runs(max_runs)  # only the runs this session may run are built
    unique = list({r.run_id: r for r in planned[::-1]}.values())  # first of each id ...
    unique.sort(key=lambda r: r.run)  # ... in design order
    names = spec.parameter_names

    with contextlib.ExitStack() as stack:
        serial = scheduler == "serial" or workers == 0
        remote = not serial and scheduler not in (None, "local")
        client = None
        if remote:  # a bad or unreachable address fails before the folder exists
            client = stack.enter_context(_dask_client(workers, scheduler, progress=progress))
        prepare_folder(folder, spec, planned, resume=resume)
        finished = folder.finished(spec.tables)
        pending = [r for r in unique if r.run_id not in finished]
        bar = _Progress(spec.name, len(unique), len(unique) - len(pending), enabled=progress)

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
        if pending and not serial and client is None:  # a local cluster only when needed
            client = stack.enter_context(_dask_client(workers, scheduler, progress=progress))
        if pending and client is None:
            fn = run_fn or functools.partial(run_model, cache=PreparedCache())
            _run_serial(pending, fn, spec.tables, on_done)
        elif pending:
            if run_fn is None:
                client.register_plugin(PreparedCachePlugin())
            _run_dask(client, pending, run_fn or run_model, spec.tables, on_done)
    results = consolidate(folder.path)
    if figures:
        from transport_sim.sweep.figures import plot_sweep

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

