"""The ``transport-sim`` command.

User errors (subclasses of :class:`~transport_sim.errors.TransportSimError`) and
command-line usage errors are printed as one line on stderr with exit code 2; values typed
on the command line are blamed on their flag, not on the scenario file.  Warnings are
printed once each, on one line.  SIGINT exits with 130 and SIGTERM with 143 after the
temporary output is removed.  Anything else is a bug and keeps its traceback.  Heavy
modules are imported inside the command handlers so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from transport_sim import __version__, units
from transport_sim.errors import ScenarioError, TransportSimError, describe
from transport_sim.results.signals import Terminated, signals_as_exceptions

if TYPE_CHECKING:
    from transport_sim.scenario.settings import Scenario

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_SIGINT = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line and exit with code 2."""
        text = " ".join(message.split())
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


def _years(text: str) -> tuple[int, int]:
    try:
        first, _, last = text.partition(":")
        return int(first), int(last or first)
    except ValueError:
        msg = f"--years = {text!r}: expected START:END, e.g. 2024:2035"
        raise argparse.ArgumentTypeError(msg) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``transport-sim`` (all sub-commands)."""
    parser = _Parser(
        prog="transport-sim",
        description="Agent-based simulation of transport decarbonisation policies for Shiyan.",
    )
    parser.add_argument("--version", action="version", version=f"transport-sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a policy scenario (default: the Shiyan plan)")
    run.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        help="scenario TOML (default: experiments/shiyan_plan.toml)",
    )
    run.add_argument(
        "--out", type=Path, help="results folder (default: results/<name>-<timestamp>)"
    )
    run.add_argument("--seed", type=int, help="override run.seed")
    run.add_argument("--years", type=_years, help="override the policy years, START:END")
    run.add_argument("--tick-s", type=float, help="override run.tick_s (seconds)")
    run.add_argument("--vehicle-scale", type=float, help="override run.vehicle_scale (0-1]")
    run.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    run.add_argument("--no-figures", action="store_true", help="skip figures and report.md")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument(
        "--workers", type=int, help="days simulated at once on threads (default: all cores)"
    )

    cmp_ = sub.add_parser("compare", help="compare results folders side by side")
    cmp_.add_argument("dirs", nargs="+", type=Path, help="results folders")
    cmp_.add_argument(
        "--out", type=Path, help="output folder (default: results/compare-<timestamp>)"
    )

    size = sub.add_parser("size-chargers", help="size charger plugs per site for a target wait")
    size.add_argument("scenario", nargs="?", type=Path, help="scenario TOML")
    size.add_argument("--year", type=int, required=True, help="policy year to size for")
    size.add_argument("--max-wait-p95-min", type=float, required=True, help="target P95 wait, min")
    size.add_argument("--day-type", default="holiday", choices=("weekday", "holiday"))
    size.add_argument("--out", type=Path, help="output folder")
    size.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")

    cal = sub.add_parser("calibrate", help="fit the base-year demand parameters to the targets")
    cal.add_argument("scenario", nargs="?", type=Path, help="scenario TOML")
    cal.add_argument(
        "--out", type=Path, help="calibration file to write (default: the one the scenario names)"
    )
    cal.add_argument("--max-iterations", type=int, default=8, help="fixed-point iterations")
    cal.add_argument("--tolerance", type=float, default=0.02, help="stop within this of targets")

    sweep = sub.add_parser("sweep", help="run a sweep of scenarios on Dask")
    sweep.add_argument("sweep", type=Path, help="sweep TOML")
    sweep.add_argument("--out", type=Path, help="sweep folder")
    sweep.add_argument("--workers", type=int, help="local Dask workers (default: cores)")
    sweep.add_argument("--scheduler", help="address of an existing dask.distributed scheduler")
    sweep.add_argument("--resume", action="store_true", help="skip runs already finished")
    sweep.add_argument("--max-runs", type=int, help="run only the first N runs of the design")

    plot = sub.add_parser("plot", help="re-render figures from a results or sweep folder")
    plot.add_argument("dir", type=Path, help="results folder or sweep folder")

    net = sub.add_parser("network", help="inspect, build or plot a network")
    net_sub = net.add_subparsers(dest="network_command", metavar="ACTION")
    info = net_sub.add_parser("info", help="what a network holds")
    info.add_argument("file", nargs="?", type=Path, help="OSM file (default: embedded Shiyan)")
    build = net_sub.add_parser("build", help="build and cache a network from an OSM file")
    build.add_argument("file", type=Path, help="OSM file (.osm, .osm.bz2, .osm.pbf)")
    build.add_argument("--out", type=Path, help="also write the arrays to this folder")
    nplot = net_sub.add_parser("plot", help="draw a network map (PNG)")
    nplot.add_argument("file", nargs="?", type=Path, help="OSM file (default: embedded Shiyan)")
    nplot.add_argument("--out", type=Path, default=Path("map.png"), help="PNG file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    0 success, 1 a sweep with failed runs, 2 user error, 130 interrupted (SIGINT),
    143 terminated (SIGTERM).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    from transport_sim.kernels.cache import configure_numba_cache

    configure_numba_cache()  # before any kernel is compiled (the folder is keyed by sources)
    _print_warnings_on_one_line()
    try:
        with signals_as_exceptions(), _one_line_warnings():
            return _dispatch(args, parser)
    except TransportSimError as exc:
        print(f"transport-sim: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("transport-sim: interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated as exc:
        print(f"transport-sim: terminated by {exc.signal_name}", file=sys.stderr)
        return int(exc.code)  # type: ignore[arg-type]


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show each distinct warning once, as one line ``transport-sim: warning: ...``."""
    seen: set[str] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = " ".join(str(message).split())
        if text in seen:
            return
        seen.add(text)
        print(f"transport-sim: warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # de-duplicated above, by text
        for noisy in (DeprecationWarning, PendingDeprecationWarning, FutureWarning,
                      ResourceWarning, ImportWarning):
            warnings.simplefilter("ignore", noisy)  # library internals, not the user's
        warnings.showwarning = show
        yield


def _print_warnings_on_one_line() -> None:
    """Show each :class:`TransportSimWarning` as one line on stderr (others unchanged)."""
    import warnings

    from transport_sim.errors import TransportSimWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001, ANN202
        if issubclass(category, TransportSimWarning):
            print(f"transport-sim: warning: {message}", file=sys.stderr)
            return
        default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    handler = {
        "run": _cmd_run,
        "compare": _cmd_compare,
        "size-chargers": _cmd_size_chargers,
        "calibrate": _cmd_calibrate,
        "sweep": _cmd_sweep,
        "plot": _cmd_plot,
        "network": _cmd_network,
    }[args.command]
    if args.command == "network" and args.network_command is None:
        parser.parse_args(["network", "--help"])
    return handler(args)


def _scenario_path(path: Path | None) -> Path:
    from transport_sim.paths import default_scenario_path

    return path if path is not None else default_scenario_path()


def _run_flags(args: argparse.Namespace) -> list[tuple[str, object, dict[str, object]]]:
    """Return the scenario overrides typed on the command line: (flag, typed value, fields)."""
    flags: list[tuple[str, object, dict[str, object]]] = []
    if args.seed is not None:
        flags.append(("--seed", args.seed, {"run.seed": args.seed}))
    if args.years is not None:
        start, end = args.years
        flags.append(("--years", f"{start}:{end}", {"run.start_year": start, "run.end_year": end}))
    if args.tick_s is not None:
        flags.append(("--tick-s", args.tick_s, {"run.tick_s": args.tick_s}))
    if args.vehicle_scale is not None:
        flags.append(("--vehicle-scale", args.vehicle_scale,
                      {"run.vehicle_scale": args.vehicle_scale}))
    return flags


def _problem_of(exc: ScenarioError, fields: dict[str, object]) -> str:
    """Return the part of a scenario error after ``<field> = <value>:`` for one of ``fields``."""
    text = str(exc)
    for path in fields:
        head = f"{path} = "
        at = text.find(head)
        if at >= 0 and ": " in text[at + len(head):]:
            return text[at + len(head):].split(": ", 1)[1]
    return f"gives an invalid scenario: {text}"


def _report_interval_for(scenario: Scenario, tick_s: float) -> float | None:
    """Return a report interval that fits ``tick_s`` if the scenario's does not, else ``None``.

    The interval becomes the smallest multiple of the tick that is at least the
    scenario's interval and divides the day (the tick itself divides the day).
    """
    interval = scenario.run.report_interval_s
    if not (math.isfinite(tick_s) and tick_s > 0 and units.SECONDS_PER_DAY % tick_s == 0):
        return None  # the tick itself is refused, with the flag named
    if units.SECONDS_PER_DAY % interval == 0 and interval % tick_s == 0:
        return None
    k = max(1, math.ceil(interval / tick_s))
    while units.SECONDS_PER_DAY % (k * tick_s) != 0:
        k += 1
    return float(k * tick_s)


def apply_flags(
    scenario: Scenario, flags: Sequence[tuple[str, object, dict[str, object]]]
) -> Scenario:
    """Apply command-line overrides to ``scenario``, blaming a bad value on its flag.

    Each flag is applied on its own first, so that its error names the flag
    (``--seed = -1: must be >= 0``) instead of the scenario file the user did not edit.
    ``--tick-s`` also moves ``run.report_interval_s`` to a multiple of the new tick when
    the scenario's interval does not fit it (said in a one-line note).

    Raises
    ------
    ScenarioError
        Naming the flag.
    """
    merged: dict[str, object] = {}
    for flag, typed, typed_fields in flags:
        fields = dict(typed_fields)
        if "run.tick_s" in fields:
            tick_s = float(fields["run.tick_s"])  # type: ignore[arg-type]
            interval = _report_interval_for(scenario, tick_s)
            if interval is not None:
                fields["run.report_interval_s"] = interval
                print(f"transport-sim: note: run.report_interval_s = {interval:g} s "
                      f"(the scenario's {scenario.run.report_interval_s:g} s is not a multiple "
                      f"of --tick-s {typed})", file=sys.stderr)
        try:
            scenario.with_overrides(fields)
        except ScenarioError as exc:
            raise ScenarioError(describe(None, flag, typed, _problem_of(exc, fields))) from None
        merged.update(fields)
    if not merged:
        return scenario
    try:
        return scenario.with_overrides(merged)
    except ScenarioError as exc:
        typed_flags = " ".join(f"{flag} {typed}" for flag, typed, _ in flags)
        raise ScenarioError(describe(None, "command-line flags", typed_flags,
                                     f"together give an invalid scenario: {exc}")) from None


def _check_start_year(scenario: Scenario, years: tuple[int, int]) -> None:
    """Blame ``--years`` (not the scenario file) when it does not start in the base year."""
    from transport_sim.fleets.reader import load_fleets_for

    base = load_fleets_for(scenario).base_year
    if years[0] != base:
        raise ScenarioError(describe(
            None, "--years", f"{years[0]}:{years[1]}",
            f"must start in the fleet file's base year {base} ({scenario.fleet_path.name}), "
            f"e.g. --years {base}:{max(base, years[1])}"))


def _timestamped(name: str) -> Path:
    """Return ``results/<name>-<timestamp>`` (a long name is shortened, see paths)."""
    from transport_sim.paths import timestamped_results_dir

    return timestamped_results_dir(name, datetime.now().strftime("%Y%m%d-%H%M%S"))


def _cmd_run(args: argparse.Namespace) -> int:
    from transport_sim.pipeline.run import run
    from transport_sim.scenario.settings import load_scenario

    scenario = apply_flags(load_scenario(_scenario_path(args.scenario)), _run_flags(args))
    if args.years is not None:
        _check_start_year(scenario, args.years)
    out = args.out if args.out is not None else _timestamped(scenario.name)
    results = run(
        scenario,
        out=out,
        overwrite=args.overwrite,
        figures=not args.no_figures,
        progress=not args.quiet,
        workers=args.workers,
    )
    meta = results.meta
    print(f"results: {results.path}")
    if "peak_year" in meta:
        print(f"WTW CO2 peak: {meta['peak_year']} at {meta['peak_co2_wtw_t']:,.0f} t")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from transport_sim.report.compare import compare_results

    out = args.out if args.out is not None else _timestamped("compare")
    path = compare_results(args.dirs, out)
    print(f"comparison: {path}")
    from transport_sim.report.costs import ABATEMENT_CSV, headline

    if (path / ABATEMENT_CSV).exists():
        import pandas as pd

        for line in headline(pd.read_csv(path / ABATEMENT_CSV)):
            print(f"abatement cost, {line}")
    return EXIT_OK


def _cmd_size_chargers(args: argparse.Namespace) -> int:
    from transport_sim.pipeline.sizing import size_chargers
    from transport_sim.scenario.settings import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    if args.year < scenario.run.start_year:
        raise ScenarioError(
            describe(None, "--year", args.year, f"must be >= start_year {scenario.run.start_year}")
        )
    if args.year > scenario.run.end_year:
        scenario = apply_flags(scenario, [("--year", args.year, {"run.end_year": args.year})])
    out = args.out if args.out is not None else _timestamped(f"{scenario.name}-sizing-{args.year}")
    path = size_chargers(
        scenario,
        year=args.year,
        max_wait_p95_min=args.max_wait_p95_min,
        day_type=args.day_type,
        out=out,
        overwrite=args.overwrite,
    )
    print(f"sizing: {path}")
    return EXIT_OK


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from transport_sim.pipeline.calibrate import calibrate, write_fitted
    from transport_sim.scenario.settings import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    if args.max_iterations < 0 or not 0.0 < args.tolerance < 1.0:
        raise ScenarioError(
            describe(None, "--max-iterations/--tolerance", (args.max_iterations, args.tolerance),
                     "need iterations >= 0 and 0 < tolerance < 1")
        )
    cal, table, _ = calibrate(
        scenario, max_iterations=args.max_iterations, tolerance=args.tolerance
    )
    out = write_fitted(scenario.calibration_path, args.out or scenario.calibration_path,
                       dict(cal.fitted))
    rows = table[table["powertrain"] == "all"]
    for r in rows.itertuples(index=False):
        print(f"{r.fleet:6s} {r[1]:14s} {r.metric:24s} target {r.target:8.2f} "
              f"simulated {r.simulated:8.2f} ({r.ratio:.3f})")
    print(f"calibration: {out}")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from transport_sim.sweep.execute import run_sweep_cli

    return run_sweep_cli(args)


def _cmd_plot(args: argparse.Namespace) -> int:
    from transport_sim.report.markdown import is_sweep_folder, plot_folder

    if is_sweep_folder(args.dir):
        from transport_sim.sweep.figures import plot_sweep

        written = plot_sweep(args.dir)
    else:
        written = plot_folder(args.dir)
    print(f"{len(written)} figures written to {args.dir}")
    return EXIT_OK


def _cmd_network(args: argparse.Namespace) -> int:
    from transport_sim.network import commands

    if args.network_command == "info":
        print(commands.network_info(args.file))
    elif args.network_command == "build":
        where = commands.network_build(args.file, args.out)
        print(f"built: {where}")
    else:
        where = commands.network_plot(args.file, args.out)
        print(f"map: {where}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
