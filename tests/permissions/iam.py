"""IAM's evaluation of identity-based policy statements for one request (IAM user guide,
"Policy evaluation logic" and "IAM JSON policy elements"): an explicit Deny wins, then any
Allow, otherwise the request is implicitly denied.

Action names match case-insensitively, resource ARNs case-sensitively; `*` and `?` are
wildcards in both; NotAction and NotResource invert their match. A statement with a Condition
(or a Principal, which an identity policy cannot carry) that applies to the request raises
UnsupportedStatement: a condition this module cannot evaluate must never turn into an allow.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any


class UnsupportedStatement(ValueError):
    """A statement this evaluator cannot decide (a Condition, a Principal)."""


@dataclass(frozen=True)
class Statement:
    """One statement of a role's policy, with the label a report shows for it."""

    label: str  # the policy's name and the statement's Sid or position
    document: dict[str, Any]

    @property
    def effect(self) -> str:
        return str(self.document["Effect"])

    def values(self, element: str) -> list[str]:
        value = self.document.get(element, [])
        return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: str


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{regex}$", (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern, True).match(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """An ARN pattern against an ARN: a wildcard in one of the colon-separated segments before
    the resource part stays in that segment; in the resource part it spans `/` and `:`."""
    if pattern == "*":
        return True
    pattern_parts, resource_parts = pattern.split(":", 5), resource.split(":", 5)
    if len(pattern_parts) != len(resource_parts):
        return False
    return all(
        _pattern(glob, False).match(part) is not None
        for glob, part in zip(pattern_parts, resource_parts, strict=True)
    )


def applies(statement: Statement, action: str, resource: str) -> bool:
    """Whether `statement` concerns `action` on `resource` (before its effect is considered)."""
    if "NotAction" in statement.document:
        action_in = not any(action_matches(p, action) for p in statement.values("NotAction"))
    else:
        action_in = any(action_matches(p, action) for p in statement.values("Action"))
    if not action_in:
        return False
    if "NotResource" in statement.document:
        resource_in = not any(resource_matches(p, resource) for p in statement.values("NotResource"))
    else:
        resource_in = any(resource_matches(p, resource) for p in statement.values("Resource"))
    if resource_in and ("Condition" in statement.document or "Principal" in statement.document):
        raise UnsupportedStatement(
            f"{statement.label}: a Condition or Principal is not evaluated here; "
            f"tests/permissions/iam.py must learn it before it can allow {action}"
        )
    return resource_in


def evaluate(statements: list[Statement], action: str, resource: str) -> Decision:
    """IAM's decision on `action` on `resource` for a principal holding `statements`."""
    allowed_by: list[str] = []
    for statement in statements:
        if not applies(statement, action, resource):
            continue
        if statement.effect == "Deny":
            return Decision(False, f"explicitly denied by {statement.label}")
        allowed_by.append(statement.label)
    if allowed_by:
        return Decision(True, f"allowed by {', '.join(allowed_by)}")
    return Decision(False, "no statement allows it")
