"""Numba's on-disk cache in a folder keyed by the kernels' sources, so it cannot go stale.

``@njit(cache=True)`` checks only the source file of the function it compiles: when a
kernel in one module is edited, a compiled caller in another module (the fused loop in
:mod:`transport_sim.kernels.day`, which inlines the movement, dispatch and charging
kernels) is still loaded from the cache with the old code in it.  The constants the
kernels freeze in at compile time (:mod:`transport_sim.codes`, ``units``) have the same
problem.  :func:`configure_numba_cache` therefore points ``NUMBA_CACHE_DIR`` at
``<cache root>/numba-<hash16>``, where the hash covers every file of this package plus
``codes.py`` and ``units.py``: any edit to any of them starts a fresh cache folder.

The entry points call it before anything is compiled: the CLI, :func:`transport_sim.sim.
prepare.prepare` and :meth:`~transport_sim.sim.model.TransportModel.for_day` (first use,
never at import), and the test configuration.  A ``NUMBA_CACHE_DIR`` set by the user is
respected.  This module imports nothing from Numba at import time; when Numba has
already been imported (and kernels decorated), the new folder is also written to
``numba.core.config.CACHE_DIR`` and the already-decorated kernels are pointed at it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

#: Set by :func:`configure_numba_cache` to the folder it chose; a ``NUMBA_CACHE_DIR``
#: equal to it was set by this module (and is re-keyed), any other value by the user.
MARKER_ENV_VAR = "TRANSPORT_SIM_NUMBA_CACHE_DIR"
#: Package modules (besides the kernels) whose constants are frozen into compiled code.
FROZEN_MODULES = ("codes.py", "units.py")
HASH_CHARS = 16


def kernel_source_files(package_dir: Path | None = None) -> list[Path]:
    """Return the files whose content keys the cache, sorted by path.

    Parameters
    ----------
    package_dir
        The ``transport_sim`` package folder (default: the one this module is in).
    """
    package = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    files = sorted((package / "kernels").glob("*.py"))
    files += [package / name for name in FROZEN_MODULES if (package / name).is_file()]
    return files


def kernel_sources_hash(package_dir: Path | None = None) -> str:
    """Hex SHA-256 (first 16 characters) over the names and bytes of the kernel sources."""
    package = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in kernel_source_files(package):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:HASH_CHARS]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/transport_sim`` (default ``~/.cache/transport_sim``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "transport_sim"


def keyed_cache_dir(package_dir: Path | None = None) -> Path:
    """Return the cache folder of the current kernel sources, ``<cache root>/numba-<hash16>``."""
    return cache_root() / f"numba-{kernel_sources_hash(package_dir)}"


def configure_numba_cache() -> Path:
    """Point Numba's cache at the folder keyed by the kernel sources; return the folder.

    A ``NUMBA_CACHE_DIR`` set by the user (any value this function did not set) is kept
    and returned.  Otherwise ``NUMBA_CACHE_DIR`` (inherited by subprocesses and Dask
    workers) and, if Numba is already imported, ``numba.core.config.CACHE_DIR`` are set
    to :func:`keyed_cache_dir`; kernels decorated before this call are re-pointed.  When
    the user cache folder cannot be created, a folder under the system's temporary
    directory is used instead.  Safe to call any number of times.
    """
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user and user != os.environ.get(MARKER_ENV_VAR):
        return Path(user)
    folder = keyed_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "transport_sim" / folder.name
        folder.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    os.environ[MARKER_ENV_VAR] = str(folder)
    if "numba" in sys.modules:
        _repoint_loaded_kernels(folder)
    return folder


def _repoint_loaded_kernels(folder: Path) -> None:
    """Set Numba's ``CACHE_DIR`` and re-create the cache of already-decorated kernels.

    Numba picks a kernel's cache locator when the ``@njit(cache=True)`` decorator runs,
    from ``numba.core.config.CACHE_DIR``; kernels imported before
    :func:`configure_numba_cache` was called would otherwise keep caching next to their
    sources.
    """
    from numba.core import config
    from numba.core.caching import FunctionCache
    from numba.core.registry import CPUDispatcher

    config.CACHE_DIR = str(folder)
    prefix = f"{__package__}."
    for name, module in list(sys.modules.items()):
        if not name.startswith(prefix) or module is None:
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, CPUDispatcher):
                continue
            cache = getattr(value, "_cache", None)
            if not isinstance(cache, FunctionCache):
                continue  # compiled without cache=True
            if Path(cache.cache_path).is_relative_to(folder):
                continue
            value.enable_caching()
