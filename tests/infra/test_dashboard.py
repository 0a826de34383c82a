"""The operations dashboard (docs/operations.md#the-cloudwatch-dashboard): valid JSON once CloudFormation
has substituted it, naming only metrics the code emits and every dead-letter queue of the template."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local_stack.stack import load_template
from smsgate.reasons import ReasonCode

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "layers" / "smsgate" / "smsgate"
EMITTED = re.compile(r'add_metric\(\s*name=(f?)"([^"]+)"')


def emitted_metric_patterns() -> list[re.Pattern[str]]:
    """What `metrics.add_metric(name=...)` can name: literal names, and f-string names with each
    `{…}` standing for any word."""
    patterns = []
    for source in SOURCES.rglob("*.py"):
        for is_template, name in EMITTED.findall(source.read_text()):
            parts = re.split(r"\{[^}]*\}", name) if is_template else [name]
            patterns.append(re.compile(r"\w+".join(re.escape(part) for part in parts) + "$"))
    return patterns


def dashboard() -> tuple[dict[str, Any], dict[str, Any]]:
    template = load_template()
    [resource] = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    return template, resource


def substituted_body(template: dict[str, Any], body: Any) -> dict[str, Any]:
    """The body as CloudFormation passes it on: each ${Resource.Attribute} and ${AWS::…} filled."""
    text = body["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}!]+)\}", text))
    for name in names:
        resource = name.split(".")[0]
        assert resource.startswith("AWS::") or resource in template["Resources"], name
        text = text.replace("${" + name + "}", f"substituted-{name}")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def metrics_of(body: dict[str, Any]) -> list[list[Any]]:
    return [
        [part for part in metric if not isinstance(part, dict)]
        for widget in body["widgets"]
        for metric in widget["properties"].get("metrics", [])
        if not (len(metric) == 1 and isinstance(metric[0], dict))  # a math expression
    ]


def test_the_dashboard_body_is_json_after_substitution() -> None:
    template, resource = dashboard()
    body = substituted_body(template, resource["Properties"]["DashboardBody"])
    titles = [widget["properties"]["title"] for widget in body["widgets"]]
    assert titles == [
        "Decisions per reason (send gate)",
        "Accepted vs refused",
        "Opt-outs and opt-ins (contacts' replies)",
        "Delivery receipts per status",
        "Undelivered per error code",
        "Dead-letter queues (messages waiting)",
        "Threshold audit",
    ]
    for widget in body["widgets"]:
        assert widget["properties"]["region"] == "substituted-AWS::Region"
        assert widget["x"] + widget["width"] <= 24


def test_every_smsgate_metric_of_the_dashboard_is_one_the_code_emits() -> None:
    template, resource = dashboard()
    body = substituted_body(template, resource["Properties"]["DashboardBody"])
    patterns = emitted_metric_patterns()
    ours = [metric for metric in metrics_of(body) if metric[0] == "smsgate"]
    assert len(ours) > 30
    for namespace, name, *dimensions in ours:
        # The namespace and the one dimension powertools' Metrics adds (smsgate.observability).
        assert (namespace, dimensions) == ("smsgate", ["service", "smsgate"]), name
        assert any(pattern.match(name) for pattern in patterns), f"{name} is not emitted by the code"
        if name.startswith("Refused"):
            assert name.removeprefix("Refused") in set(ReasonCode), name
    names = {name for _, name, *_ in ours}
    assert {
        "Accepted",
        "RefusedNO_CONSENT",
        "Inbound_opt_out",
        "Receipt_undelivered",
        "AuditedLocations",
    } <= names
    assert {f"ReceiptError_{code}" for code in (30003, 30004, 30005, 30006, 30008)} <= names


def test_the_dashboard_shows_every_dead_letter_queue() -> None:
    template, resource = dashboard()
    body = substituted_body(template, resource["Properties"]["DashboardBody"])
    shown = {
        metric[3]
        for metric in metrics_of(body)
        if metric[:3] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"]
    }
    dead_letter_queues = {
        name
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::SQS::Queue" and name.endswith("DeadLetterQueue")
    }
    assert shown == {f"substituted-{name}.QueueName" for name in dead_letter_queues}
    assert len(dead_letter_queues) == 5
