"""The benchmark code runs, with tiny sizes (docs/performance.md#reproduce). No timing is
asserted: figures are the benchmark's job; here only their structure and the request-count law."""

import pytest

from bench import decisions, gate
from bench.__main__ import PRICES


def test_a_small_bulk_costs_fewer_aws_requests_per_message_than_one_request_per_recipient() -> None:
    compared = gate.compare(recipients=20, naive_recipients=5)

    bulk, naive = compared["bulk"], compared["naive"]
    assert bulk["accepted"] == 20 and naive["accepted"] == 5
    assert bulk["aws_requests_per_message"] < naive["aws_requests_per_message"]
    assert bulk["counter_writes"] == 1 and naive["counter_writes"] == 5
    assert bulk["requests_by_operation"]["sqs.SendMessageBatch"] == 2
    # One accepted single send: one batched read, one transaction, one queue send (docs/send-path.md).
    assert naive["requests_by_operation"] == {
        "dynamodb.BatchGetItem": 5,
        "dynamodb.TransactWriteItems": 5,
        "sqs.SendMessageBatch": 5,
    }
    assert bulk["write_units"] > 0 and bulk["read_units"] > 0
    cost = gate.cost_per_million(bulk, PRICES)
    assert cost["total"] == cost["dynamodb_writes"] + cost["dynamodb_reads"] + cost["sqs"] > 0
    assert compared["ratios"]["requests_per_message_naive_over_bulk"] > 1


def test_the_policy_chain_decides_every_message_of_the_corpus() -> None:
    bodies = decisions.corpus()[:40]

    measured = decisions.policy_alone(bodies, rounds=1)

    assert measured["decisions"] == 40 == sum(measured["outcomes"].values())
    assert "accepted" in measured["outcomes"]


def test_the_release_bench_releases_every_message_once_and_counts_its_requests() -> None:
    from bench import release

    measured = release.measure(messages_count=40, target=400)

    assert measured["released"] == measured["scheduled"] == 40
    assert measured["failed"] == 0
    # Each message: its claim and its status change, at least.
    assert measured["requests_by_operation"]["dynamodb.UpdateItem"] >= 80
    assert measured["aws_requests_per_released_message"] >= 2
    assert measured["extrapolated"] and measured["release_seconds_at_concurrency_for_target"] > 0
    assert release.makespan(1.0, [2.0, 2.0, 2.0], 2) == 5.0


def test_the_send_breakdown_splits_each_send_into_smsgate_the_sdk_and_the_emulator() -> None:
    from bench import send_breakdown

    measured = send_breakdown.measure(sends=2)

    for answered, requests in ((measured["accepted_ms"], 3), (measured["refused_ms"], 1)):
        assert answered["requests"] == requests
        assert all(answered[part] > 0 for part in send_breakdown.PARTS)
        # The median of 2 sends is their mean, so the parts add up to the whole.
        parts = answered["smsgate"] + answered["sdk"] + answered["emulator"]
        assert parts == pytest.approx(answered["whole"])
    assert len(send_breakdown.rows(measured)) == len(send_breakdown.PARTS)
