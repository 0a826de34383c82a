"""The permission check and the unused-grant listing over a recording (docs/guarantees.md#permissions).

`denied(...)`: every recorded call its function's role would not allow; the test session fails
on any (tests/conftest.py). `unused(...)`: every Allow a role grants that no recorded call of
that function used, less those tests/permissions/justified.py keeps; `make permissions` prints
them: `python -m tests.permissions.report RECORDING`.
"""

import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.permissions.calls import Permission
from tests.permissions.iam import UnsupportedStatement, action_matches, evaluate, resource_matches
from tests.permissions.justified import JUSTIFIED
from tests.permissions.recorder import read
from tests.permissions.roles import StackModel


@dataclass(frozen=True, order=True)
class Denial:
    function: str
    action: str
    resource: str
    call: str
    why: str


@dataclass(frozen=True, order=True)
class UnusedGrant:
    function: str
    statement: str
    action: str
    resources: str  # the granted resources no call used
    justification: str | None  # why it is kept (tests/permissions/justified.py), None: remove it


def stack_model() -> StackModel:
    """The roles of template.yaml, translated as `sam deploy` would translate them."""
    import boto3
    from moto import mock_aws

    # The translator asks the (emulated) IAM for the managed policies' ARNs, in some region.
    for variable, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing")):
        os.environ.setdefault(variable, value)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    from local_stack.stack import load_template, to_cloudformation

    with mock_aws():
        return StackModel(load_template(), to_cloudformation(load_template(), boto3.client("iam")))


def _requested(model: StackModel, calls: Iterable[dict[str, Any]]) -> dict[str, set[tuple[Permission, str]]]:
    """Per function folder: each (permission, API call) it needed, names made canonical, with
    the permissions a call implies (KMS behind an encrypted topic) and those Lambda needs of
    the role as the template wires the function (a queue it polls)."""
    requested: dict[str, set[tuple[Permission, str]]] = defaultdict(set)
    for folder, role in model.roles.items():
        requested[folder].update(model.platform(role.function))
    for call in calls:
        resource = call["resource"]
        permission = Permission(call["action"], model.canonical(resource) if resource else None)
        requested[call["function"]].add((permission, call["call"]))
        for implied in model.implied(permission):
            requested[call["function"]].add((implied, f"{call['call']} (implied)"))
    return requested


def denied(model: StackModel, calls: Iterable[dict[str, Any]]) -> list[Denial]:
    found: list[Denial] = []
    for folder, requests in _requested(model, calls).items():
        role = model.roles.get(folder)
        for permission, call in sorted(requests):
            function = role.function if role else folder
            resource = permission.resource or "?"
            if role is None:
                why = f"no function of template.yaml has CodeUri functions/{folder}"
            elif permission.resource is None:
                why = f"no resource rule for {call} in tests/permissions/calls.py"
            else:
                try:
                    decision = evaluate(role.statements, permission.action, permission.resource)
                except UnsupportedStatement as exc:
                    why = str(exc)
                else:
                    if decision.allowed:
                        continue
                    why = decision.why
            found.append(Denial(function, permission.action, resource, call, why))
    return found


def unused(
    model: StackModel,
    calls: Iterable[dict[str, Any]],
    justifications: Mapping[tuple[str, str], str] = JUSTIFIED,
) -> list[UnusedGrant]:
    """Each granted (statement, action) with the resources no call of its function used."""
    requested = _requested(model, calls)
    found: list[UnusedGrant] = []
    for folder, role in sorted(model.roles.items()):
        used = [permission for permission, _ in requested.get(folder, set()) if permission.resource]
        for statement in role.statements:
            if statement.effect != "Allow":
                continue
            actions = statement.values("Action") or [f"NotAction {statement.values('NotAction')}"]
            resources = statement.values("Resource") or [f"NotResource {statement.values('NotResource')}"]
            for action in actions:
                idle = [
                    resource
                    for resource in resources
                    if not any(
                        action_matches(action, p.action) and resource_matches(resource, str(p.resource))
                        for p in used
                    )
                ]
                if idle:
                    found.append(
                        UnusedGrant(
                            role.function,
                            statement.label,
                            action,
                            ", ".join(map(_short, idle)),
                            justifications.get((role.function, action)),
                        )
                    )
    return found


def needed(model: StackModel, calls: Iterable[dict[str, Any]]) -> list[list[str]]:
    """Per function and resource, the actions the recorded calls and the template's wiring
    need: what an explicit role would grant."""
    rows = []
    for folder, requests in sorted(_requested(model, calls).items()):
        role = model.roles.get(folder)
        by_resource: dict[str, set[str]] = defaultdict(set)
        for permission, _ in requests:
            by_resource[_short(permission.resource or "?")].add(permission.action)
        for resource, actions in sorted(by_resource.items()):
            rows.append([role.function if role else folder, resource, ", ".join(sorted(actions))])
    return rows


def _short(arn: str) -> str:
    """An ARN without the partition, region and account every one of them shares."""
    parts = arn.split(":", 5)
    return f"{parts[2]}:{parts[5]}" if len(parts) == 6 else arn


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(r) for r in rows)])


def denials_table(denials: list[Denial]) -> str:
    return table(
        ["function", "action", "resource", "call", "why"],
        [[d.function, d.action, _short(d.resource), d.call, d.why] for d in denials],
    )


def unused_table(grants: list[UnusedGrant]) -> str:
    return table(
        ["function", "statement", "action", "resources no call used"],
        [[g.function, g.statement, g.action, g.resources] for g in grants],
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.permissions.report RECORDING.jsonl", file=sys.stderr)
        return 2
    calls = read(Path(argv[0]))
    if not calls:
        print(f"{argv[0]}: no recorded call (run the integration and e2e tests with recording)")
        return 2
    model = stack_model()
    denials = denied(model, calls)
    grants = [grant for grant in unused(model, calls) if grant.justification is None]
    kept = [grant for grant in unused(model, calls) if grant.justification is not None]
    print(f"{len(calls)} distinct calls recorded by {len({c['function'] for c in calls})} functions")
    print("\nNeeded: what the recorded calls and the template's wiring use, per function and resource\n")
    print(table(["function", "resource", "actions"], needed(model, calls)))
    if denials:
        print(f"\nDenied: {len(denials)} calls the function's role does not allow\n")
        print(denials_table(denials))
    if grants:
        print(
            f"\nUnused: {len(grants)} grants no recorded call used (remove, or justify in "
            "tests/permissions/justified.py)\n"
        )
        print(unused_table(grants))
    print(f"\n{len(JUSTIFIED)} justified grants ({len(kept)} of them unused by this recording)")
    granted = {
        (role.function, action)
        for role in model.roles.values()
        for statement in role.statements
        for action in statement.values("Action")
    }
    stale = sorted(set(JUSTIFIED) - granted)
    for function, action in stale:
        print(f"stale justification: {function} is not granted {action} (remove it from justified.py)")
    return 1 if denials or grants or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
