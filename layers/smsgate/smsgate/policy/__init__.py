"""Pure decisions (docs/policy.md#public-policy-functions): data and `now` in, decisions out.

No boto3, no I/O, no clock.
"""

from smsgate.policy.keywords import classify_reply
from smsgate.policy.limits import counter_day, daily_limit
from smsgate.policy.receipts import dnd_for_error
from smsgate.policy.segments import count_segments

__all__ = ["classify_reply", "count_segments", "counter_day", "daily_limit", "dnd_for_error"]
