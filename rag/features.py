"""What the answer scorer knows about each unit (sentence or clause window) of the passages an answer is read
from: only what the pipeline already has (similarities, ranks, shared terms weighted by their rarity in the store,
the lexicon's translations of an English question, names and aliases, the question's kind, reported speech,
language crossing, position, length)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from analysis import ALIAS_PREFIX, NAME_KEY_PREFIX, guess_language, languages_differ, normalize, terms, translations
from records import Passage, Sentence
from vectorstore.store import ChunkStore

# The best few passages are read for the answer, and re-ranked by it; lower ones rarely hold it.
PASSAGES_READ = 5

_QUESTION_KINDS = {
    "said": re.compile(
        r"(ماذا|ما الذي|ما|مما|الي ماذا|بماذا|عن ماذا)\s+(قال|صرح|اكد|اعلن|ذكر|دعا|دعت|طالب|حذر|اعتبر|اوضح|اضاف|وصف|نفي)"
        r"|\b(says?|said|tell|told|stated?|claim(ed|s)?|call(ed|s)? (for|on)|warn(ed|s)?|announced?|demand(ed|s)?"
        r"|describe[ds]?|den(y|ied|ies)|urged?|express(ed|es)?|accused?|stress(ed|es)?)\b",
        re.I,
    ),
    "when": re.compile(r"\bمتي\b|في (اي|اى) (عام|سنه|تاريخ|يوم|شهر|قرن)|\bwhen\b|what (year|date|day)|which (year|day)", re.I),
    "count": re.compile(r"\bكم\b|how (many|much|long|old)|\bnumber of\b", re.I),
}
# Whom a "said" question asks about: "What did <speaker> say …", or in normalised Arabic «ماذا قال <speaker> عن …».
_SPEAKER = (
    re.compile(
        r"\b(?:what|how|why)\s+(?:did|does|do|has|have)\s+(?P<speaker>.+?)\s+(?:say|tell|state|claim|call|warn|announce"
        r"|demand|describe|deny|urge|express|accuse|stress|respond|reply|react|add|confirm|reveal|promise|propose"
        r"|suggest|threaten|think|believe|argue|insist)\b",
        re.I,
    ),
    re.compile(
        r"(?:ماذا|ما الذي|ما|مما|بماذا|بما|الي ماذا|عن ماذا)\s+[وف]?(?:قال|قالت|صرح|صرحت|اكد|اكدت|اعلن|اعلنت|ذكر|ذكرت"
        r"|دعا|دعت|طالب|طالبت|حذر|حذرت|اعتبر|اعتبرت|اوضح|اوضحت|اضاف|اضافت|وصف|وصفت|نفي|نفت|رد|ردت|اقترح|اقترحت"
        r"|اتهم|اتهمت|وعد|وعدت|كشف|كشفت|شدد|شددت)\s+(?P<speaker>.+?)"
        r"(?=\s+(?:عن|حول|بشان|في|الي|من|بخصوص|ازاء|تجاه|خلال|علي|ل\S+)\s|[؟?.]|$)"
    ),
)
_MONTHS = (
    "يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر|كانون|شباط|اذار|نيسان|ايار|حزيران|"
    "تموز|اب|ايلول|تشرين|جانفي|فيفري|افريل|ماي|جوان|جويليه|اوت|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_FITS = {
    "said": re.compile(
        r"\b[وف]?(قال|قالت|اكد|اكدت|صرح|صرحت|اعلن|اعلنت|اشار|اشارت|اضاف|اضافت|دعا|دعت|طالب|طالبت|حذر|حذرت|اعتبر|اعتبرت|"
        r"اوضح|اوضحت|شدد|شددت|لفت|لفتت|نفي|نفت|بحسب|وفقا|وفق|مؤكدا|مشيرا|معتبرا|مضيفا|موضحا|داعيا|محذرا|مطالبا|"
        r"said|says|told|according|added|stated|warned|called|urged|announced)\b"
    ),
    "when": re.compile(rf"\b\d{{3,4}}\b|\b({_MONTHS})\b|\b(عام|سنه|القرن|century|امس|اليوم|الماضي|الفارط)\b"),
    "count": re.compile(
        # Arabic number words may carry «و/ف/ب/ل» and the article: «لمئة وعشرين»
        r"\d|\b[وفبل]{0,2}(ال)?(الف|الاف|مليون|ملايين|مليار|مئه|مائه|مئتين|مئتان|عشر\w*|ثلاث\w*|اربع\w*|خمس\w*"
        r"|سته?|ستين|سبعه?|سبعين|ثماني?ه?|ثمانين|تسعه?|تسعين|اثنان|اثنين|اثنتي|اثنتان|واحد\w*"
        r"|thousand|million|billion|hundred|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
        r"|(thir|four|fif|six|seven|eigh|nine)teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|dozens?"
        # an amount of money answers "how much" (كم سعر)
        r"|دينار\w*|دولار\w*|يورو|ريال\w*|درهم\w*|جنيه\w*|dinars?|dollars?|euros?|pounds?)\b"
    ),
}

FEATURES = (
    "similarity", "similarity_gap", "similarity_rank", "best_similarity", "crosses_language", "similarity_if_crossing",
    "passage_similarity", "passage_rank", "top_passage_similarity",
    "shared_rare_terms", "shared_rare_terms_gap", "shared_rare_terms_if_crossing", "translated_terms_gap",
    "names_asked", "names_in_unit", "names_in_passage", "rarest_name_missing", "names_unknown_to_store",
    "kind_said", "kind_when", "kind_count", "fits_said", "fits_when", "fits_count", "said_and_speech_with_content",
    "log_chars", "position",
)


@dataclass(frozen=True)
class Candidate:
    """A unit that may answer, the number of the passage it is in (from 1), and what the scorer knows of it."""

    sentence: Sentence
    n: int
    features: np.ndarray


def question_type(question: str) -> str | None:
    """'said', 'when' or 'count' when the question asks for one of those, else None."""
    normalized = normalize(question)
    return next((kind for kind, pattern in _QUESTION_KINDS.items() if pattern.search(normalized)), None)


def speaker(question: str) -> str:
    """The words naming whom a "said" question asks about ("Michelle Bachelet", «وزير الخارجية»), or ""."""
    english, arabic = _SPEAKER
    found = english.search(question) or arabic.search(normalize(question))
    return found["speaker"] if found else ""


def fits(kind: str | None, normalized: str) -> bool:
    """Whether a (normalised) text has what a question of this kind asks for (reported speech, a date, a number)."""
    return bool(kind and _FITS[kind].search(normalized))


def _speech_with_content(normalized: str) -> bool:
    """Reported speech that goes on after its verb (in a normalised text): a statement, not the attribution alone."""
    found = _FITS["said"].search(normalized)
    return bool(found) and len(normalized) - found.end() > 25


def _shares(wanted: set[str], held_terms: list[set[str]], rarity: dict[str, float]) -> list[float]:
    """Each unit's share of the wanted terms, weighted by their rarity."""
    weight = sum(rarity[t] for t in wanted) or 1.0
    return [sum(rarity[t] for t in wanted & held) / weight for held in held_terms]


class FeatureMaker:
    """Turns the units of the top passages into feature rows, the same way at training and at answer time."""

    def __init__(self, store: ChunkStore):
        self.store = store

    def _rarity(self, wanted: set[str], total: int) -> dict[str, float]:
        """BM25's inverse document frequency of each term among the store's `total` chunks: a rare name weighs
        more than a common word."""
        counts = self.store.lexical.document_frequencies(sorted(wanted))
        return {term: math.log(1 + (total - counts[term] + 0.5) / (counts[term] + 0.5)) for term in wanted}

    def candidates(self, question: str, vector: np.ndarray, passages: list[Passage]) -> list[Candidate]:
        """Every unit of the top passages with its feature row, in passage then text order."""
        read = passages[:PASSAGES_READ]
        units = self.store.sentences([p.chunk for p in read], vector)
        if not units:
            return []
        language = guess_language(question)
        kind = question_type(question)
        asked = set(self.store.lexical.question_terms(question))
        # The lexicon's translations tell units of one passage apart, but only as a gap to the best: how many of a
        # question's words the lexicon knows must not make an answer more or less likely.
        translated = set(translations(question))
        names = {t for t in asked if t.startswith((NAME_KEY_PREFIX, ALIAS_PREFIX))}
        total = len(self.store.lexical)  # a count over the index: once per question
        rarity = self._rarity(asked | translated, total)  # one look-up for both
        rarest = math.log(1 + (total + 0.5) / 0.5)  # a term no chunk holds
        names_weight = sum(rarity[t] for t in names) or 1.0
        # A name no chunk holds: the question is about someone or something the store has never seen.
        unknown = sum(rarity[t] for t in names if rarity[t] >= rarest) / names_weight
        passage_terms = {p.chunk.id: set(terms(p.chunk.searchable_text)) for p in read}
        number = {p.chunk.id: n for n, p in enumerate(read, start=1)}
        similarities = np.array([similarity for _, similarity in units])
        best = float(similarities.max())
        ranks = (-similarities).argsort().argsort() + 1
        held_terms = [set(terms(unit.text)) for unit, _ in units]
        shares, translated_shares = _shares(asked, held_terms, rarity), _shares(translated, held_terms, rarity)
        most_shared, most_translated = max(shares), max(translated_shares)
        rows = []
        for (unit, similarity), rank, held, shared, translated_share in zip(
            units, ranks, held_terms, shares, translated_shares
        ):
            passage = read[number[unit.chunk_id] - 1]
            # A unit's own language: Arabic articles quote English posts, which an English question matches easily.
            crosses = float(languages_differ(guess_language(unit.text) or passage.chunk.lang, language))
            missing = names - passage_terms[unit.chunk_id]
            normalized = normalize(unit.text)
            fit = fits(kind, normalized)  # only the question's kind is asked of a unit
            rows.append(Candidate(unit, number[unit.chunk_id], np.array([
                similarity, best - similarity, math.log(rank), best, crosses, similarity * crosses,
                passage.score, number[unit.chunk_id], read[0].score,
                shared, most_shared - shared, shared * crosses, most_translated - translated_share, float(bool(names)),
                sum(rarity[t] for t in names & held) / names_weight,
                sum(rarity[t] for t in names & passage_terms[unit.chunk_id]) / names_weight,
                max((rarity[t] for t in missing), default=0.0) / rarest, unknown,
                kind == "said", kind == "when", kind == "count",
                (kind == "said") * fit, (kind == "when") * fit, (kind == "count") * fit,
                (kind == "said") and _speech_with_content(normalized),
                math.log(len(unit.text) + 1), min(unit.start / 1000, 5.0),
            ], dtype=np.float64)))
        return rows
