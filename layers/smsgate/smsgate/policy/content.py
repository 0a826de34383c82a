"""Content policy of the send gate: prohibited topics and filter evasion (SPEC section 3, checks 7 and 8).

Two passes over one compiled matcher. The *plain* pass reads the body as written (case-folded,
white space collapsed): a prohibited term there is ``PROHIBITED_CONTENT``. The *disguise* pass
reads the body after undoing the tricks spammers use to slip past carrier filters (Unicode
compatibility forms, invisible characters, accents, homoglyphs, inserted symbols or spaces,
leetspeak) and then looks for near-misspellings: a term found only there is ``FILTER_EVASION``.
Non-standard opt-out wording is ``FILTER_EVASION`` too (the seeds' "non-standard phrases for
opting out"). See docs/content-policy.md for the design and its measured figures.

The matchers are compiled, and `rapidfuzz` loaded, at the first check rather than at import:
most functions import this module without checking a body, and the cold start of each handler
has a budget (README, Performance). The first message checked pays for it instead.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal, get_args

from smsgate.policy.keywords import OPT_OUT_KEYWORDS
from smsgate.policy.normalise import HOMOGLYPHS, INVISIBLE, normalise_reply

Category = Literal["adult", "alcohol", "firearms", "gambling", "tobacco", "cannabis", "hate"]
VerdictCode = Literal["PROHIBITED_CONTENT", "FILTER_EVASION"]

CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
OPT_OUT_PHRASING: Final = "opt_out_phrasing"


@dataclass(frozen=True)
class ContentVerdict:
    """Why a body may not be sent: check 7 (``PROHIBITED_CONTENT``) or 8 (``FILTER_EVASION``)."""

    code: VerdictCode
    category: str
    message: str
    term: str


_LABELS: Final[dict[str, str]] = {
    "adult": "adult or sexual content",
    "alcohol": "alcohol",
    "firearms": "firearms",
    "gambling": "gambling",
    "tobacco": "tobacco or vaping",
    "cannabis": "cannabis or CBD",
    "hate": "hate speech",
}

# --- Prohibited terms -------------------------------------------------------------------------
# Written for precision (SPEC section 3, check 7 refuses the message outright): a word that
# ordinary businesses use in another sense ("shot", "pot", "joint", "weed", "gun", "wine",
# "slots", "bet") only counts inside a phrase that fixes its meaning. Notation of the fragments:
# a literal space stands for "white space or hyphens" and "#" for a number or a price; spaces
# inside look-behinds are written "\s" because a look-behind needs a fixed width.
_TERMS: Final[dict[Category, tuple[str, ...]]] = {
    "adult": (
        r"(?<!food\s)porn\w*",
        r"xxx (?:hot|videos?|vids?|movies?|pics?|photos?|content|sites?|cams?|chat|girls?|babes?|singles)",
        r"(?:hot|free|live) xxx",
        r"(?:hot|sexy|horny|naughty|lonely|local) (?:singles|milfs?|babes|cougars|housewives) "
        r"(?:in your area|near you|nearby|tonight|waiting|online|want)",
        r"(?:sexy|horny|naughty) (?:singles|girls|babes|milfs?|cougars|housewives)",
        r"hot (?:babes|milfs?|cougars|housewives)",
        r"horny",
        r"milfs?",
        r"nsfw",
        r"bdsm",
        r"fetish(?:es)?",
        r"dildos?",
        r"sex (?:toys?|shop|chat|cams?|videos?|vids|tapes?|dating|party|parties|pills?|hotline|webcam|"
        r"tonight)",
        r"(?:casual|hot|free|kinky|phone|cyber|anal|oral|steamy) sex",
        r"sexting",
        r"sexy (?:singles|girls|babes|pics|photos|videos|chat|webcam|cam|milfs?|moms|women|teens)",
        r"(?:send|free|hot|sexy|leaked|private) nudes",
        r"(?:nude|naked|topless) (?:pics|photos|videos|vids|selfies|girls|women|models|chat|cams?|webcam|"
        r"dancers?)",
        r"erotic\w*",
        r"escort (?:services?|agency|agencies|girls?)",
        r"(?:female|vip|local|independent|sexy|private) escorts?",
        r"call girls?",
        r"onlyfans",
        r"only fans (?:page|account|link|content)",
        r"cam ?girls?",
        r"webcam (?:girls|models|sex|shows?)",
        r"strip (?:clubs?|shows?|tease)",
        r"(?<!paint\s)(?<!wire\s)(?<!floor\s)(?<!wax\s)strippers",
        r"lap dances?",
        r"adult (?:content|videos?|movies?|entertainment|toys?|chat|dating|sites?|webcam|cams?)",
        r"viagra",
        r"cialis",
        r"(?:penis|dick|cock|male) enlargement",
        r"hook ?ups? (?:app|site|tonight|near you|in your area)",
        r"(?:local|casual|discreet|quick|easy|tonight'?s?) hook ?ups?",
        r"booty calls?",
        r"hot girls (?:waiting|near you|in your area|want|online|live)",
        r"affair dating|discreet affairs?|married dating",
        r"(?<!hitch\s)pussy(?! ?willows?)",
        r"(?:blow|hand) ?jobs?",
        r"threesomes?",
        r"orgy|orgies",
        r"gang ?bangs?",
        r"cum ?shots?",
        r"(?:big|huge) (?:boobs|tits|dicks?|cocks?)",
        r"sugar daddy|sugar daddies",
        r"hentai",
        r"f[u*]ck ?(?:buddy|buddies)",
    ),
    "alcohol": (
        r"(?<!alla\s)vodkas?(?! (?:sauce|pasta|cream|penne|rigatoni))",
        r"whiske?ys?",
        r"tequilas?(?! lime)",
        r"bourbon (?:tasting|flights?|bottles?|bar|selection|neat|on the rocks|cocktails?|old fashioned)",
        r"(?:bottle|glass|shot|pour)s? of (?:bourbon|gin|rum|scotch|brandy|cognac|sake|soju)",
        r"gin (?:and|&|n) tonics?",
        r"gin (?:cocktails?|bar|tasting|distillery|fizz|martinis?)",
        r"rum (?:punch|and coke|& coke|cocktails?|tasting|bar|runners?|bottles?)",
        r"(?:spiced|dark|white|coconut|aged) rum(?! (?:cake|raisin|balls?))",
        r"liqu(?:o|eu)rs?",
        r"booze|boozy",
        r"brewery|breweries|brewpubs?|microbrew\w*",
        r"craft (?:beers?|brews?|cocktails?)",
        r"(?:draft|draught|cold|free|domestic|imported|local|cheap|#|half price) beers?",
        r"(?<!root\s)(?<!ginger\s)(?<!birch\s)beers? (?:on tap|specials?|garden|fest(?:ival)?|tasting|"
        r"flights?|pong|buckets?|pitchers?|"
        r"and wine|& wine)",
        r"(?:bucket|pitcher|pint|case|keg|six ?pack)s? of (?:# )?(?:beers?|ales?|lagers?|ciders?|coronas|"
        r"buds)",
        r"coronas",
        r"(?<!root\s)(?<!ginger\s)(?<!birch\s)beers",
        r"wine (?:tastings?|pairings?|list|club|bar|flights?|night|specials?|sale|deals?|bottles?|cellar|"
        r"shop|store|and beer|& beer|and spirits|& spirits|and cheese)",
        r"(?:red|white|sparkling|house|free|bottomless|#|half price|dessert) wines?"
        r"(?! (?:sauce|vinegar|reduction|braised|glaze|butter|jus|marinade|colou?red|stain))",
        r"(?:bottle|glass|case|carafe)s? of (?:wine|champagne|prosecco|bubbly|rosé|cava)",
        r"wines",
        r"winery|wineries",
        r"(?:craft|signature|#|half price|bottomless|specialty|classic) cocktails",
        r"cocktail (?:specials?|menu|bar|class(?:es)?|kits?)",
        r"margaritas",
        r"(?:frozen|#|jumbo|skinny|top shelf) margaritas?(?! pizza)",
        r"margarita (?:specials?|mondays?|tuesdays?|night|pitchers?|machine)",
        r"mimosas|bellinis|sangrias?|mojitos?|martinis?|daiquiris?|palomas",
        r"(?:jello|jell-o|tequila|vodka|whiske?y|rum|fireball|jager) shots",
        r"j(?:a|ä)ger ?bombs?",
        r"champagne (?:toast|brunch|bar|tasting|bottles?|specials?)",
        r"(?:free|complimentary|bottomless) (?:champagne|prosecco)",
        r"prosecco",
        r"open bar",
        r"(?:bar|pub) crawls?",
        r"bottomless (?:mimosas|drinks|brunch)",
        r"hard (?:seltzers?|ciders?|lemonade|kombucha)",
        r"ipas?|lagers|stouts|pilsners?|hefeweizens?",
        r"alcohol (?:delivery|sales?|deals?|specials?|served)",
        r"alcoholic (?:beverages|drinks)",
        r"(?:beer|wine|liquor) (?:delivery|delivered)",
        r"moonshine",
        r"soju|mezcal|sake bombs?",
        r"hennessy|jack daniels?|jose cuervo|bud light|coors(?: light)?|heineken|michelob|white claws?|"
        r"smirnoff|bacardi|jameson|grey goose",
        r"rosé",
        r"(?:#|cheap|half price) (?:drafts|pints|domestics|well drinks|pitchers)",
    ),
    "firearms": (
        r"firearms?",
        r"handguns?",
        r"(?<!air\s)(?<!nerf\s)(?<!toy\s)rifles",
        r"rifles? (?:sale|for sale|deals?|scopes?|ammo|rounds)",
        r"shotguns",
        r"shotgun (?:sale|shells?|for sale|deals?|ammo)",
        r"(?:pump|semi ?auto(?:matic)?|tactical|used|# gauge) shotguns?",
        r"(?<!water\s)(?<!squirt\s)(?<!glue\s)(?<!spray\s)pistols?(?! (?:grip|nozzle|shrimp|squats?))",
        r"revolvers",
        r"ammo|ammunition",
        r"\d+ ?mm (?:ammo|rounds|handguns?|pistols?)",
        r"\.\d\d (?:lr|rifles?|rounds|caliber)",
        r"\d+ rounds of (?:ammo|ammunition|\d+ ?mm)",
        r"(?:ar|ak) ?(?:15|47)s?",
        r"glocks?",
        r"sig sauer",
        r"smith (?:and|&) wesson",
        r"berettas?",
        r"(?:assault|semi ?automatic|automatic|hunting|sniper) (?:rifles?|weapons?|guns?|pistols?)",
        r"gun (?:shows?|shops?|stores?|sales?|deals?|ranges?|raffles?|parts|permits?|licen[cs]es?|"
        r"dealers?|kits?|auctions?)",
        r"guns (?:and|&|n) ammo",
        r"guns? for sale",
        r"buy (?:a )?guns?",
        r"(?:shooting|firing|pistol|rifle) ranges?",
        r"concealed carry",
        r"ccw (?:class|classes|permits?)",
        r"(?<!surge\s)(?<!noise\s)silencers?",
        r"ghost guns?",
        r"bump stocks?",
        r"high capacity (?:magazines|mags)",
        r"hollow ?points?",
    ),
    "gambling": (
        r"casinos?(?! themed)",
        r"gambling|gamblers?",
        r"sportsbooks?",
        r"sports ?betting",
        r"betting (?:odds|lines?|tips|app|sites?|bonus|slips?)",
        r"(?:online|live|mobile|sports) (?:betting|wagering)",
        r"bet (?:now|today|here|online|on (?:the game|your team|tonight|sports|games|every)|#|with us|"
        r"and win)",
        r"(?:place|make) (?:a|your) bets?",
        r"free bets?",
        r"bet on (?:the )?[a-z]+ (?:tonight|today|this weekend|this sunday)",
        r"real money (?:slots|casino|poker|games|bingo)|(?:online )?slot sites?|bingo online",
        r"bet365|draftkings|fanduel|betmgm|bovada",
        r"parlays?",
        r"wagers?|wagering",
        r"(?:online|live|texas hold ?'?em|video|free) poker",
        r"poker (?:tournaments?|night|room|chips|bonus|games?|sites?|app|online)",
        r"hold ?'?em",
        r"blackjack|roulette|baccarat|craps",
        r"slot (?:machines?|games?|tournaments?|bonus)",
        r"(?:online|free|play|penny|vegas|casino) slots",
        r"slots (?:bonus|jackpots?|games?|online|tournaments?)",
        r"free spins",
        r"(?:progressive|mega|casino|slots?) jackpots?",
        r"(?:deposit|casino|betting|poker|slots?) bonus(?:es)?",
        r"no deposit",
        r"lottery tickets?|lotto|powerball|mega millions",
        r"scratch ?(?:offs?|tickets)",
        r"keno",
        r"online bingo|bingo (?:bonus|jackpot|cash)",
        r"bookies?|bookmakers?",
        r"odds boosts?",
        r"daily fantasy",
    ),
    "tobacco": (
        r"cigarettes?|cigs",
        r"e ?cigs?|e ?cigarettes?",
        r"cigars?(?! box)",
        r"cigarillos?",
        r"(?<!quit\s)(?<!quitting\s)(?<!anti[\s-])(?<!stop\s)tobacco(?! free| cessation| use| prevention)",
        r"(?<!anti[\s-])vapes?",
        r"vaping (?:products?|supplies|devices?|deals?|kits?|gear)",
        r"e ?juices?|e ?liquids?",
        r"juuls?|juul pods?",
        r"nicotine (?:pouches|pods|salts?|vapes?)",
        r"zyn|snus",
        r"hookahs?|shisha",
        r"smoke shops?",
        r"rolling papers",
        r"(?:elf|puff|geek) bars?",
        r"marlboros?|newports",
        r"salt nic|nic salts?",
    ),
    "cannabis": (
        r"cannabis",
        r"marijuana|marihuana",
        r"weed (?:delivery|deliveries|dispensar(?:y|ies)|strains?|gummies|edibles|pens?|carts?|brownies?|"
        r"shop|store|plug|deals?|menu|pre ?rolls?|for sale)",
        r"(?:buy|smoke|smoking|sell|selling|order|premium|cheap|top shelf|legal|recreational|medical|"
        r"ounces? of|oz of|grams? of|eighths? of|quarter of|zips? of) weed(?![\w-])",
        r"thca?",
        r"cbd",
        r"delta ?(?:8|9|10)(?: thc)?",
        r"hhc",
        r"dispensar(?:y|ies)",
        r"edibles",
        r"pre ?rolls?",
        r"(?:og|bubba|purple|master|hindu|pink|kosher|lemon|grape) kush|kush (?:strains?|flower|buds?|"
        r"pre ?rolls?)",
        r"indicas?|sativas?",
        r"(?:smoke|roll|pass|puff|light) (?:a|the|some|up a) (?:joint|blunt|spliff|bowl)",
        r"blunt wraps?",
        r"spliffs?|ganja|reefer|stoners?|budtenders?|bongs?",
        r"420 friendly",
        r"(?:happy|celebrate) (?:4/20|420)",
        r"(?:4/20|420) (?:sale|deals?|specials?|celebration|party|weekend)",
        r"pot (?:shop|store|dispensary|brownies?|delivery|smokers?|edibles)",
        r"(?:smoke|smoking|legal|medical) pot(?![\w-]| roast| pie| luck)",
        r"dab (?:pens?|rigs?|carts?)",
        r"hemp (?:flower|pre ?rolls?|buds?|cigarettes)",
        r"mmj",
        r"(?:weed|marijuana|cannabis|mmj) cards?",
        r"dank (?:nugs|buds|weed|strains)|nugs|dispo|live resin|rosin carts?",
    ),
    "hate": (
        r"nigg(?:er|ers|a|as|az)",
        r"kikes?",
        r"spics?(?! (?:and|&|n) span)",
        r"chinks?(?! in (?:the|your|my|our|his|her|their) armou?r)",
        r"wetbacks?",
        r"rag ?heads?|towel ?heads?",
        r"faggots?",
        r"gooks?",
        r"beaners?",
        r"jigaboos?",
        r"porch monkeys?",
        r"zipperheads?",
        r"trann(?:y|ies)(?! (?:fluid|flush|rebuild|repair|service|shop|work|problems?|issues?|swap|cooler|"
        r"pan))",
        r"kill (?:all )?(?:the |those )?(?:jews|muslims|blacks|gays|immigrants|mexicans|christians|arabs|"
        r"asians|whites)",
        r"jews control (?:the )?(?:banks|media|world|government)|go back to africa",
        r"(?:jews|muslims|blacks|gays|immigrants|illegals|mexicans|arabs|asians) are (?:vermin|animals|"
        r"subhuman|"
        r"parasites|rats|cockroaches|a disease|not human)",
        r"heil hitler|sieg heil|white power|white pride worldwide|race war|gas the jews",
    ),
}

_NUMBER: Final = r"\$?\d+(?:[.,]\d+)?\$?"


def _fragment(source: str) -> str:
    return source.replace(" ?", r"[\s\-]*").replace(" ", r"[\s\-]+").replace("#", _NUMBER)


# One alternation with a named group per category: a single scan finds the first prohibited
# term anywhere in the body and `lastgroup` names its category.
_CATEGORY_OF: Final[dict[str | None, Category]] = {category: category for category in CATEGORIES}


@cache
def _term_matcher() -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w$])(?:"
        + "|".join(
            f"(?P<{category}>{'|'.join(map(_fragment, fragments))})" for category, fragments in _TERMS.items()
        )
        + r")(?!\w)"
    )


# Misspellings within a small edit distance (OSA: a transposition counts once) of words that
# are prohibited on their own. Only long, distinctive words: short ones ("vape", "porn") have
# too many ordinary neighbours. Real words within reach of a term never count.
_FUZZY_TERMS: Final[dict[str, Category]] = {
    "casino": "gambling",
    "casinos": "gambling",
    "gambling": "gambling",
    "roulette": "gambling",
    "blackjack": "gambling",
    "sportsbook": "gambling",
    "viagra": "adult",
    "cialis": "adult",
    "pornography": "adult",
    "cannabis": "cannabis",
    "marijuana": "cannabis",
    "cigarette": "tobacco",
    "cigarettes": "tobacco",
    "tobacco": "tobacco",
    "marlboro": "tobacco",
    "vodka": "alcohol",
    "tequila": "alcohol",
    "whiskey": "alcohol",
    "liquor": "alcohol",
    "firearm": "firearms",
    "firearms": "firearms",
    "handgun": "firearms",
    "handguns": "firearms",
    "ammunition": "firearms",
    "nigger": "hate",
    "faggot": "hate",
}
_FUZZY_CHOICES: Final = tuple(_FUZZY_TERMS)
_FUZZY_FIRST_LETTERS: Final = frozenset(term[0] for term in _FUZZY_TERMS)
_REAL_NEIGHBOURS: Final = frozenset(
    {
        "casing", "casings", "cassino", "gamboling", "whisked", "whisker", "whiskers", "forearm", "forearms",
        "admonition", "nagger", "liquid", "liquids", "handgum", "cigarillo", "tobago", "rouletted",
        "garbling",
    }
)  # fmt: skip

# --- Normalisation for the disguise pass ------------------------------------------------------
_TYPOGRAPHY: Final[dict[str, str]] = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u00a0": " ",
}  # fmt: skip
_FOLD: Final[dict[int, str | None]] = {
    **INVISIBLE,
    **{ord(source): latin for latin, sources in HOMOGLYPHS.items() for source in sources},
    **{ord(typographic): plain for typographic, plain in _TYPOGRAPHY.items()},
}
_PLAIN: Final = str.maketrans(_TYPOGRAPHY)

_LEET_CHARS: Final = "4@31!|05$7+89€"
_LEET: Final = str.maketrans(dict(zip(_LEET_CHARS, "aaeiilosstbgge", strict=True)))
_HAS_LEET: Final = re.compile(f"[{re.escape(_LEET_CHARS)}]")
_HAS_LETTER: Final = re.compile(r"[^\W\d_]")
# Inside a word every symbol that is not itself a leetspeak letter is padding ("c*a*s*i*n*o").
_PADDING: Final = re.compile(rf"[^\w{re.escape(_LEET_CHARS)}]+|_+")
_EDGE_LEAD: Final = "\"'([{<*#~^-_.,:;"
_EDGE_TRAIL: Final = "\"')]}>*.,!?:;~^-_"
# Letters spaced one by one ("g a m b l i n g", "W E E D") are joined only when the run reads as
# one disguised word: three or more capitals ("T H C"), four or more in lower case ("v a p e"),
# five or more in title case ("G a m b l i n g" at the start of a sentence). Shorter runs and runs
# that mix cases otherwise are ordinary text with one-letter words ("I p a", "i p a", "A b c"):
# joined, "I p a" was once read as "ipa" (alcohol).
_UPPER_CASE_RUN: Final = 3
_LOWER_CASE_RUN: Final = 4
_TITLE_CASE_RUN: Final = 5


def _plain_form(body: str) -> str:
    return " ".join(body.translate(_PLAIN).casefold().split())


def _fold_case(shaped: str) -> str:
    """Case folded, homoglyphs read as Latin (of a text already `_shape`d)."""
    if shaped.isascii():
        return shaped.casefold()
    return shaped.casefold().translate(_FOLD)


def _shape(text: str) -> str:
    """NFKC then NFKD, invisible characters and accents dropped; case kept."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).translate(INVISIBLE)


def _unpad(token: str) -> str:
    core = token.lstrip(_EDGE_LEAD).rstrip(_EDGE_TRAIL)
    if not _HAS_LETTER.search(core):
        return core
    return _PADDING.sub("", core)


@dataclass(frozen=True)
class _Token:
    folded: str
    written: str  # the token with its case, for a run of single letters


def _tokens(body: str) -> list[_Token]:
    tokens: list[_Token] = []
    for written in _shape(body).split():
        for piece in _fold_case(written).split():
            folded = _unpad(piece)
            if folded:
                tokens.append(_Token(folded, _unpad(written)))
    return tokens


def _is_spaced_word(run: list[_Token]) -> bool:
    cases = [
        "upper" if token.written.isupper() else "lower"
        for token in run
        if token.written.isupper() or token.written.islower()
    ]
    if set(cases) == {"upper"}:
        return len(run) >= _UPPER_CASE_RUN
    if set(cases) <= {"lower"}:
        return len(run) >= _LOWER_CASE_RUN
    title = cases[0] == "upper" and set(cases[1:]) == {"lower"}
    return title and len(run) >= _TITLE_CASE_RUN


def _spell_out(run: list[_Token]) -> list[str]:
    if _is_spaced_word(run):
        return ["".join(token.folded for token in run)]
    if len(run) < _UPPER_CASE_RUN:
        return [token.folded for token in run]
    # Kept as written, so that reading the result again does not join it either.
    return [token.written if len(token.written) == 1 else token.folded for token in run]


def deobfuscate(body: str) -> str:
    """The body as a filter-evading sender meant it to be read (SPEC section 3, check 8):
    NFKC, invisible characters and accents dropped, case folded, homoglyphs folded to Latin,
    symbols inside a word removed, letters spaced one by one joined when they read as one word,
    leetspeak read as letters."""
    joined: list[str] = []
    run: list[_Token] = []
    for token in [*_tokens(body), None]:
        if token is not None and len(token.folded) == 1 and token.folded.isalnum():
            run.append(token)
            continue
        joined.extend(_spell_out(run))
        run = []
        if token is not None:
            joined.append(token.folded)
    return " ".join(_read_leet(token) for token in joined)


def _read_leet(token: str) -> str:
    if _HAS_LEET.search(token) and _HAS_LETTER.search(token):
        return token.translate(_LEET)
    return token


def _term_key(text: str) -> str:
    return "".join(char for char in text if char.isalnum())


def _matches(text: str) -> list[tuple[Category, str]]:
    found: list[tuple[Category, str]] = []
    for match in _term_matcher().finditer(text):
        found.append((_CATEGORY_OF[match.lastgroup], " ".join(match.group().replace("-", " ").split())))
    return found


def _allowed_edits(token: str, term: str) -> int:
    # Two edits only where the word's frame (start and end) is intact, as in "tobbaco".
    if len(term) >= 9 or (len(term) >= 7 and token[:2] == term[:2] and token[-1] == term[-1]):
        return 2
    return 1


def _nearest(word: str, choices: tuple[str, ...]) -> tuple[str, int] | None:
    """The choice fewest OSA edits from `word` and their number, if two or fewer."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    best = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=2)
    if best is None:
        return None
    choice, distance, _ = best
    return choice, int(distance)


def _misspelling(tokens: list[str]) -> tuple[Category, str] | None:
    for token in tokens:
        if len(token) < 5 or token[0] not in _FUZZY_FIRST_LETTERS or not token.isalpha():
            continue
        if token in _FUZZY_TERMS or token in _REAL_NEIGHBOURS:
            continue
        best = _nearest(token, _FUZZY_CHOICES)
        if best is None:
            continue
        term, distance = best
        if term[0] == token[0] and distance <= _allowed_edits(token, term):
            return _FUZZY_TERMS[term], term
    return None


# --- Non-standard opt-out wording -------------------------------------------------------------
_VERB: Final = r"(?:reply|replying|text|texting|txt|respond|responding|send|sending|msg)\b"
_ITEM: Final = (
    r"(?:\"[^\"\n]{1,30}\"|'[^'\n]{1,30}'|opt[ -]?out|stop ?all|(?:\w[.\s*_\-]){2,}\w(?!\w)|[^\s,;:!?\"']+)"
)
_ITEMS: Final = rf"{_ITEM}(?:\s*(?:,|/|\bor\b|\band\b)\s*{_ITEM}){{0,3}}"
_OBJECT: Final = (
    r"(?:all\s+|future\s+|these\s+|our\s+|further\s+|the\s+)?"
    r"(?:msgs?|messages|texts|txts|alerts|notifications|sms|these|marketing|promos|promotions|offers|"
    r"updates)\b"
)
_TARGET: Final = (
    rf"(?:opt[ -]?out|unsubscribe|unsub\b|be\s+(?:removed|unsubscribed|taken\s+off)"
    rf"|no\s+longer\s+(?:receive|get)|(?:stop|quit|end|cancel|halt)\s+(?:receiving|getting)\b|(?:stop|quit|end|cancel|halt)\s+{_OBJECT}"
    rf"|(?:stop|quit|unsubscribe)\s*(?:$|[.!;)]))"
)
_TARGET_FIRST: Final = (
    r"(?:opt[ -]?out|unsubscribe|stop\s+(?:receiving|getting)"
    r"|no\s+longer\s+(?:wish|want)\s+to\s+(?:receive|get)|be\s+removed|(?:cancel|end)\s+(?:msgs|messages|"
    r"texts|alerts|notifications))"
)


@cache
def _opt_out_wording_matcher() -> re.Pattern[str]:
    return re.compile(
        # "Reply NOMORE to quit" (the target is optional: "Reply STPO" is caught by its keyword).
        rf"\b{_VERB}(?:\s+(?:with|back(?:\s+with)?|us))?\s*[:\-]?\s*(?P<kws>{_ITEMS})"
        rf"(?P<target>(?:\s+to\s+\+?\d[\d\- ]{{3,14}})?"
        rf"\s+(?:to|and\s+you(?:'ll|\s+will)|if\s+you\s+(?:want|wish)\s+to)\s+{_TARGET})?"
        # "To opt out, reply NOMORE" / "You can unsubscribe any time by texting NOMORE".
        rf"|\b{_TARGET_FIRST}[^.!?;\n]{{0,40}}?[,:\-]?\s*(?:just\s+|simply\s+|please\s+|by\s+)?{_VERB}"
        rf"(?:\s+(?:with|back(?:\s+with)?|us))?\s*[:\-]?\s*(?P<kws2>{_ITEMS})(?!\s+(?:to|for)\s+(?!opt|unsub|stop|quit|end)\w)"
    )


_ITEM_SPLIT: Final = re.compile(rf"({_ITEM})(?:\s*(?:,|/|\bor\b|\band\b)\s*|$)")
_KEYWORD_KEYS: Final = frozenset(_term_key(keyword) for keyword in OPT_OUT_KEYWORDS)
_KEYWORD_LOOKALIKES: Final = ("stop", "optout", "unsubscribe")
_KEYWORD_NEIGHBOURS: Final = frozenset(
    {"shop", "step", "stoop", "top", "sop", "stow", "slop", "stomp", "stops", "atop", "soap", "spot", "stoo"}
)


def _keyword_items(listing: str) -> list[str]:
    return [item.group(1) for item in _ITEM_SPLIT.finditer(listing) if item.group(1)]


def _keyword(item: str) -> str:
    return normalise_reply(item.strip("\"'"), lookalikes=False)


def _looks_like_keyword(keyword: str) -> bool:
    plain = _term_key(deobfuscate(keyword))
    if plain in _KEYWORD_KEYS:
        return True
    if not plain.isalpha() or plain in _KEYWORD_NEIGHBOURS or len(plain) < 3:
        return False
    best = _nearest(plain, _KEYWORD_LOOKALIKES)
    if best is None:
        return False
    term, distance = best
    return distance <= (2 if len(term) >= 9 else 1)


def _opt_out_wording(plain: str) -> str | None:
    for match in _opt_out_wording_matcher().finditer(plain):
        listing = match.group("kws") or match.group("kws2")
        keywords = [_keyword(item) for item in _keyword_items(listing)]
        if not keywords or any(keyword in OPT_OUT_KEYWORDS for keyword in keywords):
            continue
        explicit = match.group("kws2") is not None or match.group("target") is not None
        for keyword in keywords:
            if explicit or _looks_like_keyword(keyword):
                return keyword
    return None


# --- Public API -------------------------------------------------------------------------------
def check_content(body: str, relaxed: frozenset[str] = frozenset()) -> ContentVerdict | None:
    """The first content rule the body breaks (SPEC section 3, check 7 before check 8), or None.

    ``relaxed`` lists categories the location's registered campaign allows (see
    `relaxed_categories`); it never excuses a disguised term, which is deception, not topic.
    """
    plain = _plain_form(body)
    plain_found = _matches(plain)
    for category, term in plain_found:
        if category not in relaxed:
            return ContentVerdict(
                code="PROHIBITED_CONTENT",
                category=category,
                message=f"The message mentions {_LABELS[category]}, which carriers prohibit (SHAFT).",
                term=term,
            )
    undisguised = Counter(_term_key(term) for _, term in plain_found)
    readable = deobfuscate(body)
    for category, term in _matches(readable):
        key = _term_key(term)
        if undisguised[key] > 0:
            undisguised[key] -= 1
            continue
        return _evasion(category, term)
    misspelt = _misspelling(readable.split())
    if misspelt is not None:
        return _evasion(*misspelt)
    keyword = _opt_out_wording(plain)
    if keyword is not None:
        return ContentVerdict(
            code="FILTER_EVASION",
            category=OPT_OUT_PHRASING,
            message=(
                f"The message asks contacts to opt out with the non-standard wording '{keyword}'; "
                "carriers require a standard keyword such as 'Reply STOP to unsubscribe'."
            ),
            term=keyword,
        )
    return None


def _evasion(category: Category, term: str) -> ContentVerdict:
    return ContentVerdict(
        code="FILTER_EVASION",
        category=category,
        message=(
            f"The message disguises a word about {_LABELS[category]} ('{term}') with misspelling or "
            "lookalike characters, which carriers treat as filter evasion."
        ),
        term=term,
    )


# Campaign use cases that make a category lawful to send (docs/content-policy.md). Carriers
# accept alcohol only on campaigns registered as age-gated; nothing else is ever relaxed on
# 10DLC: cannabis/CBD and hate are refused outright, firearms sales and gambling need
# carrier-specific approval this gateway does not model, and tobacco/vape is refused by T-Mobile.
_RELAXED_BY_USE_CASE: Final[dict[str, frozenset[str]]] = {
    "AGE_GATED": frozenset({"alcohol"}),
}
_USE_CASE_SEPARATORS: Final = re.compile(r"[^A-Z0-9]+")


def relaxed_categories(use_case: str | None) -> frozenset[str]:
    """Prohibited categories a registered campaign use case makes sendable; empty for all but
    age-gated campaigns ("AGE_GATED", or a use case carrying that marker such as
    "MARKETING_AGE_GATED"), which may mention alcohol."""
    if not use_case:
        return frozenset()
    words = _USE_CASE_SEPARATORS.sub("_", use_case.upper()).strip("_")
    relaxed: frozenset[str] = frozenset()
    for marker, categories in _RELAXED_BY_USE_CASE.items():
        if words == marker or f"_{marker}_" in f"_{words}_":
            relaxed |= categories
    return relaxed


# Public link shorteners hide the destination; carriers filter them, so the gate warns (it
# does not refuse: SPEC section 3 lists no such check, and branded short domains are fine).
PUBLIC_SHORTENERS: Final = (
    "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "v.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "bl.ink", "short.io", "s.id", "lnkd.in", "adf.ly",
    "shorte.st", "soo.gd", "tr.im", "x.co", "clck.ru", "qr.net", "tiny.one", "snip.ly", "bit.do",
)  # fmt: skip
_SHORTENER: Final = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(?P<domain>"
    + "|".join(re.escape(domain) for domain in sorted(PUBLIC_SHORTENERS, key=len, reverse=True))
    + r")(?![\w-]|\.\w)"
)


def public_shorteners(body: str) -> list[str]:
    """Domains of public URL shorteners in the body, each once, in order of appearance."""
    found = dict.fromkeys(match.group("domain") for match in _SHORTENER.finditer(body.casefold()))
    return list(found)
