"""The project's exceptions: every user-facing error subclasses :class:`TransportSimError`.

User errors (bad scenario files, unknown fleets, missing or corrupt network files,
unreachable charger sites, ...) raise a subclass of :class:`TransportSimError`.
The CLI prints ``str(error)`` on one line and exits with code 2.  Internal failures
(bugs) are never wrapped, so they keep their traceback.

Messages follow one pattern so that a user can fix the input without reading code::

    <file>: <field> = <value>: <what is wrong>; <what is accepted>
"""

from __future__ import annotations

from pathlib import Path


class TransportSimError(ValueError):
    """Base class of every user-facing error of transport_sim.

    Subclasses :class:`ValueError` so that a plain ``except ValueError`` still catches it.
    """


class ScenarioError(TransportSimError):
    """A scenario or sweep file is malformed, has an unknown key or an invalid value."""


class FleetError(TransportSimError):
    """A fleet definition is invalid: unknown fleet or powertrain, shares, zero vehicles."""


class NetworkDataError(TransportSimError):
    """A network file is missing, empty, corrupt, or holds no usable roads or water ways."""


class NetworkFetchError(NetworkDataError):
    """Fetching OSM data over the internet failed (for example: this machine is offline)."""


class UnreachableError(TransportSimError):
    """A site, stop or port cannot be reached on the network (no route between the nodes)."""


class CostDataError(TransportSimError):
    """A cost file is invalid: negative price, unknown powertrain, a tariff not covering 24 h."""


class ResultsError(TransportSimError):
    """A results folder cannot be written (exists already, or is not a results folder)."""


class KernelError(RuntimeError):
    """A compiled kernel returned a status code that signals an internal inconsistency.

    This is not a user error: it keeps its traceback and is not mapped to exit code 2.
    """


class TransportSimWarning(UserWarning):
    """A setting that is valid but makes results meaningless or noisy.

    Emitted with :func:`warnings.warn`; the message follows the error format and names
    the consequence (for example the sampling noise of a tiny ``run.vehicle_scale``).
    The CLI prints each one on one line.
    """


def describe(source: str | Path | None, field: str, value: object, problem: str) -> str:
    """Build the one-line message used by every user-facing error.

    Parameters
    ----------
    source
        The file the value came from (or ``None`` when it did not come from a file).
    field
        Dotted path of the offending field, for example ``policy.bus.nev_share_of_new``.
    value
        The offending value (shown with ``repr``; long values are shortened).
    problem
        What is wrong and what is accepted.

    Returns
    -------
    str
        ``"<file>: <field> = <value>: <problem>"`` on a single line.
    """
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    where = f"{source}: " if source is not None else ""
    return " ".join(f"{where}{field} = {shown}: {problem}".split())
