"""Language, tokens and normalized terms of a product title.

Titles are short, often in Title Case, and mix a product noun with brands,
model numbers and sizes. Each title is tokenized by
a blank spaCy pipeline of its language (no model download). German and
English words are reduced to lemmas by spaCy's lookup lemmatizer with the
tables from spacy-lookups-data. Norwegian words are stemmed with the Snowball
stemmer instead, because spaCy's Norwegian lookup table has only about 1 600
entries and returns most words unchanged. Numbers with units and model
numbers (``M8x20``, ``16GB``, ``10000mAh``) are kept whole as extra terms,
because the tokenizer would split ``16 GB`` and they often name the product.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
import spacy
from spacy.lang.de.stop_words import STOP_WORDS as GERMAN_STOP_WORDS
from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.nb.stop_words import STOP_WORDS as NORWEGIAN_STOP_WORDS
from spacy.language import Language

logger = logging.getLogger(__name__)

LANGUAGES = ("nb", "de", "en")

# A title without any clue is read as English, because English listings
# appear on every Amazon marketplace.
DEFAULT_LANGUAGE = "en"

# Stop words that belong to one language only: "for", "and" and "i" are
# stop words in both Norwegian and English, "der" in Norwegian and German.
_STOP_WORDS = {
    "nb": NORWEGIAN_STOP_WORDS - ENGLISH_STOP_WORDS - GERMAN_STOP_WORDS,
    "de": GERMAN_STOP_WORDS - ENGLISH_STOP_WORDS - NORWEGIAN_STOP_WORDS,
    "en": ENGLISH_STOP_WORDS - NORWEGIAN_STOP_WORDS - GERMAN_STOP_WORDS,
}
_LETTERS = {"nb": frozenset("æøå"), "de": frozenset("äöüß")}

# A letter such as "æ" weighs as much as two stop words: it is rarer and
# almost never appears in a title of another language.
_LETTER_WEIGHT = 2

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Quantities with a unit ("16GB", "16 GB", "4,5 m", "10000mAh", "2.5\"").
# Decimal commas become points in the term.
_UNIT = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?"
    r"(mah|wh|kwh|gb|tb|mb|mm|cm|km|m|kg|mg|g|ml|cl|l|kw|w|v|a|hz|khz|mhz|ghz|\"|in|inch|zoll|tommer"
    r"|pcs|pc|stk|stück|pack|pk|x)(?![\w])",
    re.IGNORECASE,
)
# Dimensions and model numbers are words that mix letters and digits
# ("M8x20", "1920x1080", "RTX4060", "SDCZ48-032G").
_CODE_CANDIDATE = re.compile(r"\w+(?:-\w+)*")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
WORD_SEPARATORS = re.compile(r"[-/+_|]")


@dataclass(frozen=True)
class TitleAnalysis:
    """The language of a title and its normalized terms, in title order.

    ``words`` are the lemmas or stems of the words that are not stop words.
    ``units`` are the quantities with units and the model numbers, lowercased.
    """

    language: str
    words: tuple[str, ...]
    units: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return self.words + self.units


def detect_language(text: str) -> str:
    """Pick "nb", "de" or "en" for a title from stop words and letters.

    Each word that is a stop word of only one language scores one point for
    it, and each letter æ, ø, å (Norwegian) or ä, ö, ü, ß (German) two. The
    highest score wins, ties go to the earlier language in LANGUAGES, and a
    title with no clue at all is read as DEFAULT_LANGUAGE. The heuristic
    costs a few microseconds; it misreads short Norwegian titles without
    stop words or Norwegian letters ("Batterier AA") as English.
    """
    lowered = text.lower()
    scores = dict.fromkeys(LANGUAGES, 0)

    for word in _WORD.findall(lowered):
        for language in LANGUAGES:
            if word in _STOP_WORDS[language]:
                scores[language] += 1

    for language, letters in _LETTERS.items():
        scores[language] += _LETTER_WEIGHT * sum(1 for char in lowered if char in letters)

    best = max(LANGUAGES, key=lambda language: scores[language])
    return best if scores[best] > 0 else DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def pipeline(language: str) -> Language:
    """Return the blank spaCy pipeline for a language, loaded once per process.

    German and English get the lookup lemmatizer; Norwegian gets only the
    tokenizer because its words are stemmed by Snowball. Loading all three
    took 1.3 to 2.2 s on a shared 2-core machine.
    """
    nlp = spacy.blank(language)
    if language in ("de", "en"):
        # Initializing only the pipe loads its lookup table from
        # spacy-lookups-data without the INFO logs of nlp.initialize().
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize()
    logger.debug("loaded blank spaCy pipeline %s with pipes %s", language, nlp.pipe_names)
    return nlp


@lru_cache(maxsize=None)
def _norwegian_stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("norwegian")


@lru_cache(maxsize=50_000)
def analyze_title(title: str) -> TitleAnalysis:
    """Detect the language of a title and extract its terms, cached per title."""
    language = detect_language(title)
    return TitleAnalysis(language, tuple(_words(title, language)), tuple(_units(title)))


def normalize_words(text: str, language: str) -> list[str]:
    """Lemmatize or stem the words of any text (a keyword, an account name) in a given language."""
    return _words(text, language)


def _words(text: str, language: str) -> list[str]:
    # Hyphens and slashes join parts that are words of their own
    # ("USB-C-Ladegeräte", "Stift/Kugelschreiber"). The German tokenizer
    # would keep them as one token.
    doc = pipeline(language)(WORD_SEPARATORS.sub(" ", text))
    stop_words = pipeline(language).Defaults.stop_words

    words = []
    for token in doc:
        if not token.is_alpha or token.lower_ in stop_words or len(token.text) < 2:
            continue
        words.append(_normalize_token(token.text, token.lemma_, language))
    return words


def _normalize_token(text: str, lemma: str, language: str) -> str:
    if language == "nb":
        return _norwegian_stemmer().stemWord(text.lower())

    # The lookup tables are case-sensitive: German nouns are capitalized and
    # English words lowercase, but titles are often in Title Case or lowercase.
    if lemma == text:
        variant = text.capitalize() if language == "de" else text.lower()
        table = pipeline(language).get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        lemma = table.get(variant, variant)
    return lemma.lower()


def _units(title: str) -> list[str]:
    units = []
    for number, unit in _UNIT.findall(title):
        units.append(number.replace(",", ".") + unit.lower())

    for candidate in _CODE_CANDIDATE.findall(title):
        code = candidate.lower()
        if _DIGIT.search(code) and _LETTER.search(code) and code not in units:
            units.append(code)
    return units
