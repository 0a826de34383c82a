"""`make audit`: run the threshold audit once against the running local stack (SPEC section 12)."""

import json
import os
import sys

from local_stack.runner import STATE_FILE, prepare_environment


def main() -> None:
    if not STATE_FILE.exists():
        sys.exit(f"No local stack is running ({STATE_FILE} is missing): start it with 'make run' first.")
    state = json.loads(STATE_FILE.read_text())
    prepare_environment(state["endpoint"])
    os.environ.update(state["environment"])
    from local_stack.consumers import scheduled_event
    from local_stack.lambdas import LocalContext, load_handler
    from local_stack.stack import ROOT

    handler = load_handler(ROOT / "functions" / "threshold_audit", "once")
    try:
        result = handler(scheduled_event("make-audit"), LocalContext(function_name="threshold_audit"))
    except Exception as exc:  # the stack may have stopped since it wrote its state file
        sys.exit(f"The audit failed: {type(exc).__name__}: {exc}. Is 'make run' still running?")
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
