"""`make bench`: every benchmark, a printed table and bench/results.json.

So far: the content policy's quality and cost (issue 8). The gate's request and cost
benchmarks come with issue 10.
"""

import json
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.content_quality import evaluate
from bench.content_quality import main as print_content_quality

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> None:
    print_content_quality()
    results = {
        "measured_at": datetime.now(UTC).isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "content_quality": evaluate(),
    }
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten: {RESULTS}")


if __name__ == "__main__":
    main()
