"""Each function's IAM role as the translated template grants it, in names both sides share.

The roles come from the template aws-sam-translator produces (`local_stack.stack.to_cloudformation`,
as `sam deploy` would): SAM policy templates such as DynamoDBCrudPolicy are statements there.
Every stack resource the template does not name is named by its logical id: a `Ref`/`Fn::GetAtt`
in a policy resolves to an ARN ending in the logical id (`table/LocationsTable`), and a recorded
ARN naming a resource of a created stack (`table/smsgate-LocationsTable-1X2Y…`, CloudFormation's
`<stack>-<logical id>-<suffix>`) is rewritten to the same form. One recording then matches the
roles whichever test's stack made the call. A resource the template names (`TableName`…) keeps
that name on both sides.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tests.permissions.calls import ACCOUNT, SECRET_SUFFIX, Permission
from tests.permissions.iam import Statement

REGION = "us-east-1"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "smsgate",
    "AWS::NoValue": None,
}


# The property that names a resource when the template names it (CloudFormation otherwise names
# it `<stack>-<logical id>-<suffix>`).
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SSM::Parameter": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Lambda::Function": "FunctionName",
}


class UnresolvableIntrinsic(ValueError):
    """A policy uses an intrinsic function these tests cannot resolve."""


@dataclass
class Role:
    function: str  # the function's logical id
    folder: str  # functions/<folder>
    statements: list[Statement] = field(default_factory=list)


class StackModel:
    """The translated template's roles and resources, resolved to logical-id ARNs."""

    def __init__(self, sam_template: dict[str, Any], translated: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, Any]] = translated["Resources"]
        self.parameters = {
            name: str(spec.get("Default", "")) for name, spec in translated.get("Parameters", {}).items()
        }
        self.roles = {role.folder: role for role in self._roles(sam_template)}
        self._logical = re.compile(
            r"(?<=[:/])smsgate-("
            + "|".join(map(re.escape, sorted(self.resources)))
            + r")-[A-Za-z0-9]+(?=$|/)"
        )

    # ---------------------------------------------------------------- recorded side

    def canonical(self, arn: str) -> str:
        """`arn` with a created stack's physical names replaced by their logical ids."""
        return self._logical.sub(lambda found: found.group(1), arn)

    def implied(self, permission: Permission) -> list[Permission]:
        """What IAM also authorises for the caller: publishing to a topic encrypted with a
        customer managed key needs kms:GenerateDataKey and kms:Decrypt on that key (SNS
        developer guide, "Encryption at rest": publishers to an encrypted topic)."""
        if permission.action.lower() != "sns:publish" or permission.resource is None:
            return []
        topics = {
            self._arn(name): name for name, r in self.resources.items() if r["Type"] == "AWS::SNS::Topic"
        }
        topic = topics.get(permission.resource)
        if topic is None:
            return []
        resource = self.resources[topic]
        key = resource.get("Properties", {}).get("KmsMasterKeyId")
        if key is None:
            return []
        key_arn = self._key_arn(key)
        if key_arn is None:
            return []
        return [Permission("kms:GenerateDataKey", key_arn), Permission("kms:Decrypt", key_arn)]

    def platform(self, function: str) -> list[tuple[Permission, str]]:
        """What Lambda itself does with the function's role, as the template wires it: each
        (permission, why). An SQS event source mapping polls with the role (sqs:ReceiveMessage,
        sqs:DeleteMessage, sqs:GetQueueAttributes: Lambda developer guide, "Execution role
        permissions" for Amazon SQS); a dead-letter queue or an asynchronous destination is
        written with it."""
        found: list[tuple[Permission, str]] = []
        for name, resource in self.resources.items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Lambda::EventSourceMapping" and properties.get("FunctionName") == {
                "Ref": function
            }:
                source = self.resolve(properties["EventSourceArn"])
                if isinstance(source, str) and source.startswith("arn:aws:sqs:"):
                    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                        found.append((Permission(action, source), f"Lambda polls ({name})"))
            if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and properties.get("FunctionName") == {
                "Ref": function
            }:
                for outcome, destination in properties.get("DestinationConfig", {}).items():
                    found += self._delivery(
                        self.resolve(destination["Destination"]), f"Lambda {outcome} ({name})"
                    )
        dead_letter = self.resources[function]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
        if dead_letter is not None:
            found += self._delivery(self.resolve(dead_letter), "Lambda dead-letter queue")
        return found

    def _delivery(self, target: Any, why: str) -> list[tuple[Permission, str]]:
        if not isinstance(target, str):
            return []
        if target.startswith("arn:aws:sqs:"):
            return [(Permission("sqs:SendMessage", target), why)]
        if target.startswith("arn:aws:sns:"):
            publish = Permission("sns:Publish", target)
            return [(publish, why)] + [(implied, f"{why} (implied)") for implied in self.implied(publish)]
        return []

    def _key_arn(self, key: Any) -> str | None:
        if isinstance(key, dict) and "Ref" in key and key["Ref"] in self.resources:
            return self._arn(key["Ref"])
        value = self.resolve(key)
        if not isinstance(value, str) or value.startswith("alias/aws/"):
            return None  # an AWS managed key: its key policy lets the service use it for the caller
        if value.startswith("arn:"):
            return value
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:{value if value.startswith('alias/') else 'key/' + value}"

    # ---------------------------------------------------------------- roles

    def _roles(self, sam_template: dict[str, Any]) -> Iterator[Role]:
        for name, resource in sam_template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            folder = PurePosixPath(resource["Properties"]["CodeUri"]).name
            role_ref = self.resources[name]["Properties"]["Role"]
            if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
                raise UnresolvableIntrinsic(f"{name}: its Role is not a role of this stack ({role_ref})")
            role_name = role_ref["Fn::GetAtt"][0]
            yield Role(name, folder, list(self._role_statements(role_name)))

    def _role_statements(self, role_name: str) -> Iterator[Statement]:
        role = self.resources[role_name]["Properties"]
        for policy in self.resolve(role.get("Policies", [])):
            yield from self._statements(policy["PolicyName"], policy["PolicyDocument"])
        # Policies attached from outside the role (AWS::IAM::Policy / ManagedPolicy with Roles).
        for name, resource in self.resources.items():
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                roles = resource["Properties"].get("Roles", [])
                if {"Ref": role_name} in roles:
                    yield from self._statements(name, resource["Properties"]["PolicyDocument"])

    def _statements(self, policy_name: str, document: dict[str, Any]) -> Iterator[Statement]:
        statements = self.resolve(document["Statement"])
        for index, statement in enumerate(statements if isinstance(statements, list) else [statements]):
            yield Statement(f"{policy_name}/{statement.get('Sid') or index}", statement)

    # ---------------------------------------------------------------- intrinsics

    def resolve(self, value: Any) -> Any:
        """`value` with Ref, Fn::GetAtt, Fn::Sub and Fn::Join resolved, and an Fn::If as the
        list of both its branches."""
        if isinstance(value, list):
            resolved: list[Any] = []
            for item in value:
                found = self.resolve(item)
                if isinstance(item, dict) and "Fn::If" in item:
                    resolved += found
                elif found is not None:
                    resolved.append(found)
            return resolved
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            intrinsic = {
                "Ref": self._ref,
                "Fn::GetAtt": self._get_att_argument,
                "Fn::Sub": self._sub,
                "Fn::Join": self._join,
                "Fn::If": self._if,
            }.get(function)
            if intrinsic is not None:
                return intrinsic(argument)
            if function.startswith("Fn::"):
                raise UnresolvableIntrinsic(f"{function} in a role policy")
        return {key: self.resolve(item) for key, item in value.items()}

    def _get_att_argument(self, argument: Any) -> str:
        logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return self._get_att(logical, attribute)

    def _join(self, argument: Any) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.resolve(items))

    def _if(self, argument: Any) -> list[Any]:
        """Both branches: the suites run several configurations (carriers, stages), and a grant
        one configuration holds is the role of the deployments where that code path runs."""
        _, when_true, when_false = argument
        return [found for found in (self.resolve(when_true), self.resolve(when_false)) if found is not None]

    def _physical(self, name: str) -> str:
        """A resource's name: the one its properties give (`TableName`…), else its logical id."""
        resource = self.resources[name]
        explicit = resource.get("Properties", {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
        return name if explicit is None else str(self.resolve(explicit))

    def _ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self._physical(name)}"
        if kind in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret"):
            return self._arn(name)
        return self._physical(name)  # tables, parameters, functions; a key's id

    def _arn(self, name: str) -> str:
        kind = self.resources[name]["Type"]
        physical = self._physical(name)
        service, resource = {
            "AWS::DynamoDB::Table": ("dynamodb", f"table/{physical}"),
            "AWS::SQS::Queue": ("sqs", physical),
            "AWS::SNS::Topic": ("sns", physical),
            "AWS::KMS::Key": ("kms", f"key/{name}"),
            "AWS::Lambda::Function": ("lambda", f"function:{physical}"),
            "AWS::SSM::Parameter": ("ssm", f"parameter/{physical.lstrip('/')}"),
            "AWS::SecretsManager::Secret": ("secretsmanager", f"secret:{physical}{SECRET_SUFFIX}"),
        }.get(kind, ("", ""))
        if not service:
            raise UnresolvableIntrinsic(f"the Arn of {name} ({kind})")
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"

    def _get_att(self, name: str, attribute: str) -> str:
        if attribute == "Arn":
            return self._arn(name)
        if attribute in ("QueueName", "TopicName", "TableName", "Name"):
            return self._physical(name)
        if attribute == "QueueUrl":
            return str(self._ref(name))
        raise UnresolvableIntrinsic(f"Fn::GetAtt {name}.{attribute}")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {key: self.resolve(value) for key, value in variables.items()}

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self._get_att(logical, attribute)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
