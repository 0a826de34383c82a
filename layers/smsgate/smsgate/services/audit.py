"""The threshold audit (docs/audit.md) and the location's health (docs/api.md#answers).

A run at `now`:
1. reads the locations active in the window: the union of the window's hourly active-location
   shards (24 hours × 16 shards = 384 keys, four BatchGetItem calls; never a scan);
2. audits them inline when they fit in one chunk (`audit_chunk_locations`), or else puts one
   SQS message per chunk on the audit queue, each consumed by this same function;
3. per chunk: sums each location's hourly counters (BatchGetItem), reads the locations,
   decides (`policy.audit`) and acts: a violation notice, or a suspension with its notice,
   each claimed with a conditional write so that it is given once per location per window;
4. reports the approved campaigns that have no numbers (docs/audit.md#non-usage).

docs/audit.md#window holds the window semantics, docs/audit.md#scale-100000-active-locations the
arithmetic for 100,000 locations.
"""

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from smsgate.dal import audit, clients, locations, registration
from smsgate.models.audit import WindowCounts
from smsgate.models.entities import Location
from smsgate.models.location_views import HealthView
from smsgate.models.moments import as_utc
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.audit import (
    AuditAction,
    AuditWindow,
    Thresholds,
    Verdict,
    action_to_take,
    audit_verdict,
    audit_window,
    notice_until,
    status_to_restore,
    suspension_end,
)
from smsgate.policy.suspension import is_suspended, location_status
from smsgate.services.profiles import profile_of
from smsgate.settings import get_settings

# A long run says how far it has got every this many locations.
PROGRESS_EVERY = 1000
# Locations whose counters are read and decided together (2,400 hourly items at 24 hours).
READ_BATCH = 100
# SendMessageBatch takes at most 10 messages.
SQS_BATCH = 10


@dataclass
class AuditTally:
    audited: int = 0
    warned: int = 0
    suspended: int = 0
    restored: int = 0

    def __iadd__(self, other: "AuditTally") -> "AuditTally":
        self.audited += other.audited
        self.warned += other.warned
        self.suspended += other.suspended
        self.restored += other.restored
        return self


def thresholds(location: Location | None = None) -> Thresholds:
    """The thresholds of the location's policy profile (the deployment's default for None); the
    deployment may set its own minimum sample."""
    return Thresholds.from_profile(profile_of(location), get_settings().audit_min_sample)


def window_at(now: datetime) -> AuditWindow:
    return audit_window(now, get_settings().audit_window_hours)


def run_audit(now: datetime) -> dict[str, Any]:
    """The scheduled run (steps 1, 2 and 4 of the module doc); returns its report."""
    settings = get_settings()
    window = window_at(now)
    active = sorted(audit.active_locations(window.hours))
    size = settings.audit_chunk_locations
    chunks = [active[first : first + size] for first in range(0, len(active), size)]
    logger.info(
        "threshold audit started",
        extra={"at": as_utc(now).isoformat(), "active_locations": len(active), "chunks": len(chunks)},
    )
    tally = AuditTally()
    queued = 0
    if len(chunks) > 1 and settings.audit_queue_url:
        queued = _fan_out(chunks, now)
    else:
        tally = audit_locations(active, now)
    non_usage = campaigns_without_numbers()
    if non_usage:
        metrics.add_metric(name="CampaignsWithoutNumbers", unit=MetricUnit.Count, value=len(non_usage))
        logger.warning(
            "approved campaigns without numbers (carriers fine non-usage)",
            extra={"action": "flag_non_usage", "location_ids": non_usage, "count": len(non_usage)},
        )
    report = {
        "at": as_utc(now).isoformat(),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "active_locations": len(active),
        **asdict(tally),
        "queued_chunks": queued,
        "campaigns_without_numbers": non_usage,
    }
    logger.info("threshold audit finished", extra={"report": report})
    return report


def audit_chunk(body: dict[str, Any]) -> dict[str, Any]:
    """One fanned-out chunk `{"at", "locations"}` (step 3), audited at the run's own `at`."""
    now = datetime.fromisoformat(str(body["at"]))
    tally = audit_locations([str(location_id) for location_id in body["locations"]], now)
    return {"at": as_utc(now).isoformat(), **asdict(tally)}


def _fan_out(chunks: list[list[str]], now: datetime) -> int:
    settings = get_settings()
    bodies = [json.dumps({"at": as_utc(now).isoformat(), "locations": chunk}) for chunk in chunks]
    for first in range(0, len(bodies), SQS_BATCH):
        entries = [
            {"Id": str(index), "MessageBody": body}
            for index, body in enumerate(bodies[first : first + SQS_BATCH])
        ]
        answer = clients.sqs().send_message_batch(QueueUrl=settings.audit_queue_url, Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(f"could not queue {len(answer['Failed'])} audit chunks; the run will retry")
    logger.info("threshold audit fanned out", extra={"chunks": len(chunks)})
    return len(chunks)


def audit_locations(location_ids: list[str], now: datetime) -> AuditTally:
    """Step 3 for `location_ids`, READ_BATCH locations at a time."""
    window = window_at(now)
    tally = AuditTally()
    for first in range(0, len(location_ids), READ_BATCH):
        batch = location_ids[first : first + READ_BATCH]
        counts = audit.window_counts(batch, window.hours)
        found = locations.get_locations(batch)
        for location_id in batch:
            location = found.get(location_id)
            if location is None:
                continue
            verdict = audit_verdict(counts.get(location_id, WindowCounts()), thresholds(location))
            tally += _apply(location, counts.get(location_id, WindowCounts()), verdict, window, now)
            if tally.audited % PROGRESS_EVERY == 0:
                logger.info("threshold audit progress", extra={"audited": tally.audited, **asdict(tally)})
    metrics.add_metric(name="AuditedLocations", unit=MetricUnit.Count, value=tally.audited)
    metrics.add_metric(name="WarnedLocations", unit=MetricUnit.Count, value=tally.warned)
    metrics.add_metric(name="SuspendedLocations", unit=MetricUnit.Count, value=tally.suspended)
    return tally


def _apply(
    location: Location, counts: WindowCounts, verdict: Verdict, window: AuditWindow, now: datetime
) -> AuditTally:
    done = AuditTally(audited=1)
    action = action_to_take(verdict, location, now)
    settings = get_settings()
    until = notice_until(now, settings.audit_window_hours)
    if action == AuditAction.SUSPENSION:
        suspended_until = suspension_end(now, settings.suspension_hours)
        claimed = audit.claim_notice(
            audit.notice_claim(location.location_id, int(action), now, until),
            locations.suspension_update(location.location_id, suspended_until, now),
        )
        if claimed:
            _notify(location, counts, verdict, window, now, suspended_until)
            done.suspended = 1
    elif action == AuditAction.VIOLATION:
        claimed = audit.claim_notice(
            audit.notice_claim(location.location_id, int(action), now, until),
            locations.warning_update(location.location_id, now),
        )
        if claimed:
            _notify(location, counts, verdict, window, now, None)
            done.warned = 1
    elif status_to_restore(verdict, location, now) and locations.restore_active(
        location.location_id, location.status, now
    ):
        _log_action(location, "restored", counts, verdict, window, previous_status=location.status)
        done.restored = 1
    return done


def _notify(
    location: Location,
    counts: WindowCounts,
    verdict: Verdict,
    window: AuditWindow,
    now: datetime,
    suspended_until: datetime | None,
) -> None:
    """The notice to the Alerts topic (its e-mail subscription is the `AlertEmail` parameter).

    A violation notice that cannot be published gives its claim back, so the next run sends
    it; a suspension stands even then (it protects the carriers' trust), and the run fails so
    the error is seen.
    """
    kind = "suspension" if suspended_until is not None else "violation"
    notice = {
        "kind": kind,
        "location_id": location.location_id,
        "location_name": location.name,
        **_figures(counts, verdict, window),
        "breached": list(verdict.breached),
        "profile": profile_of(location).name,
        "thresholds": thresholds(location).to_api(),
        "suspended_until": suspended_until.isoformat() if suspended_until else None,
        "at": as_utc(now).isoformat(),
    }
    subject = f"smsgate {kind}: location {location.location_id}"[:100]
    try:
        clients.sns().publish(
            TopicArn=get_settings().alerts_topic_arn,
            Subject=subject,
            Message=json.dumps(notice, indent=2),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": kind},
                "location_id": {"DataType": "String", "StringValue": location.location_id},
            },
        )
    except Exception:
        if suspended_until is None:
            audit.release_notice(location.location_id, now)
        logger.exception("audit notice not published", extra={"location_id": location.location_id})
        raise
    _log_action(location, kind, counts, verdict, window, suspended_until=notice["suspended_until"])


def _figures(counts: WindowCounts, verdict: Verdict, window: AuditWindow) -> dict[str, Any]:
    return {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "sent": counts.sent,
        "delivered": counts.delivered,
        "failed": counts.failed,
        "undelivered": counts.undelivered,
        "opt_outs": counts.opt_outs,
        "errors_by_code": {str(code): count for code, count in sorted(counts.errors_by_code.items())},
        "error_rate": round(float(verdict.error_rate), 6),
        "opt_out_rate": round(float(verdict.opt_out_rate), 6),
    }


def _log_action(
    location: Location,
    action: str,
    counts: WindowCounts,
    verdict: Verdict,
    window: AuditWindow,
    **more: Any,
) -> None:
    """One structured line per action (counts and rates only: no number, no body)."""
    figures = _figures(counts, verdict, window)
    logger.info(
        f"audit action: {action}",
        extra={
            "action": action,
            "location_id": location.location_id,
            "sent": counts.sent,
            "errors": counts.errors,
            "opt_outs": counts.opt_outs,
            "error_rate": figures["error_rate"],
            "opt_out_rate": figures["opt_out_rate"],
            "window_start": figures["window"]["start"],
            **more,
        },
    )


def campaigns_without_numbers() -> list[str]:
    """Locations whose approved campaign has no numbers (carriers fine non-usage:
    docs/audit.md#non-usage), from the registration's sparse index: one query, never a scan."""
    return sorted(registration.campaigns_without_numbers())


def location_health(location_id: str, now: datetime) -> HealthView:
    """`GET /v1/locations/{id}/health` (docs/api.md#answers): what the audit sees for the location now."""
    location = locations.require_location(location_id)
    window = window_at(now)
    counts = audit.window_counts([location_id], window.hours).get(location_id, WindowCounts())
    limits = thresholds(location)
    verdict = audit_verdict(counts, limits)
    return HealthView.model_validate(
        {
            "profile": profile_of(location).name,
            "location_id": location_id,
            "status": location_status(location, now),
            "suspended_until": location.suspended_until.isoformat()
            if location.suspended_until and is_suspended(location, now)
            else None,
            **_figures(counts, verdict, window),
            "thresholds": limits.to_api(),
            "min_sample": limits.min_sample,
            "verdict": verdict.action.name.lower(),
            "below_min_sample": verdict.below_min_sample,
        }
    )
