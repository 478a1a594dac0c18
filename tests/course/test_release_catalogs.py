"""Does ``grade release`` keep in its catalogs the messages its code says, and click's catalog whole?"""

from __future__ import annotations

import shutil

from babel.messages.pofile import read_po

from grader import i18n
from grader.course import release


def catalog(path):
    with path.open("rb") as file:
        return read_po(file)


def test_a_release_keeps_click_s_whole_catalog_and_only_the_kit_s_messages_its_code_says(tmp_path):
    package = tmp_path / "grader"
    shutil.copytree(i18n.LOCALES, package / "locale")
    (package / "said.py").write_text('_("Total: {score}")\n', encoding="utf-8")
    release.released_catalogs(package)
    russian = package / "locale" / "ru" / "LC_MESSAGES"
    shipped = i18n.LOCALES / "ru" / "LC_MESSAGES"
    assert [m.id for m in catalog(russian / "grader.po") if m.id] == ["Total: {score}"]
    clicks = [m.id for m in catalog(russian / "click.po") if m.id]
    assert clicks == [m.id for m in catalog(shipped / "click.po") if m.id]
    assert "No such option {name!r}." in clicks  # what `grade 1 --nope` says
    assert (russian / "click.mo").read_bytes() == (shipped / "click.mo").read_bytes()
    assert not list(package.rglob("*.pot"))
