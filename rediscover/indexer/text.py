"""Text normalisation shared by indexing and querying: labels, emails, accent folding."""
from __future__ import annotations

import unicodedata


def normalize_label(value: str) -> str:
    """How tags, sources and rejection reasons compare: casefolded, whitespace collapsed."""
    return " ".join(value.split()).casefold()


def normalize_email(value: str) -> str:
    """The merge key and exact-email filter form: trimmed and lowercased."""
    return value.strip().lower()


def fold(value: str) -> str:
    """Lowercase, strip accents and collapse whitespace ("  Zoë " -> "zoe").

    ``lower()`` rather than ``casefold()`` on purpose: it is what SQLite's unicode61 tokenizer
    does ("ß" stays "ß"), so folded query terms and indexed tokens agree.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())
