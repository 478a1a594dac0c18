"""A pseudo-locale for the kit's tests: every translation is its message wrapped in MARKS, so a line that a person
reads and that does not carry the marks was never translated (tests/cli/test_i18n.py; the checks' tests import it too)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from grader import i18n

OPEN, CLOSE = "⟦", "⟧"
LANGUAGE = "ru"  # the pseudo catalog stands in for Russian, so that Russian's three plural forms are exercised


def pseudo(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


def build_pseudo_locale(folder: Path, domains=i18n.DOMAINS) -> Path:
    """Write ``folder/ru/LC_MESSAGES/<domain>.mo`` for each domain whose template (``grader/locale/<domain>.pot``) exists,
    every message translated to itself in marks; returns ``folder``, for ``i18n.use(LANGUAGE, locales=folder)``."""
    for domain in domains:
        template = i18n.LOCALES / f"{domain}.pot"
        if not template.is_file():
            continue
        with template.open("rb") as source:
            catalog = read_po(source, locale=LANGUAGE)
        for message in catalog:
            if message.id:
                message.string = (
                    tuple(pseudo(form) for form in [message.id[0]] + [message.id[1]] * 2) if message.pluralizable else pseudo(message.id)
                )
        target = folder / LANGUAGE / "LC_MESSAGES" / f"{domain}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            write_mo(out, catalog)
    return folder
