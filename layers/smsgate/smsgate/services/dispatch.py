"""The dispatcher's use case: hand one queued message to the carrier, once (docs/carriers.md).

One message goes through these steps:

1. Claim `send#<message_id>` in the IdempotencyTable. A redelivered queue message finds the
   claim and sends nothing.
   A message whose validity ran out in the queue ends `failed` with 30036, unsent and
   uncounted (docs/carriers.md#message-type-and-validity).
2. Wait for the message's slot on its sending number and its campaign, shared by every
   dispatcher instance (`Pacer`, docs/pacing.md). A slot further away than the invocation can
   wait is not slept on: the claim is released and `SendPostponed` puts the message back in
   the queue until the key has room; nothing was sent or counted.
3. Send, retrying throttling and 5xx answers with backoff and jitter (`send_with_retry`). An
   attempt starts only while a whole carrier timeout still fits in the invocation: a Lambda
   killed by its timeout mid-send would keep the claim and strand the message.
4. Then, by outcome:
   - accepted: count `sent` in the audit counters, then move the message to `sent`;
   - permanently rejected: count `sent` as well (it was attempted; the audit divides the
     errors by it), then apply a `failed` receipt with the carrier's code. No retry. A 21610 (the
     contact opted out at the carrier) counts nothing: it is a DND, not the location's error;
   - transient to the last attempt, or out of time: release the claim and raise. The record
     becomes a batch item failure, SQS redelivers it, and after `maxReceiveCount` receives the
     redrive policy moves it to the dead-letter queue;
   - transient with the carrier's advice to come back later than a retry can wait (Twilio's
     full sender queue, a `Retry-After`): release the claim and raise `SendPostponed`, whose
     handler makes the record invisible for that long (docs/carriers.md#retry-advice);
   - refused for our own set-up (credentials, permissions, configuration, quota, spend limit):
     nothing is counted for the location, the metric `CarrierInfrastructureFault` sets off its
     alarm, and the message waits like a postponed one: the quota's advice, or `HOLD_SECONDS`
     between tries until an operator has fixed what retrying cannot (docs/carriers.md#our-own-faults).

Windows that remain (docs/carriers.md): a crash between the carrier's acceptance and the writes
of step 4 leaves the claim held and the message `queued`; the redelivery sends nothing (at most
once rather than twice) and the carrier's receipt later moves the message on. A carrier timeout
is the opposite case: the carrier may have taken the message, the error is transient, and the
retry can send it a second time; neither carrier API offers an idempotency key to prevent it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from smsgate.carriers.base import (
    Carrier,
    CarrierError,
    InfrastructureCarrierError,
    OutboundSms,
    PermanentCarrierError,
    SendResult,
    TransientCarrierError,
)
from smsgate.carriers.factory import carrier_for
from smsgate.carriers.retry import send_with_retry
from smsgate.dal import audit, clients, events, locations, messages
from smsgate.models.addresses import is_short_code
from smsgate.models.entities import StatusChange
from smsgate.models.events import Receipt
from smsgate.models.outbound import OutboundRecord
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.receipts import is_audited
from smsgate.policy.validity import (
    MIN_VALIDITY_SECONDS,
    VALIDITY_EXPIRED,
    message_type,
    remaining_seconds,
    validity_seconds,
)
from smsgate.services.pacing import Pacer, PacingPostponed
from smsgate.services.receipts import apply_receipt
from smsgate.settings import Settings

# Time an accepted send still needs after the carrier's answer: the audit count and status write.
WRITES_SECONDS = 2.0
# How long a message refused for our own set-up waits between tries when retrying alone cannot
# help: long enough not to hammer the carrier, short enough that sending resumes within the
# hour once an operator has fixed it (docs/carriers.md#our-own-faults).
HOLD_SECONDS = 3600
# The longest a dispatcher sleeps for a pacing slot even when its invocation could wait longer:
# an instance asleep on one number does not send for the others (docs/pacing.md#postponed).
MAX_PACING_WAIT_SECONDS = 10.0
# SQS's longest visibility timeout.
MAX_WAIT_SECONDS = 43200


class SendDeferred(Exception):
    """Too little of the invocation is left for a carrier attempt; the queue redelivers the message."""


class SendPostponed(Exception):
    """The message must wait `seconds` in the queue before the next try (the handler sets its
    visibility timeout); it was not sent and nothing was counted."""

    def __init__(self, reason: str, seconds: float, *, requeue: bool = False) -> None:
        super().__init__(reason)
        self.seconds = max(0, min(MAX_WAIT_SECONDS, int(seconds + 0.999)))
        # A pacing wait goes back as a new message (`outbound.requeue`), not as a failed receive.
        self.requeue = requeue


@dataclass(frozen=True)
class Dispatcher:
    """What one dispatcher instance keeps between messages: the adapter, the per-number
    pacing and the retry budget."""

    carrier: Carrier
    clock: Callable[[], datetime]
    pacer: Pacer
    attempts: int = 1
    sleep: Callable[[float], None] = time.sleep
    # Seconds an attempt may take: the carrier timeout plus the writes that follow it.
    attempt_seconds: float = 10.0 + WRITES_SECONDS

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Callable[[], datetime], sleep: Callable[[float], None] = time.sleep
    ) -> "Dispatcher":
        return cls(
            carrier=carrier_for(settings, clock, clients.sns),
            clock=clock,
            pacer=Pacer.per_second(
                settings.number_mps, settings.number_burst, settings.default_message_class, sleep=sleep
            ),
            attempts=settings.carrier_send_attempts,
            sleep=sleep,
            attempt_seconds=settings.carrier_timeout_seconds + WRITES_SECONDS,
        )

    def dispatch(self, record: OutboundRecord, seconds_left: Callable[[], float] | None = None) -> str:
        """Send one message; returns 'sent', 'rejected', 'expired' or 'duplicate' (steps in the
        module doc).

        `seconds_left` tells how much of the invocation remains (the Lambda context's).
        """
        self._require_time(seconds_left)
        send_key = f"send#{record.message_id}"
        if not events.claim(send_key, self.clock()):
            return self._duplicate(record)
        validity = remaining_seconds(record.expires_at, self.clock())
        if validity is not None and validity < MIN_VALIDITY_SECONDS:
            self._record_expired(record)
            return "expired"
        try:
            self._pace(record, seconds_left)
            self._require_time(seconds_left)
            result = send_with_retry(
                self.carrier,
                outbound_sms(record, validity, program_keyword(record)),
                attempts=self.attempts,
                sleep=self._sleep_within(seconds_left),
            )
        except PacingPostponed as postponed:
            events.release(send_key)
            metrics.add_metric(name="PacingPostponed", unit=MetricUnit.Count, value=1)
            logger.info(
                "message held in the queue for its pacing slot",
                extra={"message_id": record.message_id, "seconds": postponed.seconds},
            )
            raise SendPostponed(str(postponed), postponed.seconds, requeue=True) from None
        except PermanentCarrierError as rejection:
            self._record_rejection(record, rejection)
            return "rejected"
        except InfrastructureCarrierError as fault:
            events.release(send_key)
            _log_infrastructure_fault(record, fault)
            wait = fault.retry_after if fault.retry_after is not None else HOLD_SECONDS
            raise SendPostponed(str(fault), wait) from None
        except TransientCarrierError as exc:
            events.release(send_key)
            _log_not_sent(record, exc)
            if exc.retry_after is not None and exc.retry_after > self.attempt_seconds:
                raise SendPostponed(str(exc), exc.retry_after) from None
            raise
        except Exception as exc:
            events.release(send_key)
            _log_not_sent(record, exc)
            raise
        self._record_sent(record, result)
        return "sent"

    def _pace(self, record: OutboundRecord, seconds_left: Callable[[], float] | None) -> None:
        """Wait for the message's slot, at most as long as a whole attempt still fits after it."""
        keys = self.pacer.keys(
            record.from_number, record.campaign_id, record.message_class, record.number_mps
        )
        can_wait = MAX_PACING_WAIT_SECONDS if seconds_left is None else seconds_left() - self.attempt_seconds
        self.pacer.acquire(keys, min(can_wait, MAX_PACING_WAIT_SECONDS))

    def _require_time(self, seconds_left: Callable[[], float] | None, after_wait: float = 0.0) -> None:
        if seconds_left is not None and seconds_left() - after_wait < self.attempt_seconds:
            raise SendDeferred("too little of the invocation left for a carrier attempt")

    def _sleep_within(self, seconds_left: Callable[[], float] | None) -> Callable[[float], None]:
        """The retry's sleep, refusing a wait after which no whole attempt would fit."""

        def sleep(seconds: float) -> None:
            self._require_time(seconds_left, after_wait=seconds)
            self.sleep(seconds)

        return sleep

    def _record_sent(self, record: OutboundRecord, result: SendResult) -> None:
        now = self.clock()
        # The count goes first: a lost status write is repaired by the carrier's receipt
        # (`queued` may move straight to a final status), a lost count by nothing.
        audit.count(record.location_id, now, {"sent": 1})
        moved = messages.advance_status(
            record.message_id, StatusChange(status="sent", at=now), ["queued"], result.carrier_message_id
        )
        metrics.add_metric(name="Sent", unit=MetricUnit.Count, value=1)
        if record.opt_out_received_at is not None:
            # The FCC's five minutes run from the contact's STOP (docs/inbound.md#one-confirmation).
            delay = (now - datetime.fromisoformat(record.opt_out_received_at)).total_seconds()
            metrics.add_metric(name="OptOutConfirmationDelay", unit=MetricUnit.Seconds, value=max(0.0, delay))
        logger.info(
            "message handed to the carrier",
            extra={"message_id": record.message_id, "carrier": self.carrier.name, "status_moved": moved},
        )

    def _record_rejection(self, record: OutboundRecord, rejection: PermanentCarrierError) -> None:
        now = self.clock()
        if is_audited(rejection.code):
            audit.count(record.location_id, now, {"sent": 1})
        apply_receipt(
            Receipt(
                receipt_id=f"rejected#{record.message_id}",
                message_id=record.message_id,
                carrier=self.carrier.name,
                carrier_message_id=None,
                status="failed",
                error_code=rejection.code,
                carrier_status="rejected",
                occurred_at=now,
            ),
            now,
        )
        metrics.add_metric(name="CarrierRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "carrier rejected the message",
            extra={
                "message_id": record.message_id,
                "carrier": self.carrier.name,
                "error_code": rejection.code,
            },
        )

    def _record_expired(self, record: OutboundRecord) -> None:
        """Its validity ran out in our queue: never sent, so `failed` and counted nowhere."""
        now = self.clock()
        messages.advance_status(
            record.message_id, StatusChange(status="failed", at=now, error_code=VALIDITY_EXPIRED), ["queued"]
        )
        metrics.add_metric(name="ValidityExpired", unit=MetricUnit.Count, value=1)
        logger.warning("message expired before it could be sent", extra={"message_id": record.message_id})

    def _duplicate(self, record: OutboundRecord) -> str:
        metrics.add_metric(name="DuplicateSend", unit=MetricUnit.Count, value=1)
        message = messages.get_message(record.message_id)
        if message is not None and message.status == "queued":
            # Either another instance is sending it right now, or an earlier attempt stopped
            # between the claim and the status write (the window in the module doc).
            metrics.add_metric(name="SendOutcomeUnknown", unit=MetricUnit.Count, value=1)
            logger.warning(
                "send already claimed but the message is still queued",
                extra={"message_id": record.message_id},
            )
        else:
            logger.info("redelivered message, nothing sent", extra={"message_id": record.message_id})
        return "duplicate"


def program_keyword(record: OutboundRecord) -> str | None:
    """The keyword of the short-code program a message goes out under, None for a long number.

    The one read the queue's record does not spare the dispatcher: it names no keyword, and
    whichever path queued a message from a short code (the gate, a keyword's reply, a scheduled
    release), the location's record is where an operator wrote it (docs/carriers.md#short-codes).
    """
    if not is_short_code(record.from_number):
        return None
    return locations.short_code_keyword(record.location_id, record.from_number)


def outbound_sms(
    record: OutboundRecord, validity: int | None = None, keyword: str | None = None
) -> OutboundSms:
    """What the adapter sends: the kind's message type, what remains of the validity (the
    kind's default when the record names no end) and a short code's program keyword."""
    return OutboundSms(
        **record.addressing(),
        message_type=message_type(record.kind),
        validity_seconds=validity if validity is not None else validity_seconds(record.kind, None),
        keyword=keyword,
    )


def _log_infrastructure_fault(record: OutboundRecord, fault: InfrastructureCarrierError) -> None:
    metrics.add_metric(name="CarrierInfrastructureFault", unit=MetricUnit.Count, value=1)
    logger.error(
        "the carrier refused our own set-up; the message waits and no location is charged",
        extra={
            "message_id": record.message_id,
            "reason": str(fault),
            "code": fault.code,
            "held_for_operator": fault.retry_after is None,
        },
    )


def _log_not_sent(record: OutboundRecord, exc: Exception) -> None:
    # Carrier errors' messages carry codes only; other errors are named by type, because a
    # library's message may quote the number or the body.
    reason = str(exc) if isinstance(exc, CarrierError | SendDeferred) else type(exc).__name__
    metrics.add_metric(name="SendRetryLater", unit=MetricUnit.Count, value=1)
    logger.warning(
        "message not sent, left for redelivery", extra={"message_id": record.message_id, "reason": reason}
    )
