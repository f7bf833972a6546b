"""Text normalisation for search: the same function prepares stored documents and queries, so
accents, case, ligatures and punctuation never decide whether something is found."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Abbreviations people type for words stored in full (``st etienne`` → Saint-Étienne).
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "dr": "docteur"}


def normalize(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces: ``"Saint-Étienne (42)"`` → ``"saint etienne 42"``."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", ascii_only).strip()


def query_words(text: str | None) -> list[str]:
    """The words of a search query, normalised, abbreviations expanded, duplicates dropped."""
    words: list[str] = []
    for word in normalize(text).split():
        word = ABBREVIATIONS.get(word, word)
        if word not in words:
            words.append(word)
    return words
