"""Text analysis: stems under the web app's parallel load, clauses and clause windows, aliases, the bilingual
lexicon."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

import analysis
from analysis import (
    ALIAS_PREFIX, CLAUSE_WINDOW_CHARS, clause_spans, clause_windows, statement_start, stem, terms, translations, words,
)
from errors import ConfigError


def test_stemming_gives_the_same_stems_from_parallel_threads():
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    generator = random.Random(7)
    words = ["ال" + "".join(generator.choices(letters, k=generator.randint(3, 9))) for _ in range(3000)]
    words += ["".join(generator.choices("abcdefghijklmnopqrstuvwxyz", k=generator.randint(3, 12))) for _ in range(3000)]
    uncached = stem.__wrapped__  # the cache would hand back stems computed before, hiding a race
    expected = [uncached(word) for word in words]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            assert list(pool.map(uncached, words, chunksize=50)) == expected


# Clauses and clause windows: the units below the sentence that long Arabic news sentences are read by.

LONG_SENTENCE = (
    "دخلت القوافل الأولى إلى الوادي صباح الاثنين، بعد أسابيع من المفاوضات الشاقة بين الحكومة والفصائل، "
    "وقالت المتحدثة باسم البعثة، ماريانا فيدوروفا، إن الممر سيبقى مفتوحا اثنتي عشرة ساعة يوميا طوال الشتاء، "
    "فيما أكد الوزير أن قوات الأمن لن تفتش الشحنات الطبية، داعيا الفصائل إلى «احترام كل بند، لأن حياة الأسر معلقة به»."
)


def test_clauses_cut_at_commas_and_before_what_was_said_but_never_inside_a_quote():
    clauses = [LONG_SENTENCE[a:b] for a, b in clause_spans(LONG_SENTENCE)]
    assert "ماريانا فيدوروفا،" in clauses
    assert any(c.startswith("فيما أكد الوزير") and not c.endswith("،") for c in clauses)  # cut before «أن»
    assert "«احترام كل بند، لأن حياة الأسر معلقة به»." in clauses  # the comma inside the quote does not cut
    assert "".join(LONG_SENTENCE[a:b] for a, b in clause_spans(LONG_SENTENCE)).replace(" ", "") == LONG_SENTENCE.replace(" ", "")


def test_two_periods_end_a_clause():
    text = "وقال الوزير إن الحرب على الفساد سياسة.. لها رؤيتها واستراتيجيتها.. وليست حملة انتقائية."
    assert [text[a:b] for a, b in clause_spans(text)] == [
        "وقال الوزير", "إن الحرب على الفساد سياسة..", "لها رؤيتها واستراتيجيتها..", "وليست حملة انتقائية.",
    ]


def test_clause_windows_are_short_runs_of_whole_clauses_that_keep_a_statement_with_its_speaker():
    windows = [LONG_SENTENCE[a:b] for a, b in clause_windows(LONG_SENTENCE, 0, len(LONG_SENTENCE))]
    assert windows and all(len(w) <= CLAUSE_WINDOW_CHARS for w in windows)
    assert LONG_SENTENCE not in windows
    assert any("ماريانا فيدوروفا" in w and "اثنتي عشرة ساعة" in w for w in windows)
    # A window never stops on an attribution whose statement follows it.
    assert not any(w.endswith(("أكد الوزير", "فيما أكد الوزير")) for w in windows)
    assert clause_windows("جملة قصيرة، لا تحتاج إلى نوافذ.", 0, 31) == []


def test_a_statement_is_quoted_from_its_speaker():
    at = LONG_SENTENCE.index("أن قوات الأمن")
    assert LONG_SENTENCE[statement_start(LONG_SENTENCE, at):].startswith("فيما أكد الوزير")
    plain = LONG_SENTENCE.index("بعد أسابيع")
    assert statement_start(LONG_SENTENCE, plain) == plain


# Aliases (aliases.tsv): one test per class of entry.

def aliases_in(text: str) -> list[str]:
    return ["@" + t.removeprefix(ALIAS_PREFIX) for t in terms(text) if t.startswith(ALIAS_PREFIX)]


def test_a_latin_acronym_matches_only_as_written():
    assert aliases_in("The WHO and NATO met") == ["@WHO", "@NATO"]
    assert aliases_in("who knows what nato means") == []


def test_an_english_name_matches_its_words():
    assert aliases_in("the Collective Security Treaty Organization said") == ["@CSTO"]
    assert aliases_in("officials of the United Nations") == ["@UN"]


def test_an_arabic_name_matches_through_prefixes_and_spelling_variants():
    assert aliases_in("قالت منظمة معاهدة الأمن الجماعي") == ["@CSTO"]
    assert aliases_in("وطالب الأمين العام للأمم المتحدة") == ["@UN"]  # «للأمم» and «الأمم» share a stem
    assert aliases_in("ومنظمة الصحة العالمية") == ["@WHO"]


def test_an_arabic_short_name_or_transliteration_matches_once_per_mention():
    assert aliases_in("أعلن الناتو") == ["@NATO"]
    assert aliases_in("وحلف شمال الأطلسي") == ["@NATO"]  # the longest name, not also «الأطلسي» inside it


def test_the_alias_list_has_an_entry_per_entity():
    acronyms, names, *_ = analysis._aliases()
    assert len(set(acronyms.values()) | set(names.values())) >= 25


# The bilingual lexicon (lexicon.tsv): one test per class of entry. An English word is translated into the stems
# the lexical index holds for the Arabic words that translate it.

def holds(english: str, *arabic: str) -> bool:
    """Whether the translations of `english` include the stems of every Arabic word given."""
    return {stem(word) for text in arabic for word in words(text)} <= set(translations(english))


def test_government_and_politics_translate_with_the_longest_phrase_first():
    assert holds("Parliament passed the budget", "البرلمان", "الميزانية")
    assert translations("the foreign ministers") == [stem("وزير"), stem("الخارجية")]  # one phrase, not two words
    assert holds("the resignations", "استقالة")  # plural and inflected English forms share the stem


def test_security_and_justice_words_translate():
    assert holds("the court fined the smugglers", "محكمة", "غرامة", "مهربين")
    assert holds("troops killed in an attack", "قوات", "قتلى", "هجوم")


def test_economy_words_translate():
    assert holds("oil prices and unemployment", "النفط", "أسعار", "البطالة")


def test_days_and_months_translate_to_their_levantine_and_maghrebi_names():
    assert holds("on Friday 3 June", "الجمعة", "يونيو", "جوان", "حزيران")


def test_countries_and_demonyms_translate_where_the_name_key_cannot_link_them():
    assert holds("the Egyptian army", "مصر", "الجيش")
    assert holds("Egypt", "مصر")


def test_capitals_translate():
    assert holds("talks in Cairo and Geneva", "القاهرة", "جنيف")


def test_disasters_and_transport_translate():
    assert holds("the flood closed the railway", "فيضان", "السكك الحديدية")


def test_sport_and_culture_translate():
    assert holds("the team won the championship and a medal", "فريق", "فوز", "بطولة", "ميدالية")


def test_society_and_media_translate():
    assert holds("civil society and the displaced", "المجتمع المدني", "النازحين")


def test_arabic_text_and_unknown_words_have_no_translation():
    assert translations("ماذا قال الوزير عن الميزانية؟") == []
    assert translations("the xylophone of Goubantini") == []


@pytest.mark.parametrize("setting, load, content, line", [
    ("ALIASES_FILE", "_aliases", "# comment\nNATO\n", 2),
    ("LEXICON_FILE", "_lexicon", "# comment\nbudget\tميزانية\nmission\n", 3),
])
def test_a_broken_word_list_line_is_an_error_naming_the_file_and_line(
    monkeypatch, tmp_path, setting, load, content, line
):
    broken = tmp_path / "list.tsv"
    broken.write_text(content, encoding="utf-8")
    monkeypatch.setattr(analysis, setting, broken)
    loader = getattr(analysis, load)
    loader.cache_clear()
    try:
        with pytest.raises(ConfigError, match=rf"{broken}:{line}: expected a key and at least one value"):
            loader()
    finally:
        loader.cache_clear()
