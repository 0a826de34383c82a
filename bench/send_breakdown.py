"""Where an accepted and a refused single send spend their time: smsgate's own code, the AWS SDK's
client side of each request, and the emulator (docs/send-path.md#the-floor-on-this-emulator).

The same sends as `bench.http_latency`, opted-in and never-asked recipients interleaved, made to
the `send_gate` handler under in-process moto (`bench.gate`), so no HTTP on either side. Every
send is timed three ways: the whole handler call; the time inside botocore's API calls (the SDK's
serialising, signing, hooks and parsing, with the emulator inside it); and the time inside moto's
own answer to each request. The SDK's share is the second less the third; smsgate's, the first
less the second. An emulator that answered in no time would leave the last two ratios printed:
what the accepted/refused ratio is made of on this machine whatever the emulator.

    python -m bench.send_breakdown      # SMSGATE_BENCH_LATENCY_SENDS=50
"""

import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.gate import Gate, gate_stack, recipient

SENDS = 50
PARTS = ("whole", "smsgate", "sdk", "emulator")


@dataclass
class Stopwatch:
    """Seconds spent inside the timed functions since the last `reset`, by this thread."""

    seconds: float = 0.0
    requests: int = 0
    _depth: threading.local = field(default_factory=threading.local)

    def reset(self) -> None:
        self.seconds, self.requests = 0.0, 0

    def timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "value", 0)
            self._depth.value = depth + 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth.value = depth
                if depth == 0:  # a call made inside a timed call is counted once, in it
                    self.seconds += time.perf_counter() - started
                    self.requests += 1

        return timed_call


@contextmanager
def stopwatches() -> Iterator[tuple[Stopwatch, Stopwatch]]:
    """(inside botocore's API calls, inside moto's answers) while the block runs."""
    import botocore.client
    from moto.core.botocore_stubber import BotocoreStubber

    sdk, emulator = Stopwatch(), Stopwatch()
    client: Any = botocore.client.BaseClient  # its `_make_api_call` is not in botocore's stubs
    api_call, answer = client._make_api_call, BotocoreStubber.__call__
    client._make_api_call = sdk.timed(api_call)
    BotocoreStubber.__call__ = emulator.timed(answer)  # type: ignore[method-assign]
    try:
        yield sdk, emulator
    finally:
        client._make_api_call = api_call
        BotocoreStubber.__call__ = answer  # type: ignore[method-assign]


def _timed_send(
    gate: Gate, location_id: str, phone: str, expected: int, sdk: Stopwatch, emulator: Stopwatch
) -> dict[str, float]:
    sdk.reset()
    emulator.reset()
    started = time.perf_counter()
    answer = gate.send(location_id, phone)
    whole = time.perf_counter() - started
    if answer.status != expected:
        raise RuntimeError(f"expected {expected}, got {answer.status}: {str(answer.body)[:300]}")
    return {
        "whole": whole * 1000,
        "smsgate": (whole - sdk.seconds) * 1000,
        "sdk": (sdk.seconds - emulator.seconds) * 1000,
        "emulator": emulator.seconds * 1000,
        "requests": sdk.requests,
    }


def _medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {part: statistics.median(sample[part] for sample in samples) for part in (*PARTS, "requests")}


def measure(sends: int = SENDS) -> dict[str, Any]:
    """Median milliseconds of each part for `sends` accepted and `sends` refused single sends,
    the first of each a warm-up, not counted."""
    location_id = "bench-breakdown"
    opted_in = [recipient(20_000 + index) for index in range(sends + 1)]
    never_asked = [recipient(70_000 + index) for index in range(sends + 1)]
    accepted: list[dict[str, float]] = []
    refused: list[dict[str, float]] = []
    with gate_stack() as gate:
        gate.new_location(location_id)
        gate.opt_in(location_id, opted_in)
        with stopwatches() as (sdk, emulator):
            for index in range(sends + 1):
                accepted.append(_timed_send(gate, location_id, opted_in[index], 202, sdk, emulator))
                refused.append(_timed_send(gate, location_id, never_asked[index], 422, sdk, emulator))
    accepted_ms, refused_ms = _medians(accepted[1:]), _medians(refused[1:])
    return {
        "sends_each": sends,
        "accepted_ms": accepted_ms,
        "refused_ms": refused_ms,
        "accepted_over_refused": accepted_ms["whole"] / refused_ms["whole"],
        # Were the emulator to answer in no time: smsgate's code and the SDK's client side.
        "without_emulator_accepted_over_refused": (accepted_ms["smsgate"] + accepted_ms["sdk"])
        / (refused_ms["smsgate"] + refused_ms["sdk"]),
        "smsgate_accepted_over_refused": accepted_ms["smsgate"] / refused_ms["smsgate"],
    }


def rows(measured: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The printed table's lines: accepted, refused, and what the part says."""
    accepted, refused = measured["accepted_ms"], measured["refused_ms"]
    notes = {
        "whole": f"handler, in-process moto, no HTTP; ×{measured['accepted_over_refused']:.2f}",
        "smsgate": f"outside AWS calls; ×{measured['smsgate_accepted_over_refused']:.2f}",
        "sdk": "botocore's client side of the AWS requests",
        "emulator": f"moto's answers; without them ×{measured['without_emulator_accepted_over_refused']:.2f}",
    }
    return [
        (
            f"single send, {part}"
            + (
                f" ({accepted['requests']:.0f} / {refused['requests']:.0f} requests)"
                if part == "whole"
                else ""
            ),
            f"{accepted[part]:.2f} ms",
            f"{refused[part]:.2f} ms",
            notes[part],
        )
        for part in PARTS
    ]


if __name__ == "__main__":
    print(json.dumps(measure(int(os.environ.get("SMSGATE_BENCH_LATENCY_SENDS", str(SENDS)))), indent=2))
