"""The carrier adapter of this deployment (template parameter `Carrier`)."""

from collections.abc import Callable
from datetime import datetime

from smsgate.carriers.base import Carrier
from smsgate.carriers.simulator import SimulatorCarrier, sns_publisher
from smsgate.dal import clients
from smsgate.settings import Settings


def carrier_for(settings: Settings, clock: Callable[[], datetime]) -> Carrier:
    if settings.carrier == "simulator":
        return SimulatorCarrier(sns_publisher(clients.sns(), settings.carrier_events_topic_arn), clock)
    raise NotImplementedError(f"carrier adapter '{settings.carrier}' is not available yet")
