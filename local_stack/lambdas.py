"""Running the functions' handlers in this process, as Lambda would call them."""

import importlib.util
import queue
import sys
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


class FunctionPool:
    """Up to `size` warm instances of one function, each answering one event at a time."""

    def __init__(self, name: str, code_dir: Path, size: int) -> None:
        self.name = name
        self._instances: queue.Queue[Handler] = queue.Queue()
        for index in range(size):
            self._instances.put(load_handler(code_dir, str(index)))

    @contextmanager
    def _instance(self) -> Iterator[Handler]:
        handler = self._instances.get()
        try:
            yield handler
        finally:
            self._instances.put(handler)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._instance() as handler:
            return handler(event, LocalContext(function_name=self.name))
