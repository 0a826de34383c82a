"""Running the functions' handlers in this process, as Lambda would call them."""

import importlib.util
import queue
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The parts of Lambda's context object that powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(code_dir: Path, instance: str) -> Handler:
    """Import `app.py` of a function folder as its own module (one per Lambda instance)."""
    module_name = f"smsgate_local_{code_dir.name}_{instance}"
    spec = importlib.util.spec_from_file_location(module_name, code_dir / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {code_dir / 'app.py'}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler: Handler = module.handler
    return handler


@dataclass
class LogKeys:
    """The keys one Lambda instance's logger adds to every line (function_name, request id,
    correlation id, cold_start): in Lambda each instance is a process of its own."""

    keys: dict[str, Any]


_running = threading.local()  # .log_keys: the LogKeys of the instance this thread runs


def _keys_per_instance(formatter: Any) -> LogKeys:
    """Make `formatter` keep its appended keys per function instance; the keys it held so far.

    powertools' Logger keeps the keys that `inject_lambda_context` appends in one dict on its
    formatter. A Lambda process runs one function, so one dict is right there; this process
    runs every function in threads sharing smsgate's one logger, so a dispatcher's line could
    carry the function_name of the send_gate request that appended its keys last
    (docs/local-stack.md#logs). Idempotent.
    """
    if getattr(type(formatter), "keys_per_instance", False):
        return LogKeys(dict(formatter.log_format))
    outside = LogKeys(formatter.__dict__.pop("log_format"))

    def current() -> LogKeys:
        running: LogKeys | None = getattr(_running, "log_keys", None)
        return running or outside

    def get(_: Any) -> dict[str, Any]:
        return current().keys

    def put(_: Any, keys: dict[str, Any]) -> None:  # clear_state assigns a new dict
        current().keys = keys

    formatter.__class__ = type(
        type(formatter).__name__,
        (type(formatter),),
        {"log_format": property(get, put), "keys_per_instance": True},
    )
    return LogKeys(dict(outside.keys))


class FunctionPool:
    """Up to `size` warm instances of one function, each answering one event at a time."""

    def __init__(self, name: str, code_dir: Path, size: int) -> None:
        self.name = name
        self._instances: queue.Queue[tuple[Handler, LogKeys]] = queue.Queue()
        for index in range(size):
            handler = load_handler(code_dir, str(index))
            from smsgate.observability import logger  # importable once a handler has loaded the layer

            self._instances.put((handler, _keys_per_instance(logger.registered_formatter)))

    @contextmanager
    def _instance(self) -> Iterator[Handler]:
        handler, log_keys = self._instances.get()
        _running.log_keys = log_keys
        try:
            yield handler
        finally:
            _running.log_keys = None
            self._instances.put((handler, log_keys))

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._instance() as handler:
            return handler(event, LocalContext(function_name=self.name))


def log_failure(function: str, what: str) -> None:
    """The traceback of a function that raised, as Lambda's runtime logs it, with what it was
    answering; numbers masked, since a message or a frame may quote one."""
    from smsgate.observability import mask_numbers

    print(
        mask_numbers(f"[local] {function} failed on {what}\n{traceback.format_exc()}"),
        file=sys.stderr,
        flush=True,
    )
