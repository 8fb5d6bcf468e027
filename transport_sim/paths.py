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


#: Longest scenario or sweep name used as is in a default results folder name (bytes).
MAX_DEFAULT_NAME_BYTES = 100


def timestamped_results_dir(name: str, stamp: str) -> Path:
    """Return ``results/<name>-<stamp>``; a long name becomes a prefix plus a short hash.

    File systems limit a folder name to 255 bytes, and a scenario name may be longer:
    names over :data:`MAX_DEFAULT_NAME_BYTES` keep their first bytes and gain 8 hex digits
    of their SHA-256, so different long names still get different folders.
    """
    import hashlib

    raw = name.encode("utf-8")
    if len(raw) > MAX_DEFAULT_NAME_BYTES:
        digest = hashlib.sha256(raw).hexdigest()[:8]
        name = raw[: MAX_DEFAULT_NAME_BYTES - 9].decode("utf-8", "ignore") + "-" + digest
    return default_results_dir() / f"{name}-{stamp}"
