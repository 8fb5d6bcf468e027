"""Test configuration shared by every test folder.

Numba's cache folder is chosen here, when pytest loads this file and before any test
module or nested ``conftest.py`` imports a kernel: the folder is keyed by a hash of all
kernel sources (:mod:`transport_sim.kernels.cache`), so an edited kernel never runs
from a stale cache.  A ``NUMBA_CACHE_DIR`` set by the user is respected.
"""

from __future__ import annotations

from transport_sim.kernels.cache import configure_numba_cache

configure_numba_cache()
