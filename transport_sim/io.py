"""File helpers, one home each: atomic writes, hashing, dotted paths, rounding, numbers.

Every file the package writes goes through :func:`write_atomic`: the content is written
to a hidden temporary file in the target folder, flushed and fsynced, then renamed over
the target, so a crash or a kill leaves either the old file or the new one, never half
of one.  This module imports only the standard library at import time.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Bytes read at a time when hashing a file.
_HASH_BLOCK = 1 << 20


def write_atomic(path: Path, write: Callable[[Path], None], *, fsync: bool = True) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path`` and rename it to ``path``.

    Parameters
    ----------
    path
        Final file; its parent folders are created.
    write
        Writes the complete content to the path it is given.
    fsync
        Flush the temporary file to disk before the rename (and the folder after it).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        if fsync:
            _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_dir(path.parent)
    return path


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem can fsync a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_text_atomic(path: Path, text: str, *, fsync: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_atomic`)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), fsync=fsync)


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`write_atomic`)."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data), fsync=fsync)


def write_parquet_atomic(frame: pd.DataFrame, path: Path, *, fsync: bool = True) -> Path:
    """Write ``frame`` (without its index) to the Parquet file ``path`` atomically."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False), fsync=fsync)


def write_csv_atomic(frame: pd.DataFrame, path: Path, *, fsync: bool = True) -> Path:
    """Write ``frame`` (without its index) to the CSV file ``path`` atomically."""
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False), fsync=fsync)


def save_png_atomic(fig: Figure, path: Path, *, dpi: int, **savefig: Any) -> Path:
    """Save a matplotlib figure as PNG at ``path`` atomically and clear the figure."""
    try:
        return write_atomic(
            path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png", **savefig), fsync=False
        )
    finally:
        fig.clear()


def file_sha256(path: Path, cache: dict[Path, str] | None = None) -> str:
    """Return the SHA-256 (hex) of a file's contents, memoised in ``cache``."""
    path = Path(path)
    if cache is not None and path in cache:
        return cache[path]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
            digest.update(block)
    out = digest.hexdigest()
    if cache is not None:
        cache[path] = out
    return out


_MISSING = object()


def get_dotted(table: Mapping[str, Any], dotted: str, default: Any = _MISSING) -> Any:
    """Return ``table[a][b][c]`` for ``dotted = "a.b.c"``.

    Raises
    ------
    KeyError
        If a part is missing (or is not a table) and no ``default`` is given.
    """
    node: Any = table
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if default is _MISSING:
                raise KeyError(dotted)
            return default
        node = node[part]
    return node


def has_dotted(table: Mapping[str, Any], dotted: str) -> bool:
    """Tell whether ``dotted`` names a value inside ``table``."""
    return get_dotted(table, dotted, _MISSING) is not _MISSING


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves away from zero for positives (2.5 -> 3).

    A relative nudge of 1e-12 makes values that are halves up to floating-point error
    (``0.1 * 25 = 2.5000000000000004`` or ``2.4999999999999996``) round the same way.
    """
    return math.floor(value + 0.5 + 1e-12 * max(1.0, abs(value)))


def largest_remainder(values: Sequence[float], total: int) -> list[int]:
    """Round non-negative ``values`` to integers that sum to ``total``.

    Each value is floored; the units still missing go to the largest fractional parts,
    ties to the earlier position (deterministic).  ``total`` must lie between the sum
    of the floors and that sum plus the number of non-integral values, which holds for
    ``total = round(sum(values))``.
    """
    floors = [math.floor(v) for v in values]
    missing = int(total) - sum(floors)
    fracs = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    if missing < 0 or missing > len(values):
        msg = f"cannot round {list(values)} to total {total}"
        raise ValueError(msg)
    for i in fracs[:missing]:
        floors[i] += 1
    return floors


def is_number(value: object) -> bool:
    """Tell whether ``value`` is a real number (int or float, not bool); NaN counts."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: object) -> bool:
    """Tell whether ``value`` is a finite real number (int or float, not bool)."""
    return is_number(value) and math.isfinite(float(value))  # type: ignore[arg-type]


def output_problem(path: Path, *, folder: bool) -> str | None:  # noqa: PLR0911
    """Say why ``path`` cannot be written as a file (or a folder), or return ``None``.

    A cheap check to run before expensive work: an existing ``path`` must be of the
    right kind (a file, or a folder), and the nearest existing parent must be a
    writable folder (it may be created below that).  Permissions are judged with
    :func:`os.access`, which a superuser always passes.
    """
    path = Path(path)
    if path.exists():
        if folder and not path.is_dir():
            return "exists and is not a folder"
        if not folder and path.is_dir():
            return "is a folder; give a file name"
        target = path if folder else path.parent
        if not os.access(target, os.W_OK | os.X_OK):
            return f"folder {target} is not writable"
        if not folder and not os.access(path, os.W_OK):
            return "file is not writable"
        return None
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"folder {parent} is not writable"
    return None
