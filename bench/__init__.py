"""Benchmarks (`make bench`): the content policy's quality, the gate's AWS requests, capacity,
cost, decisions per second and cold imports.

The layer is put first on sys.path, as pytest's `pythonpath` does, so the benchmarks measure the
`smsgate` of this working tree whatever an editable install of the virtualenv points at.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "smsgate")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
