"""IAM's evaluation of a role's statements (tests/permissions/iam.py) on allow, deny and wildcards."""

from typing import Any

import pytest

from tests.permissions.iam import Statement, UnsupportedStatement, evaluate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Contacts"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:Outbound"


def statements(*documents: dict[str, Any]) -> list[Statement]:
    return [Statement(f"policy/{index}", document) for index, document in enumerate(documents)]


def allowed(role: list[Statement], action: str, resource: str) -> bool:
    return evaluate(role, action, resource).allowed


def test_an_allow_on_the_action_and_resource_allows() -> None:
    role = statements({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": TABLE})
    decision = evaluate(role, "dynamodb:GetItem", TABLE)
    assert decision.allowed
    assert decision.why == "allowed by policy/0"


def test_nothing_granted_is_an_implicit_deny() -> None:
    role = statements({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE})
    assert evaluate(role, "dynamodb:DeleteItem", TABLE).why == "no statement allows it"
    assert not allowed(role, "dynamodb:GetItem", TABLE + "2")
    assert not allowed(role, "dynamodb:GetItem", TABLE + "/index/ByName")
    assert not allowed([], "sns:Publish", "*")


def test_an_explicit_deny_wins_over_any_allow() -> None:
    role = statements(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["dynamodb:DeleteItem", "dynamodb:Scan"], "Resource": TABLE},
    )
    decision = evaluate(role, "dynamodb:DeleteItem", TABLE)
    assert not decision.allowed
    assert decision.why == "explicitly denied by policy/1"
    assert allowed(role, "dynamodb:PutItem", TABLE)


def test_action_wildcards_and_case() -> None:
    role = statements(
        {"Effect": "Allow", "Action": ["sqs:SendMessage*", "kms:GenerateDataKey?"], "Resource": "*"}
    )
    assert allowed(role, "sqs:SendMessage", QUEUE)
    assert allowed(role, "sqs:sendmessage", QUEUE)  # IAM action names are not case-sensitive
    assert allowed(role, "kms:GenerateDataKeyX", QUEUE)
    assert not allowed(role, "kms:GenerateDataKey", QUEUE)  # `?` is exactly one character
    assert not allowed(role, "sqs:ReceiveMessage", QUEUE)


def test_resource_wildcards_are_case_sensitive_and_stay_in_their_segment() -> None:
    role = statements(
        {
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/Contacts/index/*"],
        },
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:123456789012:Out*"},
    )
    assert allowed(role, "dynamodb:Query", TABLE + "/index/ByName")
    assert not allowed(role, "dynamodb:Query", TABLE)
    assert not allowed(role, "dynamodb:Query", TABLE.replace("Contacts", "contacts") + "/index/ByName")
    assert allowed(role, "sqs:SendMessage", QUEUE)
    # The region's wildcard does not reach into the account segment.
    assert not allowed(role, "sqs:SendMessage", "arn:aws:sqs:us-east-1:999999999999:Outbound")


def test_a_dot_in_a_pattern_is_a_dot() -> None:
    role = statements(
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/a.b"}
    )
    assert allowed(role, "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/a.b")
    assert not allowed(role, "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/aXb")


def test_not_action_and_not_resource_invert_their_match() -> None:
    role = statements(
        {"Effect": "Allow", "NotAction": ["dynamodb:DeleteItem", "dynamodb:Scan"], "Resource": TABLE},
        {"Effect": "Deny", "Action": "sqs:*", "NotResource": QUEUE},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    )
    assert allowed(role, "dynamodb:PutItem", TABLE)
    assert not allowed(role, "dynamodb:Scan", TABLE)
    assert allowed(role, "sqs:SendMessage", QUEUE)
    assert not allowed(role, "sqs:SendMessage", QUEUE + "2")


def test_a_condition_is_refused_loudly_rather_than_allowed() -> None:
    role = statements(
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": TABLE,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["loc-1"]}},
        }
    )
    with pytest.raises(UnsupportedStatement, match="Condition"):
        evaluate(role, "dynamodb:GetItem", TABLE)
    # A statement that does not concern the request is no reason to stop.
    assert not allowed(role, "dynamodb:PutItem", TABLE)
