"""What each handler imports at cold start, as its module names, not as timings
(docs/performance.md#cold-imports).

The time is measured by `make bench` (bench/imports.py), never asserted here. These tests keep
out of each handler's import path what it does not use, each a regression that once cost tens
of milliseconds of cold start (docs/performance.md#cold-imports).
"""

from pathlib import Path

import pytest

from bench.imports import FRAME_OF, FRAMES, import_times

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
CONSUMERS = ("dispatcher", "inbound_keyword", "status_callback", "threshold_audit", "release_scheduled")


def imported_by(function: str) -> set[str]:
    return set(import_times("app", FUNCTIONS / function))


@pytest.fixture(scope="module")
def imported() -> dict[str, set[str]]:
    functions = (*CONSUMERS, "send_gate", "carrier_webhooks")
    return {function: imported_by(function) for function in functions}


def test_the_api_does_not_build_openapi_document_models_at_cold_start(imported: dict[str, set[str]]) -> None:
    # Swagger UI imported them; /v1/openapi.json builds the document on request.
    assert "aws_lambda_powertools.event_handler.openapi.models" not in imported["send_gate"]


def test_the_api_loads_the_content_policy_and_the_bulk_and_audit_services_when_first_used(
    imported: dict[str, set[str]],
) -> None:
    # The first body gated loads the content package, the first bulk request its service, the
    # first health request the audit's.
    lazy = {"smsgate.policy.content", "smsgate.services.bulk_sending", "smsgate.services.audit"}
    assert lazy.isdisjoint(imported["send_gate"])
    assert "smsgate.policy.gate" in imported["send_gate"]


def test_the_api_includes_the_routes_but_the_single_sends_at_the_first_request_that_needs_them(
    imported: dict[str, set[str]],
) -> None:
    # A send reads only its own request and answers with its own view: the bulk, message status,
    # location, registration, contact and operator routes come with the first request of theirs.
    later = {
        "smsgate.api.routers.bulk",
        "smsgate.api.routers.message_status",
        "smsgate.models.message_views",
        "smsgate.services.messages",
        "smsgate.api.routers.locations",
        "smsgate.api.routers.contacts",
        "smsgate.api.routers.registration",
        "smsgate.api.routers.operator",
        "smsgate.models.location_views",
        "smsgate.models.location_requests",
        "smsgate.services.locations",
        "smsgate.services.contacts",
        "smsgate.services.consent",
    }
    assert later.isdisjoint(imported["send_gate"])
    assert {"smsgate.api.routers.messages", "smsgate.models.responses"} <= imported["send_gate"]


def test_a_send_that_goes_now_loads_neither_the_audit_nor_the_schedule_nor_the_pacing(
    imported: dict[str, set[str]],
) -> None:
    # A send checks a suspension (policy.suspension), records its pacing fields
    # (policy.registration) and schedules nothing: the audit's decisions, the schedule's service
    # and the dispatcher's pacing arithmetic come with the first request that needs them.
    assert {
        "smsgate.policy.audit",
        "smsgate.models.audit",
        "smsgate.services.scheduling",
        "smsgate.models.schedule",
        "smsgate.dal.schedule",
        "smsgate.policy.pacing",
        "smsgate.models.pacing",
    }.isdisjoint(imported["send_gate"])
    assert {"smsgate.policy.suspension", "smsgate.services.send_later"} <= imported["send_gate"]


@pytest.mark.parametrize("function", ["dispatcher", "status_callback"])
def test_consumers_that_build_no_location_do_not_import_the_quiet_hours_or_the_registration_service(
    function: str, imported: dict[str, set[str]]
) -> None:
    # The quiet-hours policy comes with the first quiet hours built (a location read), the
    # registration service with the first receipt that unregisters a number, the audit's counts
    # with the first read of them (these consumers only add to the counters).
    assert {
        "smsgate.policy.quiet_hours",
        "smsgate.policy.calling_hours",
        "smsgate.policy.numbering",
        "smsgate.services.registration",
        "smsgate.models.audit",
    }.isdisjoint(imported[function])
    assert "smsgate.models.entities" in imported[function]


@pytest.mark.parametrize("function", CONSUMERS)
def test_queue_consumers_do_not_import_the_content_policy_or_the_api(
    function: str, imported: dict[str, set[str]]
) -> None:
    assert {
        "smsgate.policy.content",
        "smsgate.services.sending",
        "smsgate.services.bulk_sending",
        "smsgate.api.routes",
    }.isdisjoint(imported[function])


@pytest.mark.parametrize(
    "function", ["dispatcher", "inbound_keyword", "status_callback", "release_scheduled"]
)
def test_consumers_that_answer_no_route_do_not_import_the_api_views(
    function: str, imported: dict[str, set[str]]
) -> None:
    assert {"smsgate.models.responses", "smsgate.models.location_views"}.isdisjoint(imported[function])


@pytest.mark.parametrize("function", ["dispatcher", "threshold_audit"])
def test_handlers_that_parse_no_number_do_not_import_phonenumbers(
    function: str, imported: dict[str, set[str]]
) -> None:
    assert "phonenumbers" not in imported[function]


def test_the_dispatcher_imports_only_the_configured_carrier(imported: dict[str, set[str]]) -> None:
    # The bench environment, like the local stack, runs the simulator.
    assert "smsgate.carriers.simulator" in imported["dispatcher"]
    assert {"smsgate.carriers.twilio", "smsgate.carriers.aws_eum"}.isdisjoint(imported["dispatcher"])


def test_the_audit_does_not_import_the_api_services(imported: dict[str, set[str]]) -> None:
    assert {
        "smsgate.services.locations",
        "smsgate.services.contacts",
        "smsgate.services.consent",
        "smsgate.services.messages",
    }.isdisjoint(imported["threshold_audit"])


def test_the_webhooks_read_the_twilio_token_parameter_with_powertools_only_when_they_need_it(
    imported: dict[str, set[str]],
) -> None:
    # The bench environment, like a deployment with the token in the environment, never reads SSM.
    assert "aws_lambda_powertools.utilities.parameters" not in imported["carrier_webhooks"]


def test_the_webhooks_import_neither_the_data_access_of_tables_nor_the_api_routes(
    imported: dict[str, set[str]],
) -> None:
    # Its role touches no table: nothing that reads one belongs in it.
    assert {
        "smsgate.api.routes",
        "smsgate.dal.locations",
        "smsgate.dal.contacts",
        "smsgate.dal.messages",
        "smsgate.services.sending",
        "smsgate.services.bulk_sending",
    }.isdisjoint(imported["carrier_webhooks"])


@pytest.mark.parametrize("function", sorted(FRAME_OF))
def test_each_handler_imports_all_that_its_bench_frame_imports(
    function: str, imported: dict[str, set[str]]
) -> None:
    # bench/imports.py reads a handler's figure less its frame's as smsgate's own cost.
    frame = FRAME_OF[function]
    assert set(import_times(frame, FRAMES)) - {frame} <= imported[function]
