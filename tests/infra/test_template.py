"""template.yaml is valid, and the local stack is built from it (STYLE rule 8,
docs/local-stack.md#how-the-stack-is-built-from-the-template)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from local_stack.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM = Path(sys.executable).parent / "sam"
FUNCTIONS = (
    "send_gate",
    "carrier_webhooks",
    "dispatcher",
    "status_callback",
    "inbound_keyword",
    "threshold_audit",
    "release_scheduled",
)


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
    assert len(tables) == 6
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
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    consumed = sorted(mapping["EventSourceArn"]["Fn::GetAtt"][0] for mapping in mappings)
    assert consumed == sorted(name for name in queues if "DeadLetter" not in name)
    assert all(mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for mapping in mappings)
    # Declared as resources, not SAM `SQS` events (which would add a policy naming every queue).
    assert not [
        event
        for resource in resources.values()
        for event in resource.get("Properties", {}).get("Events", {}).values()
        if event["Type"] == "SQS"
    ]


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
        settings.schedule_table,
    ):
        assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    sqs = boto3.client("sqs")
    for output in (
        "OutboundQueueUrl",
        "CarrierEventsQueueUrl",
        "InboundQueueUrl",
        "AuditQueueUrl",
        "ReleaseQueueUrl",
    ):
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
    for subscription in subscriptions:
        attributes = boto3.client("sns").get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"]
        )["Attributes"]
        assert "DeadLetter" in json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    assert {q.function for q in stack.queues} == {
        "DispatcherFunction",
        "StatusCallbackFunction",
        "InboundKeywordFunction",
        "ThresholdAuditFunction",  # the chunks of a fanned-out audit run (AuditQueue)
        "ReleaseScheduledFunction",  # the minute-shards of a fanned-out release (ReleaseQueue)
    }
    assert sorted(s.function for s in stack.schedules) == [
        "ReleaseScheduledFunction",
        "ThresholdAuditFunction",
    ]
    release = next(s for s in stack.schedules if s.function == "ReleaseScheduledFunction")
    assert release.expression == "rate(1 minute)"
    assert len(stack.routes) == len(
        [
            e
            for r in load_template()["Resources"].values()
            for e in r.get("Properties", {}).get("Events", {}).values()
            if e["Type"] == "HttpApi"
        ]
    )


# --- the End User Messaging SMS topics: customer managed key and topic policy
# (docs/deploying.md#nothing-undeliverable-is-dropped)

EUM_TOPICS = ("CarrierEventsTopic", "InboundTopic")
ACCOUNT_CONDITION = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_the_end_user_messaging_topics_use_a_rotated_customer_managed_key() -> None:
    resources = load_template()["Resources"]
    key = resources["MessagingEventsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    for topic in EUM_TOPICS:
        assert resources[topic]["Properties"]["KmsMasterKeyId"] == {"Ref": "MessagingEventsKey"}
    statements = _statements(key["Properties"]["KeyPolicy"])
    admin = statements["AccountAdministersTheKey"]
    assert admin["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    assert admin["Action"] == "kms:*"
    for sid, service in (
        ("EndUserMessagingSmsEncryptsWhatItPublishes", "sms-voice.amazonaws.com"),
        ("SnsUsesTheKeyForItsTopics", "sns.amazonaws.com"),
    ):
        statement = statements[sid]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": service}
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"]["StringEquals"] == ACCOUNT_CONDITION["StringEquals"]
    sms_source = statements["EndUserMessagingSmsEncryptsWhatItPublishes"]["Condition"]["ArnLike"]
    assert sms_source == {
        "aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:*"}
    }


def test_every_function_publishing_to_those_topics_may_use_their_key() -> None:
    resources = load_template()["Resources"]

    def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            statement
            for policy in function["Properties"]["Policies"]
            if isinstance(policy, dict)
            for statement in policy.get("Statement", [])
        ]

    publishers = {
        name: statements(function)
        for name, function in _of_type(resources, "AWS::Serverless::Function").items()
        if any(
            "sns:Publish" in _as_list(statement["Action"])
            and {"Ref": topic} in _as_list(statement["Resource"])
            for statement in statements(function)
            for topic in EUM_TOPICS
        )
    }
    # The Twilio webhooks and the dispatcher (the simulator's receipts).
    assert sorted(publishers) == ["CarrierWebhooksFunction", "DispatcherFunction"]
    for granted in publishers.values():
        grants = [s for s in granted if s.get("Resource") == {"Fn::GetAtt": ["MessagingEventsKey", "Arn"]}]
        assert [sorted(grant["Action"]) for grant in grants] == [["kms:Decrypt", "kms:GenerateDataKey*"]]


def test_no_role_uses_a_sam_policy_template() -> None:
    """Explicit statements, each action one the code calls (tests/permissions proves it): SAM's
    CRUD templates granted Scan, DeleteItem and BatchWriteItem on the append-only ledger."""
    for name, function in _of_type(load_template()["Resources"], "AWS::Serverless::Function").items():
        for policy in function["Properties"]["Policies"]:
            assert isinstance(policy, dict) and set(policy) == {"Statement"}, (name, policy)


def test_only_this_accounts_end_user_messaging_may_publish_to_those_topics() -> None:
    policy = load_template()["Resources"]["MessagingEventsTopicPolicy"]
    assert policy["Type"] == "AWS::SNS::TopicPolicy"
    assert policy["Properties"]["Topics"] == [{"Ref": topic} for topic in EUM_TOPICS]
    statements = _statements(policy["Properties"]["PolicyDocument"])
    prefix = "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:"
    expected = {
        "EndUserMessagingSmsPublishesDeliveryEvents": (
            "CarrierEventsTopic",
            {"Fn::Sub": prefix + "configuration-set/${EumConfigurationSet}"},
        ),
        "EndUserMessagingSmsPublishesTwoWayMessages": (
            "InboundTopic",
            [{"Fn::Sub": prefix + "phone-number/*"}, {"Fn::Sub": prefix + "pool/*"}],
        ),
    }
    assert set(statements) == set(expected)
    for sid, (topic, source_arn) in expected.items():
        statement = statements[sid]
        assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
            "Allow",
            {"Service": "sms-voice.amazonaws.com"},
            "sns:Publish",
        )
        assert statement["Resource"] == {"Ref": topic}
        assert statement["Condition"] == {
            **ACCOUNT_CONDITION,
            "ArnLike": {"aws:SourceArn": source_arn},
        }


def test_the_created_topics_are_encrypted_with_the_key_and_still_reach_their_queues(stack: Any) -> None:
    """On moto's CloudFormation: the key is created with rotation, the topics name it, and a
    message published to each topic arrives on its SSE-SQS queue."""
    import json

    from local_stack.stack import STACK_NAME

    [key_id] = [
        summary["PhysicalResourceId"]
        for summary in boto3.client("cloudformation").list_stack_resources(StackName=STACK_NAME)[
            "StackResourceSummaries"
        ]
        if summary["LogicalResourceId"] == "MessagingEventsKey"
    ]
    kms = boto3.client("kms")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    for topic, queue in (
        ("CarrierEventsTopicArn", "CarrierEventsQueueUrl"),
        ("InboundTopicArn", "InboundQueueUrl"),
    ):
        attributes = sns.get_topic_attributes(TopicArn=stack.outputs[topic])["Attributes"]
        assert attributes["KmsMasterKeyId"] == key_id
        encryption = sqs.get_queue_attributes(
            QueueUrl=stack.outputs[queue], AttributeNames=["SqsManagedSseEnabled"]
        )["Attributes"]
        assert encryption["SqsManagedSseEnabled"] == "true"
        sns.publish(TopicArn=stack.outputs[topic], Message=json.dumps({"probe": topic}))
        [received] = sqs.receive_message(QueueUrl=stack.outputs[queue])["Messages"]
        assert json.loads(json.loads(received["Body"])["Message"]) == {"probe": topic}


# --- hardening (docs/guarantees.md#the-template) --------------------------------------------------

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# AWS managed policies SAM attaches. Their statements are AWS's, not ours:
# - AWSLambdaBasicExecutionRole: logs:CreateLogGroup/CreateLogStream/PutLogEvents on "*" (the
#   function's own log group is created by this template with its retention);
# - AWSXrayWriteOnlyAccess: X-Ray's PutTraceSegments/PutTelemetryRecords/GetSampling* have no
#   resource-level permissions at all (Resource must be "*");
# (AWSLambdaSQSQueueExecutionRole, which SAM adds for an SQS event and which names every queue,
# is not among them: the template declares its event source mappings itself, and each consumer
# gets SQSPollerPolicy on its own queue.)
ALLOWED_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
# Inline statements that may name every resource because the action has no resource-level
# permission (none today: X-Ray and CloudWatch metrics come through the managed policy / EMF logs).
RESOURCE_STAR_ACTIONS = {"cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Invoked by SQS event source mappings (synchronous polling: retries and the queue's DLQ) or by
# API Gateway (synchronous: the caller sees the error). Anything else is asynchronous.
SYNCHRONOUS_EVENTS = {"SQS", "HttpApi"}


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_passes() -> None:
    result = subprocess.run(
        [str(CFN_LINT), str(ROOT / "template.yaml")], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_sam_deploy_sends_passes_cfn_lint() -> None:
    """What CloudFormation receives: the template after the SAM transform, with the code URIs
    `sam package` leaves (S3 objects). Linting template.yaml alone cannot see what the transform
    writes: a route integration naming a function whose environment names the API is a cycle
    that only the translated template shows, and only CloudFormation refuses."""
    from cfnlint.api import ManualArgs, lint

    from tests.conftest import _cloudformation_template

    matches = lint(json.dumps(_cloudformation_template()), config=ManualArgs(regions=["us-east-1"]))

    assert [f"{match.rule.id} {match.message} at {'/'.join(map(str, match.path))}" for match in matches] == []


def test_no_policy_grants_every_action_or_every_resource() -> None:
    """Least privilege on the roles SAM generates: no `*` or `service:*` action, no `*` resource
    (KMS key policies are exempt: in a key policy "Resource": "*" means this key)."""
    from tests.conftest import _cloudformation_template

    roles = _of_type(_cloudformation_template()["Resources"], "AWS::IAM::Role")
    assert len(roles) == len(FUNCTIONS)
    for name, role in roles.items():
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = _as_list(statement["Action"])
                assert not [a for a in actions if a == "*" or a.endswith(":*")], (name, statement)
                if "*" in _as_list(statement["Resource"]):
                    assert set(actions) <= RESOURCE_STAR_ACTIONS, (name, statement)


def test_every_queue_and_topic_is_encrypted_at_rest() -> None:
    resources = load_template()["Resources"]
    for name, queue in _of_type(resources, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, name
    keys = _of_type(resources, "AWS::KMS::Key")
    for name, topic in _of_type(resources, "AWS::SNS::Topic").items():
        # A customer managed key of this template: services publishing to the topic can be let in.
        assert topic["Properties"]["KmsMasterKeyId"]["Ref"] in keys, name
    for name, key in keys.items():
        assert key["Properties"]["EnableKeyRotation"] is True, name


def test_the_alarms_topic_key_lets_cloudwatch_publish() -> None:
    resources = load_template()["Resources"]
    alarm_topics = {
        action["Ref"]
        for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values()
        for action in alarm["Properties"]["AlarmActions"]
    }
    assert alarm_topics == {"AlertsTopic"}
    key = resources[resources["AlertsTopic"]["Properties"]["KmsMasterKeyId"]["Ref"]]
    statements = _statements(key["Properties"]["KeyPolicy"])
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == ACCOUNT_CONDITION
    # The audit publishes its notices to the topic: its role may use the key.
    audit_policies = resources["ThresholdAuditFunction"]["Properties"]["Policies"]
    assert any(
        statement.get("Resource") == {"Fn::GetAtt": ["AlertsKey", "Arn"]}
        for policy in audit_policies
        if isinstance(policy, dict)
        for statement in policy.get("Statement", [])
    )


def test_every_asynchronously_invoked_function_has_a_dead_letter_queue() -> None:
    """Only the threshold audit and the release of scheduled messages are invoked asynchronously
    (their EventBridge schedules); the others are SQS- or API-driven, where the queue's DLQ or
    the caller takes the failure."""
    resources = load_template()["Resources"]
    asynchronous = []
    for name, function in _of_type(resources, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        if {event["Type"] for event in properties.get("Events", {}).values()} <= SYNCHRONOUS_EVENTS:
            continue
        asynchronous.append(name)
        on_failure = properties.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        dead_letter = properties.get("DeadLetterQueue")
        assert on_failure or dead_letter, name
        if dead_letter:
            assert dead_letter["Type"] == "SQS"
            assert resources[dead_letter["TargetArn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    assert sorted(asynchronous) == ["ReleaseScheduledFunction", "ThresholdAuditFunction"]


def test_every_dead_letter_queue_and_every_function_has_an_alarm() -> None:
    resources = load_template()["Resources"]
    alarms = list(_of_type(resources, "AWS::CloudWatch::Alarm").values())

    def alarmed(namespace: str, metric: str, dimension: str) -> set[str]:
        """The resources (logical ids) whose `metric` has an alarm that fires on the first one."""
        return {
            next(iter(alarm["Properties"]["Dimensions"][0]["Value"].values()))
            if "Ref" in alarm["Properties"]["Dimensions"][0]["Value"]
            else alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
            for alarm in alarms
            if (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"]) == (namespace, metric)
            and alarm["Properties"]["Dimensions"][0]["Name"] == dimension
            and alarm["Properties"]["Threshold"] == 0
            and alarm["Properties"]["AlarmActions"]
        }

    queues = _of_type(resources, "AWS::SQS::Queue")
    dead_letter_queues = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    } | {
        f["Properties"]["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
        for f in _of_type(resources, "AWS::Serverless::Function").values()
        if "DeadLetterQueue" in f["Properties"]
    }
    assert dead_letter_queues == {name for name in queues if "DeadLetter" in name}
    assert dead_letter_queues <= alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
    functions = set(_of_type(resources, "AWS::Serverless::Function"))
    assert functions <= alarmed("AWS/Lambda", "Errors", "FunctionName")


def test_every_function_log_group_has_a_retention() -> None:
    resources = load_template()["Resources"]
    retained = {
        group["Properties"]["LogGroupName"]["Fn::Sub"]: group["Properties"]["RetentionInDays"]
        for group in _of_type(resources, "AWS::Logs::LogGroup").values()
        if "LogGroupName" in group["Properties"]
    }
    for name in _of_type(resources, "AWS::Serverless::Function"):
        assert retained[f"/aws/lambda/${{{name}}}"] == {"Ref": "LogRetentionDays"}, name
    access_logs = resources["HttpApi"]["Properties"]["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[access_logs]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_route_but_the_carrier_webhooks_needs_iam() -> None:
    resources = load_template()["Resources"]
    assert resources["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    unsigned = [
        event["Properties"]["Path"]
        for function in _of_type(resources, "AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and "Auth" in event["Properties"]
    ]
    assert sorted(unsigned) == ["/v1/webhooks/twilio/inbound", "/v1/webhooks/twilio/status"]
    assert {
        event["Properties"]["Auth"]["Authorizer"]
        for function in _of_type(resources, "AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and "Auth" in event["Properties"]
    } == {"NONE"}
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ALLOW_ANONYMOUS_CALLER"] == "false"


def test_queue_consumers_are_sized_by_their_mappings_not_by_reservations() -> None:
    """A reserved concurrency under the mapping's pollers throttles them (messages received again
    and again, into the DLQ) and fails on accounts with a low quota: the mapping bounds them."""
    resources = load_template()["Resources"]
    for name, mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping").items():
        maximum = mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        assert maximum in (
            {"Ref": "DispatcherMaxConcurrency"},
            {"Ref": "ConsumerMaxConcurrency"},
            {"Ref": "ReleaseMaxConcurrency"},
        ), name
    for name, function in _of_type(resources, "AWS::Serverless::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], name


def test_the_api_and_the_public_webhooks_are_throttled_by_parameters() -> None:
    template = load_template()
    api = template["Resources"]["HttpApi"]["Properties"]
    assert api["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottleRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurstLimit"},
    }
    webhook_routes = {
        f"{event['Properties']['Method']} {event['Properties']['Path']}"
        for event in template["Resources"]["CarrierWebhooksFunction"]["Properties"]["Events"].values()
    }
    assert set(api["RouteSettings"]) == webhook_routes
    for settings in api["RouteSettings"].values():
        assert settings == {
            "ThrottlingRateLimit": {"Ref": "WebhookThrottleRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "WebhookThrottleBurstLimit"},
        }
    for parameter in ("ApiThrottleRateLimit", "WebhookThrottleRateLimit", "DispatcherMaxConcurrency"):
        assert template["Parameters"][parameter]["Type"] == "Number"


def test_the_webhook_function_serves_only_the_webhooks_and_touches_no_table() -> None:
    from tests.conftest import _cloudformation_template

    resources = _cloudformation_template()["Resources"]
    statements = [
        statement
        for policy in resources["CarrierWebhooksFunctionRole"]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    actions = sorted(action for statement in statements for action in _as_list(statement["Action"]))
    assert actions == ["kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish", "ssm:GetParameter"]
    template = load_template()["Resources"]
    served = {
        event["Properties"]["Path"]
        for event in template["CarrierWebhooksFunction"]["Properties"]["Events"].values()
    }
    assert served == {"/v1/webhooks/twilio/status", "/v1/webhooks/twilio/inbound"}
    send_gate_paths = {
        event["Properties"]["Path"] for event in template["SendGateFunction"]["Properties"]["Events"].values()
    }
    assert not [path for path in send_gate_paths if path.startswith("/v1/webhooks/")]


def test_no_function_serving_a_route_names_the_api_in_its_environment() -> None:
    """The route integrations name the function: the function naming the API is a cycle."""
    template = load_template()
    assert "PUBLIC_BASE_URL" not in template["Globals"]["Function"]["Environment"]["Variables"]
    for name, function in _of_type(template["Resources"], "AWS::Serverless::Function").items():
        routes = [e for e in function["Properties"].get("Events", {}).values() if e["Type"] == "HttpApi"]
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if routes:
            assert "HttpApi" not in json.dumps(variables), name


def test_undeliverable_notifications_and_schedule_events_have_a_dead_letter_queue() -> None:
    resources = load_template()["Resources"]
    for name, subscription in _of_type(resources, "AWS::SNS::Subscription").items():
        if subscription["Properties"]["Protocol"] == "sqs":
            target = subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert "DeadLetter" in target, name
    schedule = resources["ThresholdAuditFunction"]["Properties"]["Events"]["AuditSchedule"]["Properties"]
    assert schedule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["AuditDeadLetterQueue", "Arn"]}}
    release = resources["ReleaseScheduledFunction"]["Properties"]["Events"]["ReleaseSchedule"]["Properties"]
    assert release["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ReleaseDeadLetterQueue", "Arn"]}}
    assert resources["EumConfigurationSetResource"]["DependsOn"] == "MessagingEventsTopicPolicy"


def test_the_operational_alarms_exist() -> None:
    alarms = {
        (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"])
        for alarm in _of_type(load_template()["Resources"], "AWS::CloudWatch::Alarm").values()
    }
    assert {
        ("smsgate", "WebhookInvalidSignature"),
        ("AWS/ApiGateway", "5xx"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/Lambda", "Throttles"),
    } <= alarms


def test_the_carrier_infrastructure_alarm_watches_the_metric_the_dispatcher_emits() -> None:
    """Our own faults at the carrier charge no location: the alarm is what tells someone
    (docs/carriers.md#our-own-faults)."""
    dispatch = (ROOT / "layers" / "smsgate" / "smsgate" / "services" / "dispatch.py").read_text()
    properties = load_template()["Resources"]["CarrierInfrastructureAlarm"]["Properties"]

    assert f'name="{properties["MetricName"]}"' in dispatch
    assert (properties["Namespace"], properties["Dimensions"]) == (
        "smsgate",
        [{"Name": "service", "Value": "smsgate"}],
    )
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert properties["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_the_configuration_set_publishes_sms_events_only() -> None:
    destination = load_template()["Resources"]["EumConfigurationSetResource"]["Properties"][
        "EventDestinations"
    ][0]

    assert destination["MatchingEventTypes"] == ["TEXT_ALL"]


def test_the_api_function_has_snapstart_as_a_parameter_and_the_api_calls_its_alias() -> None:
    """SnapStart applies to published versions only: the API's routes and their invoke
    permissions must name the published alias, not $LATEST, whether SnapStart is on or off."""
    from moto import mock_aws

    from local_stack.stack import to_cloudformation

    template = load_template()
    send_gate = template["Resources"]["SendGateFunction"]["Properties"]
    assert send_gate["AutoPublishAlias"] == "live"
    assert send_gate["SnapStart"] == {"ApplyOn": {"Ref": "SendGateSnapStart"}}
    assert set(template["Parameters"]["SendGateSnapStart"]["AllowedValues"]) == {"PublishedVersions", "None"}
    with mock_aws():
        translated = to_cloudformation(template, boto3.client("iam", region_name="us-east-1"))["Resources"]
    permissions = [
        resource["Properties"]["FunctionName"]
        for name, resource in translated.items()
        if resource["Type"] == "AWS::Lambda::Permission" and name.startswith("SendGateFunction")
    ]
    assert permissions and all(target == {"Ref": "SendGateFunctionAliaslive"} for target in permissions)
    assert translated["SendGateFunction"]["Properties"]["SnapStart"] == {
        "ApplyOn": {"Ref": "SendGateSnapStart"}
    }
