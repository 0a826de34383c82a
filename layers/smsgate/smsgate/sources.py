"""The `source` of each envelope smsgate itself publishes to the CarrierEvents and Inbound
topics: the simulator's receipts and replies, and Twilio's verified webhooks. The consumers
(`models.carrier_events.parse_receipt` / `parse_inbound`) tell the formats apart by it; the
carriers' own events (AWS End User Messaging SMS) carry none."""

from typing import Final

SIMULATOR_SOURCE: Final = "smsgate.simulator"
TWILIO_STATUS_SOURCE: Final = "twilio.status"
TWILIO_INBOUND_SOURCE: Final = "twilio.inbound"
