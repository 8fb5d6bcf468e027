"""``transport-sim size-chargers``: plugs per site for a target P95 wait, verified by the model.

1. Run the model's representative day (year, day type) with the scenario's chargers.
2. From the session log, estimate per site the busiest-hour arrival rate and the mean
   plug time; Erlang-C gives a plug count; replaying the recorded arrivals through the
   queue kernel raises it until the replayed P95 wait meets the target
   (:func:`transport_sim.charging.queueing.size_sites`).
3. Re-run the model with the proposed plugs at every site and report the simulated
   waits (the verification run): a site meets the target when its simulated P95 wait is
   at most the target.

Sites that saw no session keep one plug (they are reported with zero sessions).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from transport_sim.errors import ScenarioError, describe
from transport_sim.results.folder import atomic_folder, marker, prepare_output

if TYPE_CHECKING:
    from transport_sim.scenario.settings import Scenario


def size_chargers(
    scenario: Scenario,
    *,
    year: int,
    max_wait_p95_min: float,
    day_type: str = "holiday",
    out: Path,
    overwrite: bool = False,
    max_rounds: int = 6,
) -> Path:
    """Size every charger site for ``max_wait_p95_min`` and write the tables and plots.

    Writes ``sizing.csv`` / ``sizing.parquet`` (one row per site: plugs now, proposed,
    power needed, utilisation, simulated waits before and after), ``wait_curve.parquet``
    and ``wait_vs_plugs.png``, and ``sizing.json``.

    Raises
    ------
    ScenarioError
        On a target that is not positive or a year outside the scenario's years.
    """
    from transport_sim.charging.queueing import plot_sizing, size_sites
    from transport_sim.charging.statistics import session_log_frame, site_statistics
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    if not max_wait_p95_min > 0:
        raise ScenarioError(describe(None, "--max-wait-p95-min", max_wait_p95_min, "must be > 0"))
    if year not in scenario.years:
        scenario = scenario.with_overrides({"run.end_year": max(year, scenario.run.end_year)})
    out = prepare_output(Path(out), overwrite=overwrite)  # before any simulation
    prep = prepare(scenario)
    seq = day_seeds(scenario.run.seed, scenario.years, (day_type,))[(year, day_type)]
    model = simulate_day(prep, year, day_type, seq)
    before = site_statistics(model.site_arrays, model.sites, year, day_type)
    log = session_log_frame(model.site_arrays, model.sites, model.state.fleet)
    info = model.sites.to_frame()
    model.release()
    sizing = size_sites(log, max_wait_p95_min, site_info=info, tick_s=scenario.run.tick_s)
    proposal = dict(zip(info["site_id"], info["plugs"], strict=True))
    for sid, plugs in zip(sizing.sites["site_id"], sizing.sites["plugs_verified"], strict=True):
        proposal[sid] = int(plugs)
    after = pd.DataFrame()
    for _ in range(max_rounds):  # verification run; raise plugs where the model still queues
        check = simulate_day(prep, year, day_type, seq, plug_overrides=proposal)
        after = site_statistics(check.site_arrays, check.sites, year, day_type)
        check.release()
        late = after[after["wait_p95_min"] > max_wait_p95_min]
        if late.empty:
            break
        # vehicles pick hubs by the queue they see, so a bigger site draws more of them:
        # grow late sites by a fifth (at least one plug) and simulate again
        for sid in late["site_id"]:
            proposal[sid] += max(1, math.ceil(0.2 * proposal[sid]))
    table = info[["site_id", "name", "kind", "lon", "lat", "power_kw"]].copy()
    table["plugs_now"] = info["plugs"].to_numpy()
    table["plugs_proposed"] = [proposal[s] for s in table["site_id"]]
    table["power_needed_kw"] = table["plugs_proposed"] * table["power_kw"]
    merged = table.merge(
        before[["site_id", "sessions", "utilisation", "wait_p95_min"]].rename(
            columns={"utilisation": "utilisation_now", "wait_p95_min": "wait_p95_min_now"}
        ),
        on="site_id",
        how="left",
    ).merge(
        after[["site_id", "utilisation", "wait_mean_min", "wait_p95_min"]].rename(
            columns={
                "utilisation": "utilisation_proposed",
                "wait_mean_min": "wait_mean_min_proposed",
                "wait_p95_min": "wait_p95_min_proposed",
            }
        ),
        on="site_id",
        how="left",
    )
    merged["meets_target"] = merged["wait_p95_min_proposed"] <= max_wait_p95_min + 1e-9
    meta = {
        **marker("sizing"),
        "scenario": scenario.name,
        "year": year,
        "day_type": day_type,
        "max_wait_p95_min": max_wait_p95_min,
        "sites": len(merged),
        "sites_meeting_target": int(merged["meets_target"].sum()),
        "plugs_now": int(merged["plugs_now"].sum()),
        "plugs_proposed": int(merged["plugs_proposed"].sum()),
        "network_schematic": bool(prep.network.schematic),
    }
    with atomic_folder(out, overwrite=overwrite) as tmp:
        merged.to_csv(tmp / "sizing.csv", index=False)
        merged.to_parquet(tmp / "sizing.parquet", index=False)
        sizing.curve.to_parquet(tmp / "wait_curve.parquet", index=False)
        busy = sizing.sites.sort_values("sessions", ascending=False)["site_id"].head(12)
        curve = sizing.curve[sizing.curve["site_id"].isin(set(busy))]
        title = f"{scenario.name} {year} {day_type}: P95 wait vs plugs"
        if prep.network.schematic:
            title += " (schematic network)"
        if len(curve):
            from transport_sim.report.style import site_name

            # the plot uses matplotlib's default font: label sites by the ASCII parts of
            # their ids (Shiyan's site names are Chinese)
            names = {r["site_id"]: site_name(r, None) for _, r in info.iterrows()}
            curve = curve.assign(site_id=curve["site_id"].map(names))
            plot_sizing(curve, tmp / "wait_vs_plugs.png", max_wait_p95_min, title=title)
        (tmp / "sizing.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return out
