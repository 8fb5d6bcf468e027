"""Where the repository's embedded data lives (networks/, fleets/, experiments/).

The package is meant to be installed from a clone (``pip install -e .``); the embedded
data sits beside the package in the repository.
"""

from __future__ import annotations

from pathlib import Path


def repo_root() -> Path:
    """Return the repository folder that holds ``transport_sim/`` and the data folders."""
    return Path(__file__).resolve().parents[1]


def default_scenario_path() -> Path:
    """Return ``experiments/shiyan_plan.toml`` of the repository."""
    return repo_root() / "experiments" / "shiyan_plan.toml"


def default_results_dir() -> Path:
    """Return the ``results/`` folder: in the current directory if it has one, else the repo's."""
    here = Path.cwd() / "results"
    return here if here.is_dir() else repo_root() / "results"
