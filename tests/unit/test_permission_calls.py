"""The IAM action and resource each AWS call of ours is authorised against (tests/permissions)."""

from typing import Any

import pytest

from tests.permissions.calls import Call, Permission, permissions

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def of(prefix: str, operation: str, **params: Any) -> list[Permission]:
    return permissions(Call(prefix, operation, params, REGION, ACCOUNT))


@pytest.mark.parametrize("operation", ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"])
def test_a_single_table_call_is_its_own_action_on_the_table(operation: str) -> None:
    assert of("dynamodb", operation, TableName="Locations", Key={}) == [
        Permission(f"dynamodb:{operation}", f"{TABLE}/Locations")
    ]


def test_a_query_of_an_index_is_authorised_on_the_index() -> None:
    assert of("dynamodb", "Query", TableName="Locations", IndexName="LocationsById") == [
        Permission("dynamodb:Query", f"{TABLE}/Locations/index/LocationsById")
    ]


def test_a_table_named_by_its_arn_keeps_it() -> None:
    assert of("dynamodb", "GetItem", TableName=f"{TABLE}/Contacts") == [
        Permission("dynamodb:GetItem", f"{TABLE}/Contacts")
    ]


def test_a_write_transaction_needs_each_items_own_action_on_its_table() -> None:
    items = [
        {"Put": {"TableName": "Contacts", "Item": {}}},
        {"Update": {"TableName": "Counters", "Key": {}, "UpdateExpression": "SET a = :a"}},
        {"Delete": {"TableName": "Contacts", "Key": {}}},
        {"ConditionCheck": {"TableName": "Locations", "Key": {}, "ConditionExpression": "x"}},
        {"Put": {"TableName": "Contacts", "Item": {}}},
    ]
    assert of("dynamodb", "TransactWriteItems", TransactItems=items) == [
        Permission("dynamodb:PutItem", f"{TABLE}/Contacts"),
        Permission("dynamodb:UpdateItem", f"{TABLE}/Counters"),
        Permission("dynamodb:DeleteItem", f"{TABLE}/Contacts"),
        Permission("dynamodb:ConditionCheckItem", f"{TABLE}/Locations"),
    ]


def test_a_read_transaction_needs_get_item_on_each_table() -> None:
    items = [{"Get": {"TableName": "Contacts", "Key": {}}}, {"Get": {"TableName": "Messages", "Key": {}}}]
    assert of("dynamodb", "TransactGetItems", TransactItems=items) == [
        Permission("dynamodb:GetItem", f"{TABLE}/Contacts"),
        Permission("dynamodb:GetItem", f"{TABLE}/Messages"),
    ]


@pytest.mark.parametrize("operation", ["BatchGetItem", "BatchWriteItem"])
def test_a_batch_is_its_own_action_on_every_table_it_names(operation: str) -> None:
    assert of("dynamodb", operation, RequestItems={"Contacts": {}, "Counters": {}}) == [
        Permission(f"dynamodb:{operation}", f"{TABLE}/Contacts"),
        Permission(f"dynamodb:{operation}", f"{TABLE}/Counters"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://sqs.us-east-1.amazonaws.com/123456789012/smsgate-OutboundQueue-1AB",
        "http://127.0.0.1:5000/123456789012/smsgate-OutboundQueue-1AB",
    ],
)
def test_a_queue_url_names_the_queue_arn_and_a_batch_is_the_single_action(url: str) -> None:
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:smsgate-OutboundQueue-1AB"
    assert of("sqs", "SendMessageBatch", QueueUrl=url, Entries=[]) == [Permission("sqs:SendMessage", arn)]
    assert of("sqs", "DeleteMessageBatch", QueueUrl=url) == [Permission("sqs:DeleteMessage", arn)]
    assert of("sqs", "ReceiveMessage", QueueUrl=url) == [Permission("sqs:ReceiveMessage", arn)]


def test_a_publish_is_authorised_on_its_topic() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:smsgate-InboundTopic-9Z"
    assert of("sns", "Publish", TopicArn=topic, Message="{}") == [Permission("sns:Publish", topic)]
    assert of("sns", "PublishBatch", TopicArn=topic) == [Permission("sns:Publish", topic)]


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("/smsgate/twilio/auth-token", "parameter/smsgate/twilio/auth-token"),
        ("plain", "parameter/plain"),
    ],
)
def test_a_parameter_name_becomes_its_arn(name: str, arn: str) -> None:
    assert of("ssm", "GetParameter", Name=name, WithDecryption=True) == [
        Permission("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:{arn}")
    ]


def test_a_secret_named_by_name_is_its_arn_with_the_random_suffix() -> None:
    (permission,) = of("secretsmanager", "GetSecretValue", SecretId="smsgate/twilio")
    assert permission.action == "secretsmanager:GetSecretValue"
    assert permission.resource is not None
    assert permission.resource.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:smsgate/twilio-")
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:other-AbCdEf"
    assert of("secretsmanager", "GetSecretValue", SecretId=arn) == [
        Permission("secretsmanager:GetSecretValue", arn)
    ]


@pytest.mark.parametrize(
    ("identity", "resource"),
    [
        ("+12025550188", "phone-number/+12025550188"),
        ("55123", "phone-number/55123"),  # a short code
        ("phone-0123456789abcdef", "phone-number/phone-0123456789abcdef"),
        ("pool-0123456789abcdef", "pool/pool-0123456789abcdef"),
        ("SMSGATE", "sender-id/SMSGATE"),
    ],
)
def test_a_text_message_is_authorised_on_its_origination_identity_and_configuration_set(
    identity: str, resource: str
) -> None:
    sms_voice = f"arn:aws:sms-voice:{REGION}:{ACCOUNT}"
    assert of(
        "sms-voice",
        "SendTextMessage",
        DestinationPhoneNumber="+447911120143",
        OriginationIdentity=identity,
        MessageBody="hi",
        ConfigurationSetName="smsgate",
    ) == [
        Permission("sms-voice:SendTextMessage", f"{sms_voice}:{resource}"),
        Permission("sms-voice:SendTextMessage", f"{sms_voice}:configuration-set/smsgate"),
    ]


def test_a_call_no_rule_knows_has_no_resource_so_the_check_reports_it() -> None:
    assert of("dynamodb", "ExecuteStatement", Statement="SELECT * FROM t") == [
        Permission("dynamodb:ExecuteStatement", None)
    ]
    assert of("kinesis", "PutRecord", StreamName="s") == [Permission("kinesis:PutRecord", None)]
