"""Do the exercises' texts (the ``checks`` domain) all go through the catalog, and does Russian cover every one of them?

A pseudo catalog (tests/i18n_tools.py) marks the literal text of every message (``{call}⟦ returned ⟧{got}``): a check's
message graded under it may hold unmarked text only where a value, code or a path was put in. English prose
outside the marks is a sentence built outside the catalog.
"""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from grader import i18n, registry
from grader.checking import results
from tests import mistakes
from tests.helpers import KIT, grade, solution_with, submission_from
from tests.i18n_tools import PROSE, from_a_check, speaking_marked_checks, unmarked_wording

LOCALE = Path(i18n.__file__).resolve().parent / "locale"
PO = LOCALE / "ru" / "LC_MESSAGES" / "checks.po"
MO = PO.with_suffix(".mo")
SOURCES = [*sorted((KIT / "grader" / "checks").glob("*.py")), *sorted((KIT / "grader" / "checking").glob("*.py"))]
SOURCES.append(KIT / "grader" / "registry.py")  # the exercises' titles
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
EXERCISES = [pytest.param(e, id=e.name) for e in registry.EXERCISES]


def catalog():
    with PO.open("rb") as f:
        return read_po(f)


def ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def fields(text: str) -> list[str]:
    """The placeholders of a brace-format string, sorted; braces around code (a dict in a hint) are no placeholder."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return []
    return sorted(f"{name}!{conv}:{spec}" for _, name, spec, conv in parsed if name is not None and re.fullmatch(r"\w*", name))


@pytest.fixture
def russian():
    i18n.use("ru")
    yield
    i18n.use(i18n.SOURCE)


# ------------------------------------------------------------------ the catalog


def test_every_message_has_a_russian_translation_with_its_placeholders():
    found = catalog()
    problems = [(m.id, [str(e) for e in errors]) for m, errors in found.check()]
    assert problems == []
    for message in found:
        if not message.id:
            continue
        assert "fuzzy" not in message.flags, message.id
        assert all(strings(message)), message.id
        assert len(strings(message)) == (3 if message.pluralizable else 1), message.id
        for form in strings(message):
            assert fields(form) == fields(ids(message)[-1]), (message.id, form)
            words = re.sub(r"\{\w*\}", "", form)  # a template of placeholders alone has nothing to translate
            assert re.search("[а-яА-Я]", words) or not re.search("[a-z]{4}", words), (message.id, form)


def test_the_catalog_holds_every_text_of_the_source_and_no_other():
    source = set()
    for path in SOURCES:
        source |= {msgid if isinstance(msgid, str) else msgid[0] for _, msgid, _, _ in extract_from_file("python", path, KEYWORDS)}
    assert source == {ids(m)[0] for m in catalog() if m.id}, "run the extract/update commands in the catalog's header"


def test_the_shipped_mo_is_compiled_from_the_po():
    compiled = io.BytesIO()
    write_mo(compiled, catalog())
    assert MO.read_bytes() == compiled.getvalue(), "run pybabel compile -D checks -d grader/locale"


def test_the_results_layer_sentences_in_english_are_todays_and_in_russian_russian(russian):
    assert results.not_implemented() == "еще не реализовано"
    assert results.raised("KeyError", "'x'", 7, "f.py") == "ваш код выбросил KeyError в строке 7 файла f.py: 'x'"
    i18n.use(i18n.SOURCE)
    assert results.not_implemented() == "not implemented yet"
    assert results.not_implemented("todo") == "not implemented yet: todo"
    assert results.raised("KeyError", "'x'", 7, "f.py") == "your code raised KeyError at line 7 of f.py: 'x'"
    assert results.raised("KeyError", "'x'") == "your code raised KeyError: 'x'"
    assert results.not_imported("f.py", "boom") == "could not import f.py: boom"


def test_exercise_titles_are_translated(russian):
    assert i18n._(registry.COURSE[0].title) == "Тензоры: создание, свойства и базовые операции"
    assert all(i18n._(e.title) != e.title for e in registry.COURSE)


# ------------------------------------------------------------------ graded under the pseudo catalog


@pytest.mark.slow  # grades the exercise, its stub and a mistake
@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_check_message_and_hint_goes_through_the_catalog(tmp_path, monkeypatch, exercise):
    """The stubs and the first realistic mistake here; every other mistake's wording is checked where it is graded
    (tests/judge/test_expected.py), so that no mistake is graded twice for it."""
    monkeypatch.setenv("GRADER_MNIST_EPOCHS", "1")  # exercise 6's training check: its message, not its accuracy
    mistake = mistakes.of(exercise)[0]
    folder = submission_from(tmp_path, exercise.stem, solution_with(exercise.stem, mistake.code))
    with speaking_marked_checks(tmp_path / "locale"):
        graded = [grade(KIT / "exercises", [exercise]), grade(folder, [exercise], seed=99)]
        worded = [unmarked_wording(doc) for doc, _internal in graded]
    assert [internal for _doc, internal in graded] == [0, 0], "a check broke while wording its message"
    assert [leak for _seen, leaks in worded for leak in leaks] == []
    assert sum(seen for seen, _leaks in worded) >= 1, "the mistake must make a check speak"


@pytest.mark.slow  # grades the exercise and its mistakes
@pytest.mark.parametrize("exercise", EXERCISES)
def test_no_english_sentence_in_russian(tmp_path, monkeypatch, russian, exercise):
    """The stub (whose failures the results layer words, but exercise 7's skips are the checks') and a few mistakes."""
    monkeypatch.setenv("GRADER_MNIST_EPOCHS", "1")
    graded = [grade(KIT / "exercises", [exercise])]
    for index, mistake in enumerate(mistakes.of(exercise)[:3]):
        (tmp_path / str(index)).mkdir()
        graded.append(grade(submission_from(tmp_path / str(index), exercise.stem, solution_with(exercise.stem, mistake.code)), [exercise]))
    assert [internal for _doc, internal in graded] == [0] * len(graded), "a check broke while wording its message"
    docs = [doc for doc, _internal in graded]
    said = [message for doc in docs for check in doc["exercises"][0]["checks"] if (message := from_a_check(check))]
    assert said, "the mistakes must make the checks speak"
    assert [message for message in said if PROSE.search(message) or not re.search("[а-я]", message)] == []
