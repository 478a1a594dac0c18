"""The kit speaks Russian and English: its catalog is complete, every line of the report is translated, and the choice
(--lang, GRADER_LANG, the locale) reaches the document, the workers and the sandbox's children."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import click
import pytest
from babel.messages import checkers
from babel.messages.pofile import read_po

from grader import engine, i18n, registry, report
from grader.document import validate
from grader.sandbox import environment
from grader.settings import Settings
from tests.i18n_tools import LANGUAGE, OPEN, build_pseudo_locale

KIT = registry.KIT_ROOT
CHECK_LINE = re.compile(r"^  [✓✗-] \w+(?:\[[^\]]*\])?(?: \[[^\]]+\])?  [\d./]+$")  # a check's name and points: values only
THEIRS_READY = (i18n.LOCALES / "checks.pot").is_file()  # the checks' own texts (titles, messages) have a catalog


@pytest.fixture
def english():
    yield
    i18n.use(i18n.SOURCE)


@pytest.fixture
def pseudo_locale(tmp_path, monkeypatch, english):
    """Every message of the kit wrapped in ⟦⟧, spoken as Russian."""
    folder = build_pseudo_locale(tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALES", folder)
    i18n.use(LANGUAGE)
    return folder


def test_every_message_of_the_grader_domain_has_a_russian_translation_that_keeps_its_placeholders():
    with (i18n.LOCALES / "ru" / "LC_MESSAGES" / "grader.po").open("rb") as source:
        catalog = read_po(source)
    with (i18n.LOCALES / "grader.pot").open("rb") as source:
        template = {m.id for m in read_po(source) if m.id}
    assert template == {m.id for m in catalog if m.id}, "grader.po is out of date: run pybabel update (README, Languages)"
    assert catalog.num_plurals == 3
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms) and "fuzzy" not in message.flags, message.id
        assert not list(catalog.check()), list(catalog.check())
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(re.findall(r"\{[^{}]*\}", source[-1]))
        for form in forms:
            assert set(re.findall(r"\{[^{}]*\}", form)) == wanted, (message.id, form)
        checkers.python_format(catalog, message)  # raises TranslationError on a printf placeholder that does not match


def test_the_shipped_catalog_is_compiled_from_the_current_po():
    mo = i18n.LOCALES / "ru" / "LC_MESSAGES" / "grader.mo"
    assert mo.is_file() and mo.stat().st_mtime >= (mo.with_suffix(".po")).stat().st_mtime - 1, "run pybabel compile"


@pytest.mark.parametrize(("count", "form"), [(1, "балл)"), (2, "балла)"), (5, "баллов)"), (11, "баллов)"), (21, "балл)"), (24, "балла)")])
def test_points_take_russian_plural_forms(english, count, form):
    from grader.progress import worth

    i18n.use("ru")
    assert worth(count) == f"({count} {form}"


def test_every_line_of_the_report_of_every_stub_is_translated(pseudo_locale):
    doc, _ = engine.grade(Settings(submission=KIT / "exercises", seed=7, lang=LANGUAGE), list(registry.EXERCISES))
    assert doc["lang"] == LANGUAGE
    validate(doc)
    theirs = {
        "      " + line for e in doc["exercises"] for c in e["checks"] if c["status"] == "skipped" for line in c["message"].splitlines()
    }
    titles = {f"{e['exercise']} — {e['title']}" for e in doc["exercises"]}
    untranslated = []
    for line in click.unstyle(report.render(doc)).splitlines():
        if not line or CHECK_LINE.match(line) or OPEN in line:
            continue
        if not THEIRS_READY and (line in theirs or line in titles):  # the checks' texts: the other domain's proof
            continue
        untranslated.append(line)
    assert not untranslated


def test_cli_errors_are_translated(pseudo_locale, tmp_path):
    from grader.cli import _main

    for args in (
        ["1", "--submission", str(tmp_path / "absent")],
        ["no-such-exercise"],
        ["1", "--min-score", "-1"],
        ["1", "--memory-limit", "lots"],
    ):
        result = subprocess_free_run(_main, ["--lang", LANGUAGE, *args])
        assert result[0] == 2, (args, result)
        assert OPEN in result[1], (args, result[1])


def subprocess_free_run(entry, args):
    """``grade ARGS`` in this process: its exit code and what it wrote to stderr."""
    import contextlib
    import io

    err = io.StringIO()
    old = sys.argv
    sys.argv = ["grade", *args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = entry()
    finally:
        sys.argv = old
    return code, err.getvalue()


def grade(*args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in (i18n.ENV, *i18n.LOCALE_VARIABLES)}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env={**environ, **env}, cwd=KIT)


@pytest.mark.parametrize("how", [("--lang", "ru"), ("LANG", "ru_RU.UTF-8")], ids=["flag", "locale"])
def test_grade_1_in_russian(how):
    args, env = (["1", "--lang", "ru"], {}) if how[0] == "--lang" else (["1"], {how[0]: how[1]})
    result = grade(*args, "--seed", "5", **env)
    assert result.returncode == 1, result.stderr
    assert "Работа " in result.stdout and "еще не реализовано" in result.stdout and "Итого: 0/" in result.stdout
    assert "Total:" not in result.stdout and "not implemented yet" not in result.stdout
    assert result.stderr.startswith("Проверяю exercise1")


def test_english_is_the_default_and_a_bad_language_is_one_line_exit_2():
    english, default = grade("1", "--lang", "en", "--seed", "5"), grade("1", "--seed", "5", LANG="C.UTF-8")
    assert english.stdout == default.stdout and "Total: 0/" in english.stdout
    for bad in (grade("list", "--lang", "de"), grade("list", GRADER_LANG="fr")):
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "is not a language of the kit" in bad.stderr, bad.stderr


def test_the_document_says_its_language_and_keeps_its_keys_english():
    result = grade("1", "--lang", "ru", "--format", "json", "--seed", "5")
    import json

    doc = json.loads(result.stdout)
    validate(doc)
    assert doc["lang"] == "ru" and {c["status"] for e in doc["exercises"] for c in e["checks"]} <= {"passed", "failed"}
    assert doc["exercises"][0]["checks"][0]["message"] == "еще не реализовано"


def test_the_language_reaches_workers_and_sandbox_children(english):
    settings = Settings(submission=KIT, seed=1, lang="ru")
    assert Settings.from_json(settings.to_json()).lang == "ru"
    assert Settings.from_json({k: v for k, v in Settings(submission=KIT, seed=1).to_json().items() if k != "lang"}).lang == "en"
    i18n.use("ru")
    assert environment.clean()[i18n.ENV] == "ru"


def test_grade_batch_in_russian_writes_russian_feedback_and_summary(tmp_path):
    import shutil

    for student, source in (("ada", KIT / "exercises"), ("bob", KIT / "solutions")):
        (tmp_path / "sub" / student).mkdir(parents=True)
        shutil.copy(source / "exercise1_tensors.py", tmp_path / "sub" / student)
    result = grade("batch", str(tmp_path / "sub"), "--out", str(tmp_path / "out"), "--exercises", "1", "--jobs", "1", "--lang", "ru")
    assert result.returncode == 0, result.stderr
    feedback = (tmp_path / "out" / "feedback" / "ada.md").read_text(encoding="utf-8")
    assert feedback.startswith("# Отзыв для ada\n\nОценка: 0/") and "еще не реализовано" in feedback and "Итого: 0/" in feedback
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Сводка по группе\n\n2 студента · ") and "## Проверки, начиная с самых трудных" in summary
