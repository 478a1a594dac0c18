"""A pseudo-locale for the kit's tests: every translation is its message wrapped in MARKS, so a line that a person
reads and that does not carry the marks was never translated (tests/cli/test_i18n.py; the checks' tests import it too).

The checks' own texts are marked finer, each literal stretch between placeholders (:func:`speaking_marked_checks`), so
that a value put into a message is told from prose added outside the catalog (tests/checking/test_i18n_checks.py, and
every realistic mistake's grading in tests/judge/test_expected.py)."""

from __future__ import annotations

import contextlib
import re
import string
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


# ------------------------------------------------------------------ the checks' texts, each literal stretch marked

CHECKS_PO = i18n.LOCALES / LANGUAGE / "LC_MESSAGES" / "checks.po"
PROSE = re.compile(r"\b[A-Za-z]+(?: (?:[A-Za-z]+|\d+)){2,}\b")  # three words in a row, numbers among them: English text
# Sentences the results layer (grader/checking/results.py) builds around a child's failure, not a check.
RESULTS_LAYER = ("not implemented yet", "your code raised", "could not import", "the check ran past", "internal error")


def mark_literals(text: str) -> str:
    """``text`` with each literal stretch marked and each placeholder left as it is."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return OPEN + text + CLOSE
    if any(name is not None and not re.fullmatch(r"\w*", name) for _, name, _, _ in parts):
        return OPEN + text + CLOSE  # its braces are code (a dict in a hint), never filled in
    out = []
    for literal, name, spec, conv in parts:
        if literal.strip():
            out.append(OPEN + literal.replace("{", "{{").replace("}", "}}") + CLOSE)
        else:
            out.append(literal)
        if name is not None:
            out.append("{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)


@contextlib.contextmanager
def speaking_marked_checks(folder: Path):
    """i18n speaking "ru" from a ``checks`` catalog of every msgid of the Russian one, each literal stretch marked
    (``{call}⟦ returned ⟧{got}``); English again afterwards."""
    with CHECKS_PO.open("rb") as source:
        marked = read_po(source)
    for message in marked:
        if message.id:
            forms = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = tuple(mark_literals(forms[min(i, len(forms) - 1)]) for i in range(3))
            message.string = strings if len(forms) > 1 else strings[0]
    target = folder / LANGUAGE / "LC_MESSAGES" / "checks.mo"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        write_mo(out, marked)
    kept = i18n.LOCALES
    i18n.LOCALES = folder
    i18n.use(LANGUAGE)
    try:
        yield
    finally:
        i18n.LOCALES = kept
        i18n.use(i18n.SOURCE)


def unmarked(text: str) -> str:
    """What is left of ``text`` once every marked stretch (marks nest: a call described inside a message) is cut out."""
    out, depth = [], 0
    for char in text:
        depth += (char == OPEN) - (char == CLOSE)
        if depth == 0 and char != CLOSE:
            out.append(char)
    return "".join(out)


def from_a_check(check: dict) -> str | None:
    """The message a check itself built (not the results layer's), without what the student's code printed."""
    message = check["message"].split("\n" + i18n._("--- your code printed ---") + "\n")[0]  # the separator, in the run's language
    if check["status"] not in ("failed", "skipped") or not message or message.lstrip(OPEN).startswith(RESULTS_LAYER):
        return None
    return message


def unmarked_wording(doc: dict) -> tuple[int, list[tuple[str, str]]]:
    """Of a document graded under :func:`speaking_marked_checks`, while it still speaks (the separator before what the
    student's code printed is read in its language): how many messages its checks built, and those with English prose
    outside the marks (a sentence built outside the catalog). Every hint must be the catalog's."""
    seen, leaks = 0, []
    for part in doc["exercises"]:
        for check in part["checks"]:
            assert OPEN in i18n._(check["hint"]), f"{check['name']}: the hint is not in the catalog (N_ it)"
            message = from_a_check(check)
            if message is not None:
                seen += 1
                if message.count(OPEN) == 0 or PROSE.search(unmarked(message)):
                    leaks.append((check["name"], message))
    return seen, leaks
