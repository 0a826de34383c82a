"""Settings: one pydantic model read from environment variables at cold start (STYLE rule 4).

A missing table, queue or topic name fails the import of the handler with a clear message,
not the first request.

Each field is read from the environment variable of the same name in any case
(`LOCATIONS_TABLE` for `locations_table`), as pydantic-settings' `BaseSettings` reads them;
that package is not used because importing it costs more cold start than every other line of
this module (README, Performance).
"""

import os
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Resources (names and addresses come from template.yaml's Globals).
    locations_table: str = Field(min_length=1)
    contacts_table: str = Field(min_length=1)
    messages_table: str = Field(min_length=1)
    counters_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    outbound_queue_url: str = Field(min_length=1)
    carrier_events_topic_arn: str = Field(min_length=1)
    inbound_topic_arn: str = Field(min_length=1)
    alerts_topic_arn: str = Field(min_length=1)
    audit_queue_url: str = ""

    # The carrier adapter of this deployment (issue 7); the simulator is the local default.
    carrier: Literal["simulator", "twilio", "aws"] = "simulator"
    # The public base URL of the HTTP API as Twilio calls it (it signs webhook URLs with it, and
    # the dispatcher gives it as the status callback). Empty in the webhook function: the URL is
    # then the request's own API Gateway domain (docs/deploying.md#custom-domains).
    public_base_url: str = ""
    # The base path of the API mapping when the API is served on a custom domain (`/gateway`):
    # API Gateway passes it in the request's path, and the routes are matched without it.
    api_base_path: str = Field(default="", pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    twilio_auth_token: str = ""
    twilio_auth_token_parameter: str = ""
    twilio_credentials_secret: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    eum_configuration_set: str = ""
    carrier_timeout_seconds: float = Field(default=10.0, gt=0)
    carrier_send_attempts: int = Field(default=4, ge=1)
    # Messages per second one sending number may take (10DLC long codes: about 1 MPS per number).
    number_mps: float = Field(default=1.0, gt=0)

    # Policy settings (SPEC sections 3, 6 and 8) with their documented defaults.
    responsive_window_hours: int = Field(default=24, ge=0)
    snowshoe_max_numbers: int = Field(default=3, ge=1)
    snowshoe_window_hours: int = Field(default=24, ge=1)
    low_volume_daily_segments: int = Field(default=6000, ge=1)
    audit_window_hours: int = Field(default=24, ge=1)
    audit_min_sample: int = Field(default=100, ge=1)
    # Locations one audit invocation reads; more active locations fan out through AUDIT_QUEUE_URL.
    audit_chunk_locations: int = Field(default=500, ge=1)
    suspension_hours: int = Field(default=72, ge=1)
    receipt_retention_days: int = Field(default=35, ge=1)

    # Who may act on which location (issue 11): a request without an IAM principal is refused
    # unless this is true. Only the local stack sets it (its requests are not signed); the
    # template sets it false, so a deployment fails closed.
    allow_anonymous_caller: bool = False

    @property
    def route_prefixes(self) -> list[str | re.Pattern[str]] | None:
        """What the resolvers strip from a request's path before matching its route."""
        return [self.api_base_path] if self.api_base_path else None

    @classmethod
    def from_environment(cls) -> "Settings":
        return cls.model_validate({name.lower(): value for name, value in os.environ.items()})


class SettingsError(RuntimeError):
    """Raised at cold start when the environment does not describe the resources."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings.from_environment()
    except ValidationError as exc:
        missing = ", ".join(str(err["loc"][0]).upper() for err in exc.errors())
        raise SettingsError(
            f"smsgate is misconfigured; check these environment variables: {missing}"
        ) from exc
