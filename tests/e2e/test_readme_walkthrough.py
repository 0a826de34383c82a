"""The README's walk-through, run as a reader runs it: its `sh` blocks pasted in order into one
bash, against a local stack of its own, every answer checked against the `# {…}` line the README
shows under its command. A change of the API that the README does not follow fails here.

The stack is fresh, as a reader's `make run` is: the walk-through's fixed location id, numbers
and usage counts (`"sent_today": 1`) would meet other tests' data on the session's stack.
"""

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LocalStack, running_stack

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
SECTION = "## A walk-through with curl"
BASE_LINE = "B=http://127.0.0.1:3000"
BLOCK_END = "@@ end of block @@"
ANY = "…"  # in an expected answer: any value; bare in an object or a list: and more


def walkthrough_blocks(readme: str) -> list[str]:
    """The `sh` blocks of the walk-through section, in order."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def expected_answers(block: str) -> list[Any]:
    """The answers a block shows: each `# {` or `# [` comment line (and the comment lines that
    continue it) is one JSON document, `…` marking what is not checked."""
    answers: list[Any] = []
    pending: str | None = None
    for line in block.splitlines():
        text = line[2:] if line.startswith("# ") else None
        if pending is None and text is not None and text.startswith(("{", "[")):
            pending = text
        elif pending is not None and text is not None:
            pending += text
        else:
            continue
        try:
            answers.append(json.loads(quote_ellipses(pending)))
        except ValueError:
            continue  # continued on the next comment line
        pending = None
    assert pending is None, f"an answer that is not JSON: {pending}"
    return answers


def quote_ellipses(text: str) -> str:
    """A bare `…` as JSON: `"…": "…"` in an object (more keys), `"…"` in a list (more items)."""
    out: list[str] = []
    brackets: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char in "{[":
            brackets.append(char)
        elif char in "}]":
            brackets.pop()
        elif char == ANY:
            out.append(f'"{ANY}": "{ANY}"' if brackets and brackets[-1] == "{" else f'"{ANY}"')
            continue
        out.append(char)
    return "".join(out)


def matches(expected: Any, actual: Any) -> bool:
    if expected == ANY:
        return True
    if isinstance(expected, dict):
        keys = set(expected) - {ANY}
        return (
            isinstance(actual, dict)
            and keys <= set(actual)
            and (ANY in expected or keys == set(actual))
            and all(matches(expected[key], actual[key]) for key in keys)
        )
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if ANY not in expected:
            return len(expected) == len(actual) and all(map(matches, expected, actual))
        cut = expected.index(ANY)
        head, tail = expected[:cut], expected[cut + 1 :]
        return (
            len(actual) >= len(head) + len(tail)
            and all(map(matches, head, actual[: len(head)]))
            and all(map(matches, tail, actual[len(actual) - len(tail) :]))
        )
    return bool(expected == actual)


def json_documents(output: str) -> list[Any]:
    """The JSON documents curl printed one after the other (without newlines between them)."""
    decoder, documents, index = json.JSONDecoder(), [], 0
    while True:
        while index < len(output) and output[index].isspace():
            index += 1
        if index == len(output):
            return documents
        document, index = decoder.raw_decode(output, index)
        documents.append(document)


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("walkthrough-stack")) as stack:
        yield stack


def test_the_ellipsis_reading_of_expected_answers() -> None:
    assert json.loads(quote_ellipses('{"a": "…", "b": […], …}')) == {"a": ANY, "b": [ANY], ANY: ANY}
    assert matches({"a": 1, ANY: ANY}, {"a": 1, "b": 2})
    assert not matches({"a": 1}, {"a": 1, "b": 2})  # without `…` no other key is allowed
    assert matches([1, ANY, 3], [1, 2, 2, 3]) and not matches([1, ANY, 3], [1, 2])
    assert json_documents('{"a": 1}{"b": [2]}\n') == [{"a": 1}, {"b": [2]}]


def test_the_walkthrough_runs_as_pasted_and_answers_as_the_readme_says(
    fresh_stack: LocalStack, tmp_path: Path
) -> None:
    blocks = walkthrough_blocks(README.read_text())
    assert len(blocks) >= 2 and blocks[0].startswith(BASE_LINE + "\n"), blocks[:1]
    # The one change: the stack's own address instead of make run's default port.
    script = f"B={fresh_stack.base_url}\n" + blocks[0][len(BASE_LINE) + 1 :]
    script += "".join(f"echo '{BLOCK_END}'\n{block}" for block in blocks[1:]) + f"echo '{BLOCK_END}'\n"
    (tmp_path / "walkthrough.sh").write_text(script)
    ran = subprocess.run(
        ["bash", str(tmp_path / "walkthrough.sh")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert ran.returncode == 0 and not ran.stderr, ran.stderr
    outputs = ran.stdout.split(BLOCK_END + "\n")
    assert len(outputs) == len(blocks) + 1 and outputs[-1] == "", ran.stdout
    for block, output in zip(blocks, outputs, strict=False):
        expected, answered = expected_answers(block), json_documents(output)
        assert expected, f"a walk-through block shows no answer:\n{block}"
        assert len(answered) == len(expected), (block, output)
        for want, got in zip(expected, answered, strict=True):
            assert matches(want, got), f"the README shows\n{want}\nthe API answered\n{got}"
