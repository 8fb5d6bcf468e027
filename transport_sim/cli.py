"""The ``transport-sim`` command.

User errors (subclasses of :class:`~transport_sim.errors.TransportSimError`) are printed
as one line on stderr with exit code 2; anything else is a bug and keeps its traceback.
Heavy modules are imported inside the command handlers so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from transport_sim import __version__
from transport_sim.errors import ScenarioError, TransportSimError, describe

EXIT_OK = 0
EXIT_USER_ERROR = 2


def _years(text: str) -> tuple[int, int]:
    try:
        first, _, last = text.partition(":")
        return int(first), int(last or first)
    except ValueError:
        msg = f"--years = {text!r}: expected START:END, e.g. 2024:2035"
        raise argparse.ArgumentTypeError(msg) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``transport-sim`` (all sub-commands)."""
    parser = argparse.ArgumentParser(
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
    """Run the command line; return the exit code (0 success, 2 user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return _dispatch(args, parser)
    except TransportSimError as exc:
        print(f"transport-sim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("transport-sim: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    handler = {
        "run": _cmd_run,
        "compare": _cmd_compare,
        "size-chargers": _cmd_size_chargers,
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


def _run_overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if args.seed is not None:
        overrides["run.seed"] = args.seed
    if args.years is not None:
        overrides["run.start_year"], overrides["run.end_year"] = args.years
    if args.tick_s is not None:
        overrides["run.tick_s"] = args.tick_s
    if args.vehicle_scale is not None:
        overrides["run.vehicle_scale"] = args.vehicle_scale
    return overrides


def _timestamped(name: str) -> Path:
    from transport_sim.paths import default_results_dir

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return default_results_dir() / f"{name}-{stamp}"


def _cmd_run(args: argparse.Namespace) -> int:
    from transport_sim.pipeline.run import run
    from transport_sim.scenario.settings import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    overrides = _run_overrides(args)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    out = args.out if args.out is not None else _timestamped(scenario.name)
    results = run(
        scenario,
        out=out,
        overwrite=args.overwrite,
        figures=not args.no_figures,
        progress=not args.quiet,
    )
    meta = results.meta
    print(f"results: {results.path}")
    if "peak_year" in meta:
        print(f"WTW CO2 peak: {meta['peak_year']} at {meta['peak_co2_wtw_t']:,.0f} t")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from transport_sim.report.markdown import compare_results

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
    if not scenario.run.start_year <= args.year <= max(scenario.run.end_year, args.year):
        raise ScenarioError(
            describe(None, "--year", args.year, f"must be >= start_year {scenario.run.start_year}")
        )
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
