"""`make audit`: run the threshold audit once against the running local stack (docs/local-stack.md)."""

import json
import os
import sys

from local_stack.runner import prepare_environment, state_file


def main() -> None:
    # The stack on SMSGATE_API_PORT (3000), or the one whose SMSGATE_STATE_FILE is set.
    path = state_file()
    if not path.exists():
        sys.exit(f"No local stack is running ({path} is missing): start it with 'make run' first.")
    state = json.loads(path.read_text())
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
