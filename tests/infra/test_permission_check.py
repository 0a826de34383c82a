"""The permission check over roles aws-sam-translator produced (tests/permissions): a call the
role does not allow is reported, so is what the call implies, and so is an unused grant."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack.lambdas import load_handler
from local_stack.stack import to_cloudformation
from tests.permissions import recorder, report
from tests.permissions.calls import Call
from tests.permissions.roles import StackModel

ARN = "arn:aws:{}:us-east-1:123456789012:{}"


def model_of(policies: list[Any], *, polls: bool = False) -> StackModel:
    """A stack of one function (functions/publisher) with `policies`, an encrypted topic, a
    plain topic and a queue (which it consumes when `polls`)."""
    resources: dict[str, Any] = {
        "PublisherFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/publisher",
                "Handler": "app.handler",
                "Runtime": "python3.13",
                "Policies": policies,
            },
        },
        "EventsKey": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}},
        "EncryptedTopic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "EventsKey"}}},
        "PlainTopic": {"Type": "AWS::SNS::Topic"},
        "WorkQueue": {"Type": "AWS::SQS::Queue"},
    }
    if polls:
        resources["PublisherMapping"] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": ["WorkQueue", "Arn"]},
                "FunctionName": {"Ref": "PublisherFunction"},
            },
        }
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}
    with mock_aws():
        return StackModel(template, to_cloudformation(template, boto3.client("iam")))


def publish(topic: str) -> dict[str, Any]:
    # As recorded: the created stack's physical name, `<stack>-<logical id>-<suffix>`.
    return {
        "function": "publisher",
        "call": "sns:Publish",
        "action": "sns:Publish",
        "resource": ARN.format("sns", f"smsgate-{topic}-1A2B3C4D5E6F"),
    }


PUBLISH_PLAIN = {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["PlainTopic", "TopicName"]}}}


def test_a_publish_the_role_does_not_grant_is_reported() -> None:
    model = model_of([{"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["WorkQueue", "QueueName"]}}}])
    (denial,) = report.denied(model, [publish("PlainTopic")])
    assert (denial.function, denial.action, denial.resource) == (
        "PublisherFunction",
        "sns:Publish",
        ARN.format("sns", "PlainTopic"),
    )
    assert denial.why == "no statement allows it"
    assert "PublisherFunction" in report.denials_table([denial])


def test_a_publish_the_role_grants_passes_on_the_created_stacks_names() -> None:
    assert report.denied(model_of([PUBLISH_PLAIN]), [publish("PlainTopic")]) == []


def test_publishing_to_an_encrypted_topic_needs_its_key() -> None:
    publish_encrypted = {
        "SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["EncryptedTopic", "TopicName"]}}
    }
    denials = report.denied(model_of([publish_encrypted]), [publish("EncryptedTopic")])
    key = ARN.format("kms", "key/EventsKey")
    assert {(d.action, d.resource) for d in denials} == {("kms:GenerateDataKey", key), ("kms:Decrypt", key)}

    with_key = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": {"Fn::GetAtt": ["EventsKey", "Arn"]},
            }
        ]
    }
    assert report.denied(model_of([publish_encrypted, with_key]), [publish("EncryptedTopic")]) == []


def test_a_queue_the_function_consumes_needs_the_pollers_permissions() -> None:
    denials = report.denied(model_of([PUBLISH_PLAIN], polls=True), [publish("PlainTopic")])
    assert {d.action for d in denials} == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert {d.resource for d in denials} == {ARN.format("sqs", "WorkQueue")}


def test_a_call_without_a_resource_rule_or_a_function_is_reported() -> None:
    unknown = {
        "function": "publisher",
        "call": "kinesis:PutRecord",
        "action": "kinesis:PutRecord",
        "resource": None,
    }
    stranger = {**publish("PlainTopic"), "function": "not_in_the_template"}
    denials = report.denied(model_of([PUBLISH_PLAIN]), [unknown, stranger])
    assert sorted(d.why for d in denials) == [
        "no function of template.yaml has CodeUri functions/not_in_the_template",
        "no resource rule for kinesis:PutRecord in tests/permissions/calls.py",
    ]


def test_grants_no_call_used_are_listed_unless_justified() -> None:
    poller = {"SQSPollerPolicy": {"QueueName": {"Fn::GetAtt": ["WorkQueue", "QueueName"]}}}
    model = model_of([PUBLISH_PLAIN, poller], polls=True)
    unused = report.unused(
        model, [publish("PlainTopic")], {("PublisherFunction", "sqs:ChangeMessageVisibility"): "why"}
    )
    listed = {(grant.action, grant.justification) for grant in unused}
    # Lambda's poller uses Receive/Delete/GetQueueAttributes; the batch names are not IAM actions.
    assert listed == {
        ("sqs:ChangeMessageVisibility", "why"),
        ("sqs:ChangeMessageVisibilityBatch", None),
        ("sqs:DeleteMessageBatch", None),
    }
    assert all(grant.resources == "sqs:WorkQueue" for grant in unused)


def test_the_templates_roles_resolve_to_logical_ids() -> None:
    model = report.stack_model()
    assert set(model.roles) >= {
        "send_gate",
        "dispatcher",
        "status_callback",
        "inbound_keyword",
        "threshold_audit",
    }
    resources = {
        resource
        for statement in model.roles["dispatcher"].statements
        for resource in statement.values("Resource")
    }
    assert ARN.format("dynamodb", "table/MessagesTable") in resources
    assert ARN.format("sqs", "OutboundQueue") in resources


def test_a_call_is_attributed_to_the_handler_on_the_stack(tmp_path: Path) -> None:
    folder = tmp_path / "functions" / "probe"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(
        "import sys\n\n\ndef inner():\n    return sys._getframe()\n\n\n"
        "def handler(event, context):\n    return inner()\n"
    )
    frame = load_handler(folder, "attribution")({}, None)
    assert recorder.function_on_stack(frame) == "probe"
    assert recorder.function_on_stack(sys._getframe()) is None


def test_the_recorder_writes_each_distinct_call_once(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    recording = recorder.Recorder(str(path))
    call = Call("sqs", "SendMessageBatch", {"QueueUrl": "http://h/123456789012/q"}, "us-east-1")
    for _ in range(3):
        recording.record("dispatcher", call)
    recording.record("send_gate", call)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {
            "function": f,
            "call": "sqs:SendMessageBatch",
            "action": "sqs:SendMessage",
            "resource": ARN.format("sqs", "q"),
        }
        for f in ("dispatcher", "send_gate")
    ]
    assert recorder.read(path) == lines


def test_a_grant_under_a_condition_counts_in_either_configuration() -> None:
    conditional = {
        "Fn::If": [
            "UsesPlain",
            {"Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "PlainTopic"}}]},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert report.denied(model_of([conditional]), [publish("PlainTopic")]) == []


PROBE_TEST = """
from pathlib import Path

import boto3
from moto import mock_aws

from local_stack.lambdas import load_handler


def test_the_send_gate_publishes_an_alert():
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="smsgate-AlertsTopic-1A2B3C4D5E6F")["TopicArn"]
        load_handler(Path(__file__).parent / "functions" / "send_gate", "probe")({"topic": topic}, None)
"""
PROBE_HANDLER = """
import boto3


def handler(event, context):
    boto3.client("sns", region_name="us-east-1").publish(TopicArn=event["topic"], Message="{}")
"""
PROBE_CONFTEST = """
import pytest

from tests.permissions import plugin


def pytest_configure(config):
    plugin.start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    plugin.finish(session)
"""


def test_a_session_whose_handler_makes_a_call_its_role_denies_fails(tmp_path: Path) -> None:
    """The whole path: a real call by a handler (send_gate's folder, publishing to the alerts
    topic its role does not grant) is recorded, checked, tabled, and the passing session fails."""
    (tmp_path / "functions" / "send_gate").mkdir(parents=True)
    (tmp_path / "functions" / "send_gate" / "app.py").write_text(PROBE_HANDLER)
    (tmp_path / "test_probe.py").write_text(PROBE_TEST)
    (tmp_path / "conftest.py").write_text(PROBE_CONFTEST)
    root = Path(__file__).resolve().parents[2]
    environment = {key: value for key, value in os.environ.items() if key != recorder.ENVIRONMENT_VARIABLE}
    environment["PYTHONPATH"] = os.pathsep.join([str(root), str(root / "layers" / "smsgate")])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert "1 passed" in output
    assert "3 AWS calls their function's IAM role denies" in output
    rows = [line.split() for line in output.splitlines() if line.startswith("SendGateFunction")]
    assert [row[:3] for row in sorted(rows)] == [
        ["SendGateFunction", "kms:Decrypt", "kms:key/AlertsKey"],
        ["SendGateFunction", "kms:GenerateDataKey", "kms:key/AlertsKey"],
        ["SendGateFunction", "sns:Publish", "sns:AlertsTopic"],
    ]


def test_a_resource_the_template_names_is_matched_by_that_name() -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "PublisherFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "functions/publisher",
                    "Handler": "app.handler",
                    "Runtime": "python3.13",
                    "Policies": [
                        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["WorkQueue", "QueueName"]}}}
                    ],
                },
            },
            "WorkQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Sub": "work-${Stage}"}},
            },
        },
    }
    with mock_aws():
        model = StackModel(template, to_cloudformation(template, boto3.client("iam")))
    send = {"function": "publisher", "call": "sqs:SendMessageBatch", "action": "sqs:SendMessage"}
    assert report.denied(model, [{**send, "resource": ARN.format("sqs", "work-dev")}]) == []
    (denial,) = report.denied(model, [{**send, "resource": ARN.format("sqs", "work-prod")}])
    assert denial.action == "sqs:SendMessage"
