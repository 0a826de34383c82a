"""What each route answers, as the OpenAPI document states it (docs/api.md#the-openapi-document).

`answers(...)` builds a route's `responses=`: its successes with their models, and the error
statuses it can answer, each `{"error": {"code", "message", ...}}` (`ErrorBody`), with the codes
that status carries. Every route can answer 400, 403, 500 and 503; a route with a body also 413
and 415.
"""

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from smsgate.models.responses import ErrorBody
from smsgate.reasons import HTTP_STATUS

SIGV4 = "sigv4"
JSON = "application/json"
RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
ALWAYS = (400, 403, 500, 503)
WITH_BODY = (413, 415)
_WHAT = {
    400: "The request is malformed",
    403: "The caller may not do this",
    404: "Not found",
    405: "No such method on this path",
    409: "Conflicts with the current state",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "Refused by a rule",
    429: "A daily limit is reached (see Retry-After)",
    500: "Internal error; nothing was done",
    503: "AWS is throttling or unavailable; retry after Retry-After",
}


def codes_of(status: int) -> list[str]:
    return [str(code) for code, mapped in HTTP_STATUS.items() if int(mapped) == status]


# Every route states the same few error statuses: each description is built once, not once per
# route at every cold start (docs/performance.md#cold-imports).
@cache
def _error_description(status: int) -> str:
    return f"{_WHAT.get(status, 'Error')}: {', '.join(codes_of(status))}"


def error(status: int) -> OpenAPIResponse:
    answer: OpenAPIResponse = {
        "description": _error_description(status),
        "content": {JSON: {"model": ErrorBody}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def success(model: type[BaseModel], description: str) -> OpenAPIResponse:
    return {"description": description, "content": {JSON: {"model": model}}}


def answers(
    successes: dict[int, OpenAPIResponse], *errors: int, body: bool = False
) -> dict[int, OpenAPIResponse]:
    """A route's `responses=`: `successes` and the error statuses it answers besides ALWAYS (and
    WITH_BODY for a route that reads a body)."""
    statuses = sorted({*ALWAYS, *(WITH_BODY if body else ()), *errors})
    return {**successes, **{status: error(status) for status in statuses}}


def document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The served document, with the SigV4 scheme every route needs (API Gateway's IAM
    authorizer; the extension tells AWS tools and generators it is SigV4).

    Powertools adds its own request-validation answer (422 `HTTPValidationError`) to every
    operation; this API never answers it (its validation answer is 400 `VALIDATION_ERROR`), so it
    is taken out where a route did not declare its own 422.
    """
    # Imported here: the document's models cost cold start, and only this request needs them.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    sigv4 = APIKey(
        name="Authorization",
        in_=APIKeyIn.header,
        description="AWS Signature Version 4 (IAM): sign every request for the execute-api service",
        openapi_extensions={"x-amazon-apigateway-authtype": "awsSigv4"},
    )
    doc: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="smsgate",
            version="0.1.0",
            openapi_version="3.1.0",
            description='An A2P SMS compliance gateway; every error is {"error": {"code", "message", ...}}.',
            security_schemes={SIGV4: sigv4},
            security=[{SIGV4: []}],
        )
    )
    doc.setdefault("paths", {}).update(webhook_paths())
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
    schemas = doc.get("components", {}).get("schemas", {})
    if '"#/components/schemas/HTTPValidationError"' not in json.dumps(doc.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    if '"#/components/schemas/ResponseValidationError"' not in json.dumps(doc.get("paths", {})):
        schemas.pop("ResponseValidationError", None)
    return doc


# The carrier webhooks are served by their own function (functions/carrier_webhooks), on the
# same API: the document describes them too, with the form Twilio posts and no SigV4.
_TWILIO_FORM_FIELDS = {
    "status": ("MessageSid", "MessageStatus", "ErrorCode", "AccountSid", "From", "To"),
    "inbound": ("MessageSid", "From", "To", "Body", "OptOutType", "AccountSid", "NumMedia"),
}
_WEBHOOK_WHAT = {
    "status": ("twilio_status_webhook", "Twilio's message status callback, queued for the receipts"),
    "inbound": ("twilio_inbound_webhook", "A contact's message through Twilio, queued for the replies"),
}


def webhook_paths() -> dict[str, Any]:
    """The two Twilio webhook operations: a signed form in, empty TwiML out."""
    paths: dict[str, Any] = {}
    for kind, fields in _TWILIO_FORM_FIELDS.items():
        operation_id, summary = _WEBHOOK_WHAT[kind]
        responses: dict[str, Any] = {
            "200": {
                "description": "Verified and queued; the answer is empty TwiML (no reply)",
                "content": {"text/xml": {"schema": {"type": "string"}}},
            }
        }
        for status in (400, 403, 404, 413, 500, 503):
            responses[str(status)] = {
                "description": _WHAT.get(status, "Error"),
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
            }
            if status == 503:
                responses["503"]["headers"] = RETRY_AFTER
        responses["403"]["description"] = "X-Twilio-Signature is missing or wrong: INVALID_SIGNATURE"
        responses["404"]["description"] = "This deployment's carrier sends no Twilio webhooks: NOT_FOUND"
        paths[f"/v1/webhooks/twilio/{kind}"] = {
            "post": {
                "operationId": operation_id,
                "summary": summary,
                "security": [],
                "parameters": [
                    {
                        "name": "X-Twilio-Signature",
                        "in": "header",
                        "required": True,
                        "description": "Twilio's signature of the URL and the form (docs/inbound.md)",
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {name: {"type": "string"} for name in fields},
                                "additionalProperties": {"type": "string"},
                            }
                        }
                    },
                },
                "responses": responses,
            }
        }
    return paths
