"""The charging load on the grid: peak kW per site and city-wide, per year and day type.

The hourly profile (``charger_hourly.parquet``, column ``energy_kwh``: grid energy of all
users drawn in each hour of the simulated day) gives the mean power of every hour; the
peak is the largest hourly mean (kWh in one hour = kW).  Instantaneous peaks inside an
hour can be higher but never above the installed power (plugs x power per plug).
"""

from __future__ import annotations

import pandas as pd

SITE_LOAD_COLUMNS = ("year", "day_type", "site_id", "name", "kind", "plugs", "power_kw",
                     "installed_kw", "peak_kw", "peak_hour", "energy_kwh")
CITY_LOAD_COLUMNS = ("year", "day_type", "peak_kw", "peak_hour", "installed_kw", "energy_kwh")


def site_peak_load(hourly: pd.DataFrame, chargers: pd.DataFrame) -> pd.DataFrame:
    """Peak hourly kW of every site, per (year, day type), with its installed power."""
    if hourly.empty or "energy_kwh" not in hourly:
        return pd.DataFrame(columns=list(SITE_LOAD_COLUMNS))
    keys = ["year", "day_type", "site_id"]
    ordered = hourly.sort_values([*keys, "energy_kwh", "hour"], ascending=[True] * 3 + [False,
                                                                                         True])
    peak = ordered.groupby(keys, sort=True).head(1)[[*keys, "hour", "energy_kwh"]]
    peak = peak.rename(columns={"hour": "peak_hour", "energy_kwh": "peak_kw"})
    total = hourly.groupby(keys)["energy_kwh"].sum().rename("energy_kwh").reset_index()
    info = chargers[[*keys, "name", "kind", "plugs", "power_kw"]]
    out = info.merge(peak, on=keys, how="left").merge(total, on=keys, how="left")
    out["installed_kw"] = out["plugs"] * out["power_kw"]
    out[["peak_kw", "energy_kwh"]] = out[["peak_kw", "energy_kwh"]].fillna(0.0)
    out["peak_hour"] = out["peak_hour"].fillna(-1).astype("int64")
    return out[list(SITE_LOAD_COLUMNS)].sort_values(keys).reset_index(drop=True)


def city_peak_load(hourly: pd.DataFrame, chargers: pd.DataFrame) -> pd.DataFrame:
    """City-wide charging peak: the largest hourly sum over all sites, per (year, day type)."""
    if hourly.empty or "energy_kwh" not in hourly:
        return pd.DataFrame(columns=list(CITY_LOAD_COLUMNS))
    city = hourly.groupby(["year", "day_type", "hour"])["energy_kwh"].sum().reset_index()
    city = city.sort_values(["year", "day_type", "energy_kwh", "hour"],
                            ascending=[True, True, False, True])
    peak = city.groupby(["year", "day_type"], sort=True).head(1)
    peak = peak.rename(columns={"hour": "peak_hour", "energy_kwh": "peak_kw"})
    installed = (chargers.assign(kw=chargers["plugs"] * chargers["power_kw"])
                 .groupby(["year", "day_type"])["kw"].sum().rename("installed_kw"))
    energy = city.groupby(["year", "day_type"])["energy_kwh"].sum()
    out = peak.merge(installed.reset_index(), on=["year", "day_type"], how="left")
    out = out.merge(energy.reset_index(), on=["year", "day_type"], how="left")
    return out[list(CITY_LOAD_COLUMNS)].sort_values(["year", "day_type"]).reset_index(drop=True)
