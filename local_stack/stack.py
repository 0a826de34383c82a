"""Create the CloudFormation stack `smsgate` from template.yaml on the emulated AWS endpoint.

Nothing is defined twice: tables, queues and topics come from the stack moto creates; SNS
subscriptions (which moto's CloudFormation skips), HTTP routes, event source mappings and
schedules are read from the template or from the created stack.
"""

import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.metrics.method_decorator import MetricsMethodWrapperSingleton
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from smsgate.dal import clients

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
STACK_NAME = "smsgate"
ARTIFACT_BUCKET = "smsgate-local-artifacts"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([a-zA-Z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueTrigger:
    function: str
    queue_url: str
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class ScheduleTrigger:
    function: str
    rule_name: str
    expression: str


@dataclass
class LocalStack:
    """What the runner needs to know about the created stack."""

    outputs: dict[str, str]
    code_dirs: dict[str, Path]  # function logical id → its code folder
    physical_names: dict[str, str]  # function logical id → the created function's name
    environment: dict[str, str]
    routes: list[Route] = field(default_factory=list)
    queues: list[QueueTrigger] = field(default_factory=list)
    schedules: list[ScheduleTrigger] = field(default_factory=list)


def load_template() -> dict[str, Any]:
    return dict(yaml_parse(TEMPLATE.read_text()))


def sam_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def http_routes(template: dict[str, Any]) -> list[Route]:
    routes: list[Route] = []
    for name, function in sam_functions(template).items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                routes.append(Route(event["Properties"]["Method"].upper(), event["Properties"]["Path"], name))
    # Static paths before parameterised ones, as API Gateway matches the most specific route.
    return sorted(routes, key=lambda route: (route.path.count("{"), -len(route.path)))


def to_cloudformation(template: dict[str, Any], iam_client: Any) -> dict[str, Any]:
    """SAM → CloudFormation with aws-sam-translator, code locations pointing at a local bucket."""
    template = json.loads(json.dumps(template))
    for name, resource in template["Resources"].items():
        properties = resource.setdefault("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{name}.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = f"s3://{ARTIFACT_BUCKET}/{name}.zip"
    try:
        return dict(transform(template, {}, ManagedPolicyLoader(iam_client)))
    finally:
        # The translator records timings for its own (dummy, offline) publisher; publishing
        # empties them, or it warns of "unpublished metrics" when the process exits.
        MetricsMethodWrapperSingleton.get_instance().publish()


def without_aliases(template: dict[str, Any]) -> dict[str, Any]:
    """The template with each Lambda alias replaced by its function. moto's CloudFormation does
    not create `AWS::Lambda::Alias` (SAM's `AutoPublishAlias`), and an invoke permission naming
    one would name nothing; the local stack calls the handlers in-process, where a function
    and its alias run the same code."""
    aliases = {
        name: resource["Properties"]["FunctionName"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Alias"
    }

    def replaced(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in aliases:
                return aliases[value["Ref"]]
            return {key: replaced(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replaced(item) for item in value]
        return value

    resources = {name: resource for name, resource in template["Resources"].items() if name not in aliases}
    return {**template, "Resources": replaced(resources)}


def _placeholder_zip() -> bytes:
    # moto stores the function but never runs it: the runner calls the handlers in-process.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "Code runs in-process in the local stack; see local_stack/runner.py.\n"
        )
    return buffer.getvalue()


def _wait_for_stack(cloudformation: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        stack: dict[str, Any] = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            if stack["StackStatus"] != "CREATE_COMPLETE":
                raise RuntimeError(
                    f"stack {STACK_NAME} ended in {stack['StackStatus']}: {stack.get('StackStatusReason')}"
                )
            return stack
        if time.monotonic() > deadline:
            raise TimeoutError("the local stack was not created within 120 s")
        time.sleep(0.2)


def create_stack(endpoint: str | None, parameters: dict[str, str]) -> LocalStack:
    from local_stack.moto_server import parse_json_templates_as_json

    parse_json_templates_as_json()
    # The service models botocore reads for every new session (a few hundred ms): read once.
    session = clients.session()

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    template = load_template()
    cloudformation_template = to_cloudformation(template, client("iam"))

    s3 = client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    for name, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=f"{name}.zip", Body=_placeholder_zip())

    cloudformation = client("cloudformation")
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(without_aliases(cloudformation_template)),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = _wait_for_stack(cloudformation)
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    resources = {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for summary in cloudformation.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    }
    _subscribe_queues(template, resources, client("sns"), client("sqs"))

    functions = sam_functions(template)
    lambda_client = client("lambda")
    physical = {name: resources[name] for name in functions}
    environment: dict[str, str] = {}
    for name in functions:
        configuration = lambda_client.get_function_configuration(FunctionName=physical[name])
        variables = configuration.get("Environment", {}).get("Variables", {})
        environment.update({key: str(value) for key, value in variables.items()})
    # The local stack's requests carry no IAM principal (no SigV4 here): the anonymous local
    # caller may act on every location. Only here; the template sets it false
    # (docs/guarantees.md#who-may-act-on-which-location).
    environment["ALLOW_ANONYMOUS_CALLER"] = "true"

    by_physical = {value: key for key, value in physical.items()}
    queues = []
    sqs = client("sqs")
    for mapping in lambda_client.list_event_source_mappings()["EventSourceMappings"]:
        # The runner consumes the queues itself; moto would otherwise try to run the function
        # in Docker for every message sent. Disabled first: moto's queue keeps its own reference
        # to a deleted mapping and would still take (and sometimes lose) the first message sent.
        lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
        function = by_physical[mapping["FunctionArn"].split(":")[-1]]
        queue_name = mapping["EventSourceArn"].split(":")[-1]
        queues.append(
            QueueTrigger(
                function=function,
                queue_url=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
                batch_size=int(mapping.get("BatchSize", 10)),
                report_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
            )
        )
    events = client("events")
    schedules = []
    for rule in events.list_rules()["Rules"]:
        if "ScheduleExpression" not in rule:
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            target_function = by_physical.get(target["Arn"].split(":")[-1])
            if target_function:
                schedules.append(ScheduleTrigger(target_function, rule["Name"], rule["ScheduleExpression"]))

    return LocalStack(
        outputs=outputs,
        code_dirs={name: ROOT / function["Properties"]["CodeUri"] for name, function in functions.items()},
        physical_names=physical,
        environment=environment,
        routes=http_routes(template),
        queues=queues,
        schedules=schedules,
    )


def _subscribe_queues(template: dict[str, Any], resources: dict[str, str], sns: Any, sqs: Any) -> None:
    """Create the template's SNS → SQS subscriptions (moto's CloudFormation skips them)."""
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::SNS::Subscription" or resource["Properties"]["Protocol"] != "sqs":
            continue
        topic_arn = resources[resource["Properties"]["TopicArn"]["Ref"]]
        attributes = {}
        redrive = resource["Properties"].get("RedrivePolicy")
        if redrive:
            dead_letter_url = resources[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]
            dead_letter_arn = _queue_arn(sqs, dead_letter_url)
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letter_arn})
        queue_arn = _queue_arn(sqs, resources[resource["Properties"]["Endpoint"]["Fn::GetAtt"][0]])
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)


def _queue_arn(sqs: Any, queue_url: str) -> str:
    return str(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    )
