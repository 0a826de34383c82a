"""The local stack fires each scheduled function at the template's rate, or at its own setting."""

from local_stack.runner import schedule_interval
from local_stack.stack import ScheduleTrigger

RELEASE = ScheduleTrigger("ReleaseScheduledFunction", "smsgate-release-scheduled", "rate(1 minute)")
AUDIT = ScheduleTrigger("ThresholdAuditFunction", "smsgate-threshold-audit", "rate(1 hour)")


def test_the_release_fires_every_minute_unless_the_local_setting_says_sooner() -> None:
    assert schedule_interval(RELEASE, {"release_interval": None, "audit_interval": None}) == 60
    assert schedule_interval(RELEASE, {"release_interval": "2", "audit_interval": "3600"}) == 2


def test_each_setting_shortens_only_its_own_function() -> None:
    assert schedule_interval(AUDIT, {"release_interval": "2", "audit_interval": None}) == 3600
    assert schedule_interval(AUDIT, {"release_interval": None, "audit_interval": "5"}) == 5
