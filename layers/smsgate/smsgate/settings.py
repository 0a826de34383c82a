"""Settings: one pydantic model read from environment variables at cold start (STYLE rule 4).

A missing table, queue or topic name fails the import of the handler with a clear message,
not the first request.

Each field is read from the environment variable of the same name in any case
(`LOCATIONS_TABLE` for `locations_table`), as pydantic-settings' `BaseSettings` reads them;
that package is not used because importing it costs more cold start than every other line of
this module (docs/performance.md#cold-imports).
"""

import os
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smsgate.policy.carrier_opt_outs import CONFIRMS_BY_DEFAULT
from smsgate.policy.profiles import DEFAULT_PROFILE_NAME, profile_named


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
    # The schedule of messages due at a minute, and the queue its release fans out through
    # (docs/scheduling.md); only the functions that schedule or release messages need them.
    schedule_table: str = ""
    release_queue_url: str = ""

    # The carrier adapter of this deployment (docs/carriers.md#choosing-the-adapter-of-a-deployment);
    # the simulator is the local default.
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
    # The secret of a Twilio shared key that signs webhooks with HMAC-SHA256, when one is used
    # (literal for the local stack, else an SSM SecureString name).
    twilio_shared_key: str = ""
    twilio_shared_key_parameter: str = ""
    twilio_credentials_secret: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    eum_configuration_set: str = ""
    carrier_timeout_seconds: float = Field(default=10.0, gt=0)
    carrier_send_attempts: int = Field(default=4, ge=1)
    # Messages per second one sending number may take (10DLC long codes: about 1 MPS per number).
    number_mps: float = Field(default=1.0, gt=0)
    # Messages one number may send at once above that rate, across every dispatcher instance.
    number_burst: int = Field(default=1, ge=1)
    # The AT&T class that paces an approved campaign whose class was not recorded (docs/pacing.md).
    default_message_class: str = Field(default="E", pattern=r"^[A-Z]$")
    # The carrier answers the contacts' opt-out, opt-in and help keywords itself (Twilio's
    # Advanced Opt-Out, AWS unless SelfManagedOptOutsEnabled), so we send no second answer.
    # Unset or empty: true for twilio and aws, false for the simulator
    # (docs/carriers.md#opt-outs-the-carrier-manages).
    carrier_confirms_opt_outs: bool = False

    # Policy settings with their documented defaults. The carrier
    # policy's numbers are a named profile (docs/policy-profiles.md): this deployment's default.
    policy_profile: str = DEFAULT_PROFILE_NAME
    responsive_window_hours: int = Field(default=24, ge=0)
    audit_window_hours: int = Field(default=24, ge=1)
    # The profile's minimum sample unless set (a demo or a test reaches a small one quickly).
    audit_min_sample: int | None = Field(default=None, ge=1)
    # Locations one audit invocation reads; more active locations fan out through AUDIT_QUEUE_URL.
    audit_chunk_locations: int = Field(default=500, ge=1)
    suspension_hours: int = Field(default=72, ge=1)
    # Scheduled messages one release invocation hands over itself before it fans the rest out
    # through RELEASE_QUEUE_URL, one queue message per minute and shard (docs/scheduling.md#release).
    release_inline_messages: int = Field(default=200, ge=0)

    # Who may act on which location (docs/guarantees.md#who-may-act-on-which-location): a request
    # without an IAM principal is refused unless this is true. Only the local stack sets it (its
    # requests are not signed); the template sets it false, so a deployment fails closed.
    allow_anonymous_caller: bool = False

    @field_validator("policy_profile")
    @classmethod
    def known_profile(cls, name: str) -> str:
        return profile_named(name).name

    @field_validator("audit_min_sample", mode="before")
    @classmethod
    def empty_is_the_profiles(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="before")
    @classmethod
    def _carrier_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("carrier_confirms_opt_outs") in (None, ""):
            carrier = data.get("carrier") or "simulator"
            data = {**data, "carrier_confirms_opt_outs": CONFIRMS_BY_DEFAULT.get(carrier, False)}
        return data

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
        missing = ", ".join(
            str(err["loc"][0]).upper() + (f" ({err['msg']})" if err["type"] == "value_error" else "")
            for err in exc.errors()
        )
        raise SettingsError(
            f"smsgate is misconfigured; check these environment variables: {missing}"
        ) from exc
