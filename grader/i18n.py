"""The language the kit speaks to people: English (the source) or Russian, from gettext catalogs kept with Babel.

One language per process, chosen once with :func:`use` (``--lang``, ``GRADER_LANG``, else the locale), so that a
check builds its messages in it. Three domains: ``grader`` holds the kit's own texts (report, CLI, feedback,
formats), ``checks`` the exercises' texts (check messages and hints), which a teacher extends with a new exercise,
and ``click`` the texts of click itself (``Usage:``, ``No such option``), extracted from its source.
"""

from __future__ import annotations

import gettext
import os
from decimal import Decimal
from pathlib import Path

from babel import Locale, numbers

from grader.errors import UsageProblem

LANGUAGES = ("en", "ru")
SOURCE = "en"  # the language the messages are written in; the fallback
ENV = "GRADER_LANG"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX's order: the first one set decides
LOCALES = Path(__file__).resolve().parent / "locale"
CLICK = "click"  # the domain click's own texts are in: click asks gettext's global domain for them
DOMAINS = ("grader", "checks", CLICK)

_language = SOURCE
_translation: gettext.NullTranslations = gettext.NullTranslations()


def choose(asked: str | None = None, environ=os.environ) -> str:
    """The language of a run: ``asked`` (``--lang``), else ``GRADER_LANG``, else the locale's, else English."""
    for given, where in ((asked, "--lang"), (environ.get(ENV), ENV)):
        if given:
            if given not in LANGUAGES:
                choices = ", ".join(LANGUAGES)
                raise UsageProblem(
                    _("{where} {given!r} is not a language of the kit: use one of {choices}").format(
                        where=where, given=given, choices=choices
                    )
                )
            return given
    for name in LOCALE_VARIABLES:
        if environ.get(name):
            code = environ[name].split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else SOURCE
    return SOURCE


def use(language: str, locales: Path | None = None) -> None:
    """Speak ``language`` from now on, in this process (the sandbox tells its children, :mod:`grader.sandbox.environment`).
    ``locales``: another folder of catalogs, for a test's pseudo-locale."""
    global _language, _translation
    translation = gettext.NullTranslations()
    if language != SOURCE or locales is not None:
        for domain in reversed(DOMAINS):
            found = gettext.translation(domain, locales or LOCALES, [language], fallback=True)
            found.add_fallback(translation)
            translation = found
    _language, _translation = language, translation


def tell_click(language: str) -> None:
    """Make click's own texts (usage, its errors) speak ``language`` too, in this process: the CLI's call.

    Click asks the standard ``gettext.gettext``, which reads gettext's global domain and, for the language,
    ``LANGUAGE`` first (GNU gettext's list of message languages); both are set here, since the locale may say otherwise."""
    gettext.bindtextdomain(CLICK, LOCALES)
    gettext.textdomain(CLICK)
    os.environ["LANGUAGE"] = language


def choose_and_use(asked: str | None = None) -> str:
    """Choose the language of this process (:func:`choose`) and speak it: what every entry point calls first."""
    language = choose(asked)
    use(language)
    return language


def current() -> str:
    """The language this process speaks: what the document's ``"lang"`` says and what its workers are told."""
    return _language


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language (Russian has three)."""
    return _translation.ngettext(singular, plural, n)


def plural_of(number: float) -> int:
    """The ``n`` for :func:`ngettext` of a count that may be a fraction (points): a whole number is itself, and a fraction
    takes the form of 2, which is what English ("1.5 points") and Russian ("1,5 балла") say of one."""
    return int(number) if float(number).is_integer() else 2


def number(value: float, places: int | None = None) -> str:
    """``value`` as people of the current language write it (60,000 and 1.5; Russian «60 000» and «1,5»), by Babel's
    CLDR data: the one home of a number that reaches a person. ``places``: the decimals shown (a mean, a time); None
    shows it exact, never rounded, as the document keeps scores."""
    if places is None:
        return numbers.format_decimal(value, locale=_language, decimal_quantization=False)
    return numbers.format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=_language)


def percent(value: float, places: int | None = 2) -> str:
    """``value`` percent (``91.45``) in the current language's style: 91.45% in English, «91,45 %» in Russian.
    ``places``: the decimals shown; None shows as many as ``value`` has (a goal of ``97`` is «97 %»)."""
    pattern = numbers.parse_pattern(Locale.parse(_language).percent_formats[None].pattern)
    if places is not None:
        pattern.frac_prec = (places, places)
    return pattern.apply(Decimal(repr(float(value))) / 100, _language, decimal_quantization=places is not None)


def worth(value: float) -> str:
    """``1 point``, ``17 points``; Russian «1 балл», «2 балла», «1,5 балла»: points as a count, in its plural form."""
    return ngettext("{points} point", "{points} points", plural_of(value)).format(points=number(value))


def out_of(score: float, most: float) -> str:
    """``12/17 points``; Russian «12 из 17 баллов»: a score and its maximum, the noun agreeing with the maximum."""
    said = ngettext("{score}/{most} point", "{score}/{most} points", plural_of(most))
    return said.format(score=number(score), most=number(most))


def some_of(names: list[str], most: int) -> str:
    """``a, b, c and 4 more``: the first ``most`` of ``names``, and how many others there are."""
    shown = ", ".join(names[:most])
    if len(names) > most:
        shown = _("{names} and {count} more").format(names=shown, count=len(names) - most)
    return shown


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it yet: a hint is defined at import, read in a run."""
    return message
