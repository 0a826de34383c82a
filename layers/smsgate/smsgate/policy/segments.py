"""SMS segments and encoding (docs/policy.md#segments): GSM-7 with its extension table, else UCS-2."""

from smsgate.models.vocabulary import Encoding

# The most segments a body may take before decoration (docs/policy.md#segments): the request
# model refuses a longer body with VALIDATION_ERROR, and the gate checks the count again.
MAX_SEGMENTS = 10

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table take an escape septet plus their own.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_CONCATENATED = 153
UCS2_SINGLE = 70
UCS2_CONCATENATED = 67


def is_gsm7(body: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body)


def _pack(units: list[int], single: int, concatenated: int) -> int:
    """Segments needed for characters of the given widths, never splitting a character."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for width in units:
        if used + width > concatenated:
            segments += 1
            used = 0
        used += width
    return segments


def count_segments(body: str) -> tuple[Encoding, int]:
    """(encoding, segments) of `body` as it will be sent."""
    if is_gsm7(body):
        return "GSM-7", _pack(
            [2 if char in GSM7_EXTENSION else 1 for char in body], GSM7_SINGLE, GSM7_CONCATENATED
        )
    # UCS-2 counts UTF-16 code units: a character outside the BMP (most emoji) takes two.
    return "UCS-2", _pack([2 if ord(char) > 0xFFFF else 1 for char in body], UCS2_SINGLE, UCS2_CONCATENATED)
