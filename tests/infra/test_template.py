"""template.yaml is valid, and the local stack is built from it (STYLE rule 8, issue 2)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from local_stack.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM = Path(sys.executable).parent / "sam"
FUNCTIONS = ("send_gate", "dispatcher", "status_callback", "inbound_keyword", "threshold_audit")


def test_sam_validate_lint_passes() -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [str(SAM), "validate", "--lint", "--template", str(ROOT / "template.yaml"), "--region", "us-east-1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_function_is_python313_arm64_with_the_layer() -> None:
    template = load_template()
    functions = {
        name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    assert sorted(Path(f["Properties"]["CodeUri"]).name for f in functions.values()) == sorted(FUNCTIONS)
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template["Globals"]["Function"]["Architectures"] == ["arm64"]
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "SmsgateLayer"}]
    for name in FUNCTIONS:
        assert (ROOT / "functions" / name / "app.py").exists()
        assert (ROOT / "functions" / name / "Makefile").exists()


def test_every_table_is_on_demand_encrypted_and_recoverable() -> None:
    template = load_template()
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 5
    for table in tables:
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {"SSEEnabled": True}


def test_every_queue_has_a_dead_letter_queue_and_every_consumer_reports_partial_failures() -> None:
    resources = load_template()["Resources"]
    queues = {name: r for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    targets = set()
    for name, queue in queues.items():
        if "DeadLetter" in name:
            continue
        redrive = queue["Properties"]["RedrivePolicy"]
        targets.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
        assert redrive["maxReceiveCount"] >= 3
    assert targets <= set(queues)
    for resource in resources.values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "SQS":
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_created_stack_holds_what_the_code_expects(stack: Any) -> None:
    """The local stack is built from template.yaml: every table, queue and topic the settings name exists."""
    from smsgate.settings import get_settings

    settings = get_settings()
    dynamodb = boto3.client("dynamodb")
    for table in (
        settings.locations_table,
        settings.contacts_table,
        settings.messages_table,
        settings.counters_table,
        settings.idempotency_table,
    ):
        assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    sqs = boto3.client("sqs")
    for output in ("OutboundQueueUrl", "CarrierEventsQueueUrl", "InboundQueueUrl"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.outputs[output], AttributeNames=["RedrivePolicy"]
        )
        assert "deadLetterTargetArn" in attributes["Attributes"]["RedrivePolicy"]
    assert settings.outbound_queue_url == stack.outputs["OutboundQueueUrl"]
    topics = {t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]}
    assert {
        settings.carrier_events_topic_arn,
        settings.inbound_topic_arn,
        settings.alerts_topic_arn,
    } <= topics
    subscriptions = boto3.client("sns").list_subscriptions()["Subscriptions"]
    assert {s["TopicArn"] for s in subscriptions if s["Protocol"] == "sqs"} == {
        settings.carrier_events_topic_arn,
        settings.inbound_topic_arn,
    }
    assert {q.function for q in stack.queues} == {
        "DispatcherFunction",
        "StatusCallbackFunction",
        "InboundKeywordFunction",
    }
    assert [s.function for s in stack.schedules] == ["ThresholdAuditFunction"]
    assert len(stack.routes) == len(
        [
            e
            for r in load_template()["Resources"].values()
            for e in r.get("Properties", {}).get("Events", {}).values()
            if e["Type"] == "HttpApi"
        ]
    )
