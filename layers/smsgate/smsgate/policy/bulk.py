"""How much of a bulk fits today's limit, and the notice when it does not (docs/policy.md#bulk)."""


def remaining_today(limit: int, used: int) -> int:
    """Messages the location may still send on this counter day (never negative)."""
    return max(0, limit - used)


def bulk_granted(eligible: int, limit: int, used: int) -> int:
    """How many of the `eligible` recipients are accepted when `used` of `limit` are spent:
    as many as remain, the rest fail (docs/policy.md#bulk)."""
    return max(0, min(eligible, remaining_today(limit, used)))


def bulk_notice(limit: int, used_before: int, failed: int) -> str:
    """The bulk notice (docs/policy.md#bulk) with its numbers filled in, word for word."""
    return (
        f"You are allowed to send {limit} message(s) in a day. "
        f"You have already sent {used_before} message(s). "
        f"If you wish to proceed, {failed} Message(s) will be failed."
    )


def bulk_deferred_notice(limit: int, used_before: int, deferred: int, resets_at: str) -> str:
    """The notice when the sender asked that what the limit stops wait for its reset
    (`when_over_limit: defer`, docs/scheduling.md#deferral-over-the-limit): the same first two
    sentences, then what happens to the rest instead of failing."""
    return (
        f"You are allowed to send {limit} message(s) in a day. "
        f"You have already sent {used_before} message(s). "
        f"{deferred} Message(s) will be sent after the limit resets at {resets_at}."
    )


def brand_deferred_notice(notice: str | None, deferred: int, resets_at: str) -> str:
    """The bulk's notice with what the brand's T-Mobile cap deferred to its reset
    (`when_over_limit: defer`, docs/scheduling.md#deferral-over-the-limit) said after the daily
    limit's sentences, when there are any."""
    sentence = (
        f"{deferred} Message(s) will be sent after the brand's T-Mobile daily cap resets at {resets_at}."
    )
    return f"{notice} {sentence}" if notice else sentence
