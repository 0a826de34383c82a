"""What a content verdict says: the prohibited categories and the two refusal codes."""

from dataclasses import dataclass
from typing import Final, Literal, get_args

Category = Literal["adult", "alcohol", "firearms", "gambling", "tobacco", "cannabis", "hate"]
VerdictCode = Literal["PROHIBITED_CONTENT", "FILTER_EVASION"]

CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
OPT_OUT_PHRASING: Final = "opt_out_phrasing"

LABELS: Final[dict[str, str]] = {
    "adult": "adult or sexual content",
    "alcohol": "alcohol",
    "firearms": "firearms",
    "gambling": "gambling",
    "tobacco": "tobacco or vaping",
    "cannabis": "cannabis or CBD",
    "hate": "hate speech",
}


@dataclass(frozen=True)
class ContentVerdict:
    """Why a body may not be sent: check 7 (``PROHIBITED_CONTENT``) or 8 (``FILTER_EVASION``)."""

    code: VerdictCode
    category: str
    message: str
    term: str
