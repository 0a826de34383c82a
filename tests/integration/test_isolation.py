"""The integration tests share one stack (tests/integration/conftest.py, `SharedStack`): what one
test writes, the next does not see. The two tests run in this order (pytest keeps a module's
order); the first leaves something everywhere a test can, the second finds none of it."""

import json
import os
import uuid
from typing import Any

import boto3
import pytest

from smsgate.settings import get_settings

LEFT_BEHIND: dict[str, Any] = {}


def test_a_test_leaves_items_messages_and_resources_behind(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb = boto3.client("dynamodb")
    tables = dynamodb.list_tables()["TableNames"]
    for table in tables:
        description = dynamodb.describe_table(TableName=table)["Table"]
        types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
        key = {
            k["AttributeName"]: {"S": "left"} if types[k["AttributeName"]] == "S" else {"N": "1"}
            for k in description["KeySchema"]
        }
        dynamodb.put_item(TableName=table, Item=key)
        assert dynamodb.scan(TableName=table)["Count"] == 1
    sqs = boto3.client("sqs")
    queues = [url for name, url in stack.outputs.items() if name.endswith("QueueUrl")]
    for queue in queues:
        sqs.send_message(QueueUrl=queue, MessageBody="visible")
        sqs.send_message(QueueUrl=queue, MessageBody="delayed", DelaySeconds=900)
        sqs.send_message(QueueUrl=queue, MessageBody="in flight")
    # Received and not deleted: in flight until its visibility timeout, minutes away.
    sqs.receive_message(QueueUrl=stack.outputs["OutboundQueueUrl"], MaxNumberOfMessages=10)
    own_queue = sqs.create_queue(QueueName=f"left-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    own_arn = sqs.get_queue_attributes(QueueUrl=own_queue, AttributeNames=["QueueArn"])["Attributes"]
    sns = boto3.client("sns")
    sns.subscribe(TopicArn=stack.outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=own_arn["QueueArn"])
    sns.create_topic(Name="left-topic")
    boto3.client("ssm").put_parameter(Name="/left/token", Value="left", Type="SecureString")
    boto3.client("secretsmanager").create_secret(Name="left-secret", SecretString="left")
    monkeypatch.setenv("NUMBER_MPS", "0.01")
    assert get_settings().number_mps == 0.01
    LEFT_BEHIND.update(
        stack_id=boto3.client("cloudformation").describe_stacks(StackName="smsgate")["Stacks"][0]["StackId"],
        tables=tables,
        queues=queues,
        own_queue=own_queue,
    )


def test_the_next_test_finds_none_of_it(stack: Any) -> None:
    assert LEFT_BEHIND, "runs after the test above, in this module's order"
    # The same stack, emptied (not created anew, which would prove nothing about emptying).
    [created] = boto3.client("cloudformation").describe_stacks(StackName="smsgate")["Stacks"]
    assert created["StackId"] == LEFT_BEHIND["stack_id"]
    dynamodb = boto3.client("dynamodb")
    tables = dynamodb.list_tables()["TableNames"]
    assert tables == LEFT_BEHIND["tables"]
    for table in tables:
        assert dynamodb.scan(TableName=table)["Items"] == [], table
    sqs = boto3.client("sqs")
    assert sorted(sqs.list_queues()["QueueUrls"]) == sorted(LEFT_BEHIND["queues"])
    for queue in LEFT_BEHIND["queues"]:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        for waiting in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ):
            assert attributes[waiting] == "0", (queue, waiting)
    sns = boto3.client("sns")
    assert "left-topic" not in json.dumps(sns.list_topics()["Topics"])
    subscribed = {s["TopicArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    assert stack.outputs["AlertsTopicArn"] not in subscribed
    assert boto3.client("ssm").describe_parameters()["Parameters"] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []
    assert os.environ.get("NUMBER_MPS") != "0.01"
    assert get_settings().number_mps != 0.01
