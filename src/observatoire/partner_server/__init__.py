"""The simulated partners (``observatoire serve-partners``): city REST API, SMTPC files, the Métropole's
Opendatasoft portal and the Préfecture/police file drop, in one loopback process with fault switches.

In tests::

    with running_partners(tmp_path) as server:
        requests.get(f"{server.base_url}/ville/api/v1/evenements", headers=server.city_headers)
"""

from typing import TYPE_CHECKING, Any

from .clock import ClockSettings
from .faults import FaultSettings
from .settings import DEFAULT_CITY_TOKEN, DEFAULT_PORT, DEFAULT_SMTPC_KEY, ServerSettings

if TYPE_CHECKING:
    from .server import PartnerServer, running_partners


def __getattr__(name: str) -> Any:
    # The server pulls in pandas; importing it lazily keeps `observatoire --help` fast.
    if name in ("PartnerServer", "running_partners"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_CITY_TOKEN",
    "DEFAULT_PORT",
    "DEFAULT_SMTPC_KEY",
    "ClockSettings",
    "FaultSettings",
    "PartnerServer",
    "ServerSettings",
    "running_partners",
]
