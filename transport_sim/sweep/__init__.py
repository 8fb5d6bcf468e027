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

Transforms (see :mod:`transport_sim.sweep.designs`): ``set`` puts the value into the field (a
number on a curve field is a constant curve); ``scale`` multiplies the base value (every
point of a curve); ``transition_year`` makes the curve
``{<start_year> = <base value then>, <value> = <target>}``; ``template`` substitutes
``"{value}"`` (a value, or a curve year key) and ``"{base}"`` (the base curve's value in
that year).  Every parameter path and the extreme values of every parameter are checked
against the base scenario when the sweep is loaded; every planned run's scenario is
validated before the first run starts.  Errors are one-line
:class:`~transport_sim.errors.ScenarioError` messages naming the file, the field and the
value.

Seeds: ``SeedSequence(seed)`` child 0 seeds the LHS/Sobol sampler; child ``1 + r`` gives
the seed of replication ``r``, the same for every design point (common random numbers,
so differences between points are not sampling noise).  Runs are ordered point by
point, all replications of a point together; ``max_runs`` keeps the first runs.  Runs
are built lazily (:meth:`Sweep.iter_runs`), so ``max_runs = N`` builds N runs even when
the design has ``replications = 10**9``; ``sweep.json`` gives the total ``n_runs`` by
arithmetic and a hash of the definition (``definition_sha256``) that needs no run.

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
    OUT/design.parquet           one row per design run enumerated so far (all of them
                                 once a session ran without ``max_runs``): run,
                                 run_id, point, replication, seed, <parameters>
    OUT/runs/<table>/run_id=<id>/part-0.parquet   each run's tables (hive-partitioned)
    OUT/runs/summary/run_id=<id>/part-0.parquet   its summary row: written last, so its
                                                  presence marks a finished run
    OUT/runs/meta/<id>.json      the run's run.json (timings, network hash, ...)
    OUT/errors/<id>.json         a failed run: error type, message, traceback
    OUT/summary.parquet          one row per finished design run: design columns +
                                 the outcomes of :data:`~transport_sim.accounting.outcomes.OUTCOMES`
    OUT/annual.parquet           one row per run x year x fleet x powertrain with the
                                 design columns
    OUT/failures.parquet         failed design runs with their error
    OUT/figures/*.png            :func:`plot_sweep`

Every file is written to a temporary name and renamed (``os.replace``), so a crash or a
killed worker loses only unfinished runs.  The client writes results as runs complete
(``as_completed``); workers only compute.  With ``resume`` a sweep skips every run whose
summary partition and kept tables are readable Parquet files (a 0-byte or damaged file
makes the run unfinished: it is run again) and refuses a folder written by a different
design.  ``--out`` is checked, and a ``--scheduler`` address validated and connected to,
before the sweep folder is created.

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
