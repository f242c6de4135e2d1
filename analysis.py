"""Arabic-aware text analysis shared by chunking, the lexical index, answers and eval.

- `sentence_spans`: where sentences end, in Arabic and Latin script.
- `clause_spans`, `clause_windows`: the clauses of a long sentence, and the short runs of them that stand alone.
- `normalize`: what "the same text" means (diacritics, tatweel, letter variants, digits, case).
- `terms`: what the lexical index counts: stems, plus cross-script name keys and the keys of known aliases
  (`aliases.tsv`: "NATO" = «حلف شمال الأطلسي» = "~~NATO").
- `translations`: the Arabic stems of an English question's words (`lexicon.tsv`: "budget" = «الميزانية»).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from errors import ConfigError

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
# initial ("U.S.A.", "J. Smith"): a lone capital letter after a space or a period. Nor do two periods: Arabic
# news writes them as a pause inside a sentence or a quote («لا يوجد أي اتصال مع إيران.. صفر»), so they end a
# clause instead.
_SENTENCE_END = re.compile(r"[.!?؟…]+(?<![\s.][A-Z]\.)(?<!^[A-Z]\.)(?<![^.]\.\.)[\"'»”’)\]]*(?=\s)|\n")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _cut(text: str, start: int, end: int, cuts) -> list[tuple[int, int]]:
    """Spans of text[start:end] between the cut positions, trimmed of spaces, empty ones dropped."""
    spans, at = [], start
    for cut in [*cuts, end]:
        if span := _trimmed(text, at, cut):
            spans.append(span)
        at = cut
    return spans


def split_spans(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Spans of text[start:end] cut after each match of `pattern`, trimmed of spaces, empty ones dropped."""
    return _cut(text, start, end, [found.end() for found in pattern.finditer(text, start, end)])


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end]."""
    return split_spans(text, start, len(text) if end is None else end, _SENTENCE_END)


# Clauses. Arabic news chains a paragraph's statements into one sentence with commas, «و» and «ف»; its clauses
# are where a quoted statement or a figure can be found alone. Cut after a comma, semicolon, colon or two
# periods, before an opening quote, and between a speech verb's attribution and the «أن / إن / بأن» that opens
# what was said, but never inside a quotation: a quote is kept whole.
CLAUSE_END = re.compile(r"(?:[،؛;:,]+|(?<![.])\.\.)(?=\s)")
_QUOTED = re.compile(r"«[^«»]{1,600}»|“[^“”]{1,600}”|\"[^\"\n]{1,600}\"")
_QUOTE_OPENS = re.compile(r"(?<=\s)[«“\"]")
_SPEECH_VERBS = (
    r"(?:[وف]?(?:قال|[أا]كد|[أا]علن|[أا]ضاف|[أا]وضح|[أا]شار|اعتبر|صرح|شدد|لفت|نبه|حذر|[أا]فاد|ذكر|رأى|يرى|ترى)ت?"
    r"|مؤكد|مشير|معتبر|مضيف|موضح|لافت|منبه|محذر|مصرح)[اةً]?"
)
_SPEECH_THEN_THAT = re.compile(rf"(?<!\w){_SPEECH_VERBS}(?:\s+\S+){{0,8}}?\s+(?=(?:ب?[أإا]ن|[أإا]ن(?:ه|ها|هم))\s)")
# A sentence up to this long is a unit in itself; longer ones are also read as windows of their clauses up to
# this long. 240 characters: on news-ar, 140 of 148 gold answers then lie whole in one unit of at most 240
# characters (a sentence or a window), for 0.76 times the article's length in extra text to embed; 200 gave
# 139 for 0.91 times, 300 gave 143 but answers longer than the 300 characters a reader wants.
CLAUSE_WINDOW_CHARS = 240


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, end, whether the next clause is what this one's speaker says) for each clause of text[start:end]."""
    quoted = [found.span() for found in _QUOTED.finditer(text, start, end)]

    def outside_quotes(at: int) -> bool:
        return not any(a < at < b for a, b in quoted)

    marks = [m.end() for m in CLAUSE_END.finditer(text, start, end)]
    speech = [m.start() for m in _QUOTE_OPENS.finditer(text, start, end)]
    speech += [m.end() for m in _SPEECH_THEN_THAT.finditer(text, start, end)]
    cuts = sorted({cut for cut in marks + speech if start < cut < end and outside_quotes(cut)})
    spans = _cut(text, start, end, cuts)
    opens_statement = {span[0] for cut in speech if cut in cuts and (span := _trimmed(text, cut, end))}
    return [(a, b, following[0] in opens_statement) for (a, b), following in zip(spans, [*spans[1:], (end, end)])]


def clause_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each clause of text[start:end]."""
    return [(a, b) for a, b, _ in _clauses(text, start, len(text) if end is None else end)]


def clause_windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """For a sentence longer than CLAUSE_WINDOW_CHARS: from each clause, the longest run of whole clauses that
    stays within that length, the sentence itself excluded. A window never ends on an attribution whose statement
    follows («قال الوزير» before «إن …» or a quote): it takes the statement too, or stops before the attribution."""
    if end - start <= CLAUSE_WINDOW_CHARS:
        return []
    clauses = _clauses(text, start, end)
    windows: set[tuple[int, int]] = set()
    for first, (window_start, _, _) in enumerate(clauses):
        last = first
        while last + 1 < len(clauses) and clauses[last + 1][1] - window_start <= CLAUSE_WINDOW_CHARS:
            last += 1
        if clauses[last][2] and last + 1 < len(clauses):
            last = last - 1 if last > first else last + 1
        windows.add((window_start, clauses[last][1]))
    windows.discard(_trimmed(text, start, end))
    return sorted(windows)


def statement_start(text: str, at: int) -> int:
    """Where the statement that begins at `at` is attributed: the start of the clause naming its speaker when the
    clause just before is one («وأضاف الوزير» before «أن …»), else `at` itself."""
    for start, end in sentence_spans(text):
        if start <= at < end:
            clauses = _clauses(text, start, end)
            return next((a for (a, _, opens), (b, _, _) in zip(clauses, clauses[1:]) if opens and b == at), at)
    return at


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
        skeleton = _ARTICLE.sub("", word).translate(_ARABIC_CLASSES)
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


def name_keys(word: str) -> list[str]:
    """A word's name key, and for an Arabic word that may begin with the conjunction «و» or «ف» also the key
    without it: «وبيسكوف» is «و» + Peskov, but «فيدوروفا» is Fedorova."""
    keys = [name_key(word)]
    if (bare := _CONJUNCTION.sub("", word)) != word:
        keys.append(name_key(bare))
    return [key for key in dict.fromkeys(keys) if key]


# Latin spellings of Arabic names that the skeleton rules miss: the Maghreb's "g" for «ق» (Goubantini,
# «القوبنطيني»), "p" for «ف» (Palestinian), "dh" for «ظ» (Mahfoudh), a silent "h" (Johnson, «جونسون»), a prefix
# Arabic writes as a word of its own (Bensedrine, «بن سدرين»; Abdellatif, «عبد اللطيف»), and an adjective or plural
# made from a name (Tunisian, «تونس»).
_LATIN_RESPELLINGS = [
    (re.compile(r"g"), "q"), (re.compile(r"p"), "f"), (re.compile(r"dh"), "z"),
    (re.compile(r"(?<=[aeiou])h(?=[^aeiou])"), ""),
    (re.compile(r"^(?:abdel|abdul|abd|abou|abu|ben|bel|bou|el|al)(?=[a-z]{4})"), ""),
    (re.compile(r"(?:ians?|ans|ish|ese|is)$"), ""),
]


def name_respellings(text: str) -> dict[str, list[str]]:
    """Each Latin name's key in a text, with the keys its other likely Arabic spellings have (for a question: the
    store may know the name by one of those)."""
    found: dict[str, list[str]] = {}
    for original in _WORD.findall(text):
        word = original.lower()
        if not (original[:1].isupper() and word.isascii() and word.isalpha()) or word in _ENGLISH_STOPWORDS:
            continue
        key = name_key(word)
        respelt = [name_key(pattern.sub(sound, word)) for pattern, sound in _LATIN_RESPELLINGS]
        if key and (others := [k for k in dict.fromkeys(respelt) if k and k != key]):
            found[key] = others
    return found


def _is_name_candidate(original: str) -> bool:
    """Arabic script has no capitals, so every Arabic word may be a name; in Latin script, capitalised words."""
    return bool(_ARABIC_WORD.fullmatch(original)) or original[:1].isupper()


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return _WORD.findall(normalize(text))


def _table(path: Path) -> list[list[str]]:
    """The rows of one of Sanad's word lists: tab-separated, a key and at least one value, "#" comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the word list {path}: {error}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        row = line.split("\t")
        if len(row) < 2 or not row[0].strip():
            raise ConfigError(f"{path}:{number}: expected a key and at least one value, tab-separated")
        rows.append(row)
    return rows


# "~~" and not "@": the lexical index keeps "~" inside a token and splits at other punctuation; a name key is "~"
# and capital letters only, so the two never meet.
ALIAS_PREFIX = "~~"
ALIASES_FILE = Path(__file__).with_name("aliases.tsv")


@lru_cache(maxsize=1)
def _aliases() -> tuple[dict[str, str], dict[tuple[str, ...], str], list[int], set[str]]:
    """The alias list as (acronym → key, stemmed name words → key, the names' lengths in words, longest first,
    the stems names start with)."""
    acronyms: dict[str, str] = {}
    names: dict[tuple[str, ...], str] = {}
    for key, *spellings in _table(ALIASES_FILE):
        for spelling in spellings:
            if spelling.isascii() and spelling.isupper():
                acronyms[spelling] = key
            elif stems := tuple(stem(word) for word in words(spelling)):
                names[stems] = key
    return acronyms, names, sorted({len(name) for name in names}, reverse=True), {name[0] for name in names}


def _alias_keys(originals: list[str], stems: list[str]) -> list[str]:
    """The key of every alias named in a text, given its words as written and as stemmed."""
    acronyms, names, longest_first, starts = _aliases()
    found = [ALIAS_PREFIX + acronyms[word] for word in originals if word in acronyms]
    return found + [ALIAS_PREFIX + names[name] for name in _phrases(stems, names, longest_first, starts)]


def _phrases(stems: list[str], known: dict, longest_first: list[int], starts: set[str]) -> list[tuple[str, ...]]:
    """The known phrases in a run of stems, the longest that starts at a word first, each word in one phrase at
    most: «حلف شمال الأطلسي» is one mention, not also «الأطلسي»."""
    found = []
    at = 0
    while at < len(stems):
        n = stems[at] in starts and next(
            (n for n in longest_first if at + n <= len(stems) and tuple(stems[at : at + n]) in known), 0
        )
        if n:
            found.append(tuple(stems[at : at + n]))
        at += n or 1
    return found


LEXICON_FILE = Path(__file__).with_name("lexicon.tsv")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[tuple[str, ...], tuple[str, ...]], list[int], set[str]]:
    """The bilingual lexicon as (an English word or phrase, stemmed → the stems of its Arabic translations, each
    once), the English phrases' lengths in words, longest first, and the stems they start with."""
    translated: dict[tuple[str, ...], dict[str, None]] = {}
    for english, *arabic in _table(LEXICON_FILE):
        stems = translated.setdefault(tuple(stem(word) for word in words(english)), {})
        for translation in arabic:
            stems.update((stem(word), None) for word in words(translation) if word not in _ARABIC_STOPWORDS)
    lexicon = {english: tuple(stems) for english, stems in translated.items()}
    return lexicon, sorted({len(english) for english in lexicon}, reverse=True), {english[0] for english in lexicon}


def translations(text: str) -> list[str]:
    """The Arabic stems that translate a text's English words and phrases ("foreign minister": «وزير الخارجية»,
    not "foreign" and "minister"); what the lexicon does not hold is left out."""
    lexicon, longest_first, starts = _lexicon()
    # Function words are not left out: the lexicon holds none but "won", which a list of them takes for "won't".
    stems = [stem(word) if word.isascii() else "" for word in words(text)]
    found = [translated for phrase in _phrases(stems, lexicon, longest_first, starts) for translated in lexicon[phrase]]
    return list(dict.fromkeys(found))


# Stored with the lexical index: a store indexed with other terms is re-indexed when it is opened.
# 2: alias keys, and name keys with and without a leading «و/ف».
TERMS_VERSION = "2"
# How articles are cut into chunks and units (the sentence and clause rules above, ingest/chunker.py). It is part
# of every article's fingerprint, so after a change an ingest of the same files writes each article again and
# the store equals a clean ingest. 2: two periods are a pause, not a sentence end.
UNITS_VERSION = 2


@lru_cache(maxsize=200_000)
def _word_terms(original: str) -> tuple[str, tuple[str, ...]]:
    """A word as written: its stem, and what the lexical index counts for it (nothing for a function word).
    Kept per word because answers analyse every unit of the passages they read, about 70 texts a question."""
    word = normalize(original)
    stemmed = stem(word)
    if word in _ARABIC_STOPWORDS or word in _ENGLISH_STOPWORDS:
        return stemmed, ()
    return stemmed, (stemmed, *name_keys(word)) if _is_name_candidate(original) else (stemmed,)


def terms(text: str) -> list[str]:
    """What the lexical index counts for a text: the stem of every word but function words, a name key for each
    name candidate, and the key of each alias it names."""
    # Marks go first: \w does not match them, so "المهمّة" would split at its shadda.
    originals = _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFKC", text)))
    analysed = [_word_terms(original) for original in originals]
    counted = [term for _, word_terms in analysed for term in word_terms]
    return counted + _alias_keys(originals, [stemmed for stemmed, _ in analysed])
