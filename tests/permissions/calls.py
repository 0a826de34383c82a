"""What IAM authorises for one AWS API call: (action, resource ARN) pairs, derived from the
request as the service documents it. Pure: no I/O, no clients.

An API the table below does not know yields a pair whose resource is None: the check reports it
as unknown rather than guessing, so a new kind of call cannot pass unexamined.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

# moto's account; the roles' ${AWS::AccountId} resolves to the same (tests/permissions/roles.py).
ACCOUNT = "123456789012"


@dataclass(frozen=True, order=True)
class Permission:
    """One authorisation IAM evaluates: `action` (prefix:Name) on `resource` (an ARN, `*` for an
    action without resource types, None when no rule below knows the call)."""

    action: str
    resource: str | None


@dataclass(frozen=True)
class Call:
    """One API call as the client makes it."""

    prefix: str  # the service's IAM prefix (botocore's signing name: dynamodb, sms-voice…)
    operation: str  # the API operation (TransactWriteItems)
    params: dict[str, Any]
    region: str
    account: str = ACCOUNT

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def _dynamodb_table(call: Call, name: str) -> str:
    # TableName may already be an ARN (DynamoDB accepts either).
    return name if name.startswith("arn:") else call.arn("dynamodb", f"table/{name}")


# DynamoDB transactions are authorised item by item with the item-level actions ("Using IAM
# with DynamoDB transactions", DynamoDB developer guide); ConditionCheck has its own action.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(call: Call) -> Iterable[Permission]:
    params = call.params
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                yield Permission(
                    f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _dynamodb_table(call, request["TableName"])
                )
        return
    if call.operation in ("BatchGetItem", "BatchWriteItem"):
        # One authorisation of the batch action per table it names.
        for name in params.get("RequestItems", {}):
            yield Permission(f"dynamodb:{call.operation}", _dynamodb_table(call, name))
        return
    if "TableName" not in params:
        yield Permission(f"dynamodb:{call.operation}", None)
        return
    resource = _dynamodb_table(call, params["TableName"])
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    yield Permission(f"dynamodb:{call.operation}", resource)


def _queue_arn(call: Call, queue_url: str) -> str:
    # https://sqs.<region>.amazonaws.com/<account>/<name> (or the emulator's host): the path is
    # the account and the queue's name wherever the queue lives.
    account, name = urlparse(queue_url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{call.region}:{account}:{name}"


# The batch APIs are authorised as the single ones (SQS developer guide, "Amazon SQS API
# permissions: Actions and resource reference").
_SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(call: Call) -> Iterable[Permission]:
    action = f"sqs:{_SQS_BATCHES.get(call.operation, call.operation)}"
    if "QueueUrl" in call.params:
        yield Permission(action, _queue_arn(call, call.params["QueueUrl"]))
    elif "QueueName" in call.params:
        account = call.params.get("QueueOwnerAWSAccountId", call.account)
        yield Permission(action, f"arn:aws:sqs:{call.region}:{account}:{call.params['QueueName']}")
    else:
        yield Permission(action, None)


def _sns(call: Call) -> Iterable[Permission]:
    params = call.params
    if call.operation in ("Publish", "PublishBatch"):
        target = params.get("TopicArn") or params.get("TargetArn")
        # A publish to a phone number has no resource to scope it to.
        yield Permission("sns:Publish", target or ("*" if params.get("PhoneNumber") else None))
        return
    yield Permission(f"sns:{call.operation}", params.get("TopicArn"))


def _ssm_parameter(call: Call, name: str) -> str:
    if name.startswith("arn:"):
        return name
    # A hierarchical name keeps its leading slash after "parameter"; a plain one gets one.
    return call.arn("ssm", f"parameter{name}" if name.startswith("/") else f"parameter/{name}")


def _ssm(call: Call) -> Iterable[Permission]:
    params = call.params
    action = f"ssm:{call.operation}"
    if "Name" in params:
        yield Permission(action, _ssm_parameter(call, params["Name"]))
    elif "Names" in params:
        for name in params["Names"]:
            yield Permission(action, _ssm_parameter(call, name))
    elif "Path" in params:
        yield Permission(action, _ssm_parameter(call, params["Path"]))
    else:
        yield Permission(action, None)


# Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN: a
# policy grants `secret:<name>-*`; a call by name is authorised against that full ARN.
SECRET_SUFFIX = "-AbCdEf"


def _secretsmanager(call: Call) -> Iterable[Permission]:
    secret = call.params.get("SecretId")
    if secret is None:
        yield Permission(f"secretsmanager:{call.operation}", None)
        return
    arn = (
        secret if secret.startswith("arn:") else call.arn("secretsmanager", f"secret:{secret}{SECRET_SUFFIX}")
    )
    yield Permission(f"secretsmanager:{call.operation}", arn)


def _origination_identity(call: Call, identity: str) -> str:
    """The resource an OriginationIdentity names: an ARN, a pool or phone-number id, a sender id,
    or an E.164 number or a short code (authorised as the phone-number resource that holds it; a
    sender id has at least one letter, a short code is digits alone)."""
    if identity.startswith("arn:"):
        return identity
    if identity.startswith("pool-"):
        return call.arn("sms-voice", f"pool/{identity}")
    if identity.startswith("phone-"):
        return call.arn("sms-voice", f"phone-number/{identity}")
    if identity.startswith("+") or identity.isdigit():
        # The number's own id (phone-…) is not in the request; any phone-number grant covers it.
        return call.arn("sms-voice", f"phone-number/{identity}")
    return call.arn("sms-voice", f"sender-id/{identity}")


def _sms_voice(call: Call) -> Iterable[Permission]:
    params = call.params
    action = f"sms-voice:{call.operation}"
    if call.operation not in ("SendTextMessage", "SendMediaMessage", "SendVoiceMessage"):
        yield Permission(action, None)
        return
    # Authorised on each resource the request names (Service Authorization Reference, AWS End
    # User Messaging SMS and Voice v2: SendTextMessage).
    yield Permission(action, _origination_identity(call, params["OriginationIdentity"]))
    configuration_set = params.get("ConfigurationSetName")
    if configuration_set:
        yield Permission(
            action,
            configuration_set
            if configuration_set.startswith("arn:")
            else call.arn("sms-voice", f"configuration-set/{configuration_set}"),
        )


_RULES: dict[str, Callable[[Call], Iterable[Permission]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "ssm": _ssm,
    "secretsmanager": _secretsmanager,
    "sms-voice": _sms_voice,
}


def permissions(call: Call) -> list[Permission]:
    """Every (action, resource) IAM authorises for `call`, in request order, without repeats."""
    rule = _RULES.get(call.prefix)
    found = list(rule(call)) if rule is not None else [Permission(f"{call.prefix}:{call.operation}", None)]
    return list(dict.fromkeys(found))
