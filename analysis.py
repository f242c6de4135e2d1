"""Arabic-aware text analysis shared by chunking, the lexical index, answers and eval.

- `sentence_spans`: where sentences end, in Arabic and Latin script.
- `normalize`: what "the same text" means (diacritics, tatweel, letter variants, digits, case).
- `terms`: what the lexical index counts: stems, plus cross-script name keys.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

# Harakat, superscript alef, Quranic annotation marks, and tatweel carry no meaning for matching.
_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_LETTERS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    **{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)},
})
_WORD = re.compile(r"\w+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064A]+")
# The definite article with the particles that attach before it; stripped before stemming and name keys.
_ARTICLE = re.compile(r"^(?:وال|فال|بال|كال|لل|ال)(?=\w{2,})")
_CONJUNCTION = re.compile(r"^[وف](?=\w{3,})")


# A sentence ends at . ! ? ؟ … (possibly repeated, possibly followed by closing quotes or brackets) when
# whitespace follows, and at every line break. "3.5" never ends one (no whitespace), nor does the period of an
# initial ("U.S.A.", "J. Smith"): a lone capital letter after a space or a period.
_SENTENCE_END = re.compile(r"[.!?؟…]+(?<![\s.][A-Z]\.)(?<!^[A-Z]\.)[\"'»”’)\]]*(?=\s)|\n")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def split_spans(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Spans of text[start:end] cut after each match of `pattern`, trimmed of spaces, empty ones dropped."""
    spans, at = [], start
    for found in pattern.finditer(text, start, end):
        if span := _trimmed(text, at, found.end()):
            spans.append(span)
        at = found.end()
    if span := _trimmed(text, at, end):
        spans.append(span)
    return spans


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end]."""
    return split_spans(text, start, len(text) if end is None else end, _SENTENCE_END)


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_SCRIPT = re.compile(r"[A-Za-z\u00C0-\u024F]")


def guess_language(text: str) -> str:
    """'ar' when Arabic script dominates, 'en' when Latin does; a hint for filters, not a classifier."""
    arabic, latin = len(_ARABIC_SCRIPT.findall(text)), len(_LATIN_SCRIPT.findall(text))
    if arabic == latin == 0:
        return ""
    return "ar" if arabic >= latin else "en"


def languages_differ(first: str, second: str) -> bool:
    """Whether two languages are both known and not the same; an unknown language differs from none."""
    return bool(first and second and first != second)


def normalize(text: str) -> str:
    """Fold the spellings of one word together: NFKC, no diacritics or tatweel, one alef, ya for alef maqsura,
    ha for taa marbuta, ASCII digits, lower case, single spaces."""
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text)).translate(_LETTERS).lower()
    return " ".join(text.split())


# Function words say nothing about what a text is about; counted, they let any text in the question's
# language match any question ("the", "what", "في", "من"). Arabic forms are written normalised.
_ARABIC_STOPWORDS = set("""
في من علي الي عن مع او ام ثم قد لقد كان كانت يكون تكون كانوا هو هي هم هن هما انا نحن انت انتم هذا هذه ذلك
تلك هولاء الذي التي الذين اللذين اللتين ما ماذا متي اين كيف كم هل لماذا لما اي اذا ان انه انها لكن بل حتي
كل بعض غير بين عند منذ لدي لا لم لن ليس ليست و ف ب ل ك ال به بها لها له منه منها فيه فيها عليه عليها الا
ايضا كما وقد ولا ولم وهو وهي وكان وكانت وفي ومن والي وعلي وعن
""".split())
_ENGLISH_STOPWORDS = set(STOPWORDS_EN_PLUS)
# Snowball's stemmers keep the word being stemmed in the stemmer object, so threads (the web app answers
# questions in parallel) each need their own: a shared one fails with IndexError under load.
_stemmers = threading.local()


def _stemmer(language: str):
    if not hasattr(_stemmers, language):
        setattr(_stemmers, language, snowballstemmer.stemmer(language))
    return getattr(_stemmers, language)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A normalised word's stem: Snowball's Arabic stemmer after stripping article and conjunction, or its English one."""
    if _ARABIC_WORD.fullmatch(word):
        return _stemmer("arabic").stemWord(_CONJUNCTION.sub("", _ARTICLE.sub("", word)))
    return _stemmer("english").stemWord(word)


# Names across scripts: Peskov and بيسكوف share the consonant skeleton BSKF. Letters that one script writes
# the other way fall into one class (p/b, v/f, g/j/gh, z/s, ch/sh); vowels, w, y and ع are dropped.
_LATIN_DIGRAPHS = [("sch", "X"), ("sh", "X"), ("ch", "X"), ("kh", "K"), ("gh", "J"), ("ph", "F"), ("th", "T"),
                   ("dh", "D"), ("ck", "K"), ("x", "KS")]
_LATIN_CLASSES = str.maketrans({
    "b": "B", "p": "B", "t": "T", "d": "D", "k": "K", "q": "K", "g": "J", "j": "J", "s": "S", "z": "S",
    "f": "F", "v": "F", "l": "L", "m": "M", "n": "N", "r": "R", "h": "H",
    **{v: "" for v in "aeiouyw"},
})
_SOFT_C = re.compile(r"c(?=[eiy])")
_ARABIC_CLASSES = str.maketrans({
    "ب": "B", "پ": "B", "ت": "T", "ط": "T", "ث": "T", "ج": "J", "غ": "J", "گ": "J", "ح": "H", "ه": "H",
    "خ": "K", "ق": "K", "ك": "K", "د": "D", "ذ": "D", "ض": "D", "ر": "R", "ز": "S", "ظ": "S", "س": "S",
    "ص": "S", "ش": "X", "ف": "F", "ڤ": "F", "ل": "L", "م": "M", "ن": "N",
    **{v: "" for v in "اوييءع"},
})
NAME_KEY_PREFIX = "~"


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str | None:
    """The consonant skeleton a name keeps in Latin and Arabic letters, or None when it is too short to tell."""
    if _ARABIC_WORD.fullmatch(word):
        skeleton = _CONJUNCTION.sub("", _ARTICLE.sub("", word)).translate(_ARABIC_CLASSES)
    elif word.isascii() and word.isalpha():
        latin = _SOFT_C.sub("s", word.lower())
        for digraph, sound in _LATIN_DIGRAPHS:
            latin = latin.replace(digraph, sound.lower() if sound != "X" else "X")
        skeleton = latin.replace("c", "k").translate(_LATIN_CLASSES).upper()
    else:
        return None
    skeleton = re.sub(r"(.)\1+", r"\1", skeleton).removesuffix("H")  # doubled letters; a final h or taa marbuta
    # Three consonants are the least that tells names apart; below that, keys match common words by chance.
    return NAME_KEY_PREFIX + skeleton if len(skeleton) >= 3 else None


def _is_name_candidate(original: str) -> bool:
    """Arabic script has no capitals, so every Arabic word may be a name; in Latin script, capitalised words."""
    return bool(_ARABIC_WORD.fullmatch(original)) or original[:1].isupper()


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return _WORD.findall(normalize(text))


# Stored with the lexical index: a store indexed with other terms is re-indexed when it is opened.
TERMS_VERSION = "1"


def terms(text: str) -> list[str]:
    """What the lexical index counts for a text: the stem of every word but function words, and a name key
    for each name candidate."""
    counted = []
    # Marks go first: \w does not match them, so "المهمّة" would split at its shadda.
    for original in _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFKC", text))):
        word = normalize(original)
        if word in _ARABIC_STOPWORDS or word in _ENGLISH_STOPWORDS:
            continue
        counted.append(stem(word))
        if _is_name_candidate(original) and (key := name_key(word)):
            counted.append(key)
    return counted
