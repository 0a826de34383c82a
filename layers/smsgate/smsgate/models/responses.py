"""What the HTTP API answers to a single send, and every error: one model per response shape,
declared on the routes so the served OpenAPI document states each status and its schema
(docs/api.md). The other routes' answers are kept apart, so that an instance whose first request
is a send does not build their classes (docs/performance.md#cold-imports): a bulk's and a
message's in `smsgate.models.message_views`, a location's, its registration's and its contacts'
in `smsgate.models.location_views`.

Times are ISO 8601 strings exactly as they were stored or computed (`2024-05-01T10:00:00+00:00`),
not re-rendered: the document says `format: date-time` and the wire keeps its form.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from smsgate.models.vocabulary import Encoding, ScheduleReason
from smsgate.reasons import ReasonCode, WarningCode

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


class View(BaseModel):
    # defer_build: pydantic builds each model the first time a route answers with it, not at import.
    model_config = ConfigDict(defer_build=True, populate_by_name=True)


# --- errors ------------------------------------------------------------------------------------


class FieldProblem(View):
    field: str = Field(description="The field at fault, dotted for nested ones (`contact.email`, `rows.3`)")
    problem: str


class ErrorDetail(View):
    """`{"code", "message", ...}`; a code adds the fields that explain it (`category` and `term`
    for content, `missing` for registration, `limit` and `resets_at` for the daily limit, …)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    code: ReasonCode
    message: str
    fields: list[FieldProblem] | None = Field(
        default=None, description="VALIDATION_ERROR: every field at fault and what is wrong with it"
    )


class ErrorBody(View):
    error: ErrorDetail


# --- sending -----------------------------------------------------------------------------------


class ContentWarning(View):
    code: WarningCode
    message: str
    domain: str | None = None


class SendAccepted(View):
    """`POST /v1/messages`, 202: the message as it will go out."""

    message_id: str
    status: Literal["queued", "scheduled"]
    body: str = Field(description="The final body, with the sender identification and opt-out language added")
    segments: int
    encoding: Encoding
    scheduled_for: Timestamp | None = Field(
        default=None, description="`scheduled` only: the minute the message is due (docs/scheduling.md)"
    )
    reason: ScheduleReason | None = Field(default=None, description="`scheduled` only: why it waits")
    warnings: list[ContentWarning] | None = Field(default=None, description="Only when there is any")
