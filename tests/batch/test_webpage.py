"""Does ``grade batch`` write a ``report.html`` a teacher can open, and does it render in a real browser?

A small class is graded on exercises 1-2 by the real command (one batch, a few seconds); a copy of
its records with a made-up exercise 6 part (training curves, no MNIST trained) shows the curves.
The browser is headless Chromium from Debian's packages (``.ci/run`` installs it); its tests skip
where there is none.
"""

from __future__ import annotations

import contextlib
import html.parser
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from grader import registry, sandbox
from grader.batch import copies, summary, webpage
from grader.formats import curves
from grader.judge import engine
from tests.helpers import KIT

pytestmark = pytest.mark.slow
SEED = 4242
E1, E2, E6 = "exercise1_tensors", "exercise2_reshape", "exercise6_training"
EVIL = "<img src=x onerror=alert(1)>eve & \"co\" 'x'"  # a folder's name is a student's id: it must come out as text
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "wbr", "source"}
PARTIAL = "\n\ndef make_vector(values):\n    listed = list(values)\n    result = torch.tensor(listed)\n    return result\n"
RENAMED = (  # the reference's matmul_by_hand, renamed and laid out anew
    "\n\ndef matmul_by_hand(left: Tensor, right: Tensor) -> Tensor:\n    # rows by columns\n    n, _m = left.shape\n\n"
    "    width = right.shape[1]\n    out = torch.zeros(n, width, dtype=left.dtype)\n    for r in range(n):\n"
    "        for c in range(width):\n            out[r, c] = (left[r, :] * right[:, c]).sum()\n    return out\n"
)
COPY = "\n\ndef make_vector(xs):\n    copied = list(xs)\n    out = torch.tensor(copied)  # mine\n    return out\n"
WINDOW = (1280, 2400)


def solution(stem: str, extra: str = "") -> str:
    return (KIT / "solutions" / f"{stem}.py").read_text(encoding="utf-8") + extra


class Page(html.parser.HTMLParser):
    """The page's elements as (tag, attributes), checked as it is read: every element that is opened is closed, in order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()
        assert self.stack == [], f"elements left open: {self.stack}"

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        assert self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class graded by ``grade batch --exercises 1,2``: (out, stdout, the students)."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    sources = {
        "ada": {E1: solution(E1), E2: solution(E2)},
        "cleo": {E1: solution(E1, PARTIAL), E2: solution(E2)},
        "dan": {E1: solution(E1, COPY)},
        EVIL: {E1: (KIT / "exercises" / f"{E1}.py").read_text(encoding="utf-8")},
        "ren": {E1: solution(E1, RENAMED)},
    }
    for student, files in sources.items():
        for stem, text in files.items():
            (root / student).mkdir(parents=True, exist_ok=True)
            (root / student / f"{stem}.py").write_text(text, encoding="utf-8")
    out = root.parent / "grades"
    command = [sys.executable, "-m", "grader.cli", "batch", str(root), "--out", str(out), "--exercises", "1,2", "--seed", str(SEED)]
    done = subprocess.run([*command, "--jobs", "2", "--timeout-scale", "0.5"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out, done.stdout, sorted(sources), command


def read_records(out: Path) -> list[dict]:
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return sorted(records, key=lambda r: r["batch"]["student"])


def test_the_batch_writes_the_page_and_says_where(graded):
    out, stdout, _students, _command = graded
    assert f"report    {out / 'report.html'}" in stdout.splitlines()
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    assert not page.all("script"), "the page is one file, with no script"
    assert not page.all("link"), "the page is one file, with no script"
    assert not page.all("img"), "the page is one file, with no script"
    facts = "".join(page.text)
    assert f"seed{SEED}" in facts
    assert "kit version0.1.0" in facts
    assert f"isolation{', '.join(sandbox.isolation().held)}" in facts  # the batch's workers run on this machine too
    assert "grading time" in facts
    assert "the students' gradings added up" in facts
    assert "wall time" in facts
    assert "for this run, which graded 5" in facts


def test_it_has_a_histogram_per_exercise_and_the_pass_rate_bars_hardest_first(graded):
    out, *_ = graded
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    assert [figure["data-of"] for figure in page.all("figure", **{"class": "histogram"})] == ["total", E1, E2]
    assert len(page.all("svg")) == 3
    text = (out / "report.html").read_text(encoding="utf-8")
    table = text.split('<table class="pass-rates">')[1].split("</table>")[0]
    rates = summary.pass_rates(read_records(out))
    of_both = len(engine.collect(registry.EXERCISES[:2]))
    assert table.count('<span class="bar">') == len(rates) == of_both, "a bar per check of exercises 1 and 2"
    names = [row.split("<td>")[1].split("</td>")[0] for row in table.split("<tr>")[2:]]
    assert names == [rate.name for rate in rates]
    assert names[0] == f"{E1}::make_vector"
    assert "width: 40.0%" in table.split("</tr>")[1], "make_vector: 2 of the 5 students who handed it in"
    assert all(rate.hint and webpage.esc(rate.hint) in table for rate in rates)


def test_every_student_has_a_row_linking_their_feedback(graded):
    out, _stdout, students, _command = graded
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    links = {a["href"] for a in page.all("a")}
    for student in students:
        for suffix in (".html", ".md"):
            link = f"feedback/{urllib.parse.quote(student + suffix, safe='')}"
            assert link in links
            assert (out / urllib.parse.unquote(link)).is_file()
    assert [row["id"] for row in page.all("tr") if "id" in row] == [f"student-{i}" for i in range(len(students))]
    for link in links:  # nothing leaves the page's folder
        assert link.startswith(("#", "feedback/")), link


def test_a_students_id_and_messages_are_text_not_markup(graded):
    out, *_ = graded
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;eve &amp; &quot;co&quot; &#x27;x&#x27;" in text
    assert EVIL in "".join(Page(text).text)
    feedback = (out / "feedback" / f"{EVIL}.html").read_text(encoding="utf-8")
    assert "<img" not in feedback
    assert "not implemented yet" in "".join(Page(feedback).text)


def test_the_copy_group_links_to_the_students_rows(graded):
    out, _stdout, students, _command = graded
    text = (out / "report.html").read_text(encoding="utf-8")
    section = text.split('<section id="copies">')[1]
    rows = {student: f"#student-{i}" for i, student in enumerate(students)}
    assert f'<a href="{rows["cleo"]}">cleo</a>, <a href="{rows["dan"]}">dan</a>' in section


def test_a_rerun_writes_the_page_again_from_the_results(graded, tmp_path):
    out, _stdout, _students, command = graded
    again = tmp_path / "grades"
    again.mkdir()
    shutil.copy(out / "results.jsonl", again)
    done = subprocess.run([*command[:6], str(again), *command[7:]], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Grading 0 of 5 students" in done.stderr
    assert without_wall_time(again / "report.html") == without_wall_time(out / "report.html")
    assert sorted(p.name for p in (again / "feedback").iterdir()) == sorted(p.name for p in (out / "feedback").iterdir())


def without_wall_time(path: Path) -> str:
    """The page less its wall time, the one thing of a run rather than of its results."""
    text = path.read_text(encoding="utf-8")
    start = text.index("<dt>wall time</dt>")
    return text[:start] + text[text.index("</dd>", start) :]


def test_the_students_come_first_after_one_line_of_totals(graded):
    out, _stdout, students, _command = graded
    text = (out / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert text.index('<table class="students">') < text.index('<table class="pass-rates">')
    assert text.index('<p class="totals">') < text.index('<table class="students">')
    assert page.all("p", **{"class": "totals"})
    totals = text.split('<p class="totals">')[1].split("</p>")[0]
    assert totals.startswith("Mean ")
    assert "of 30 points" in totals
    order = text.split('<details class="order">')[1].split("</details>")[0]
    assert order.count("<tr>") == len(students) + 1, "a header and a row per student, lowest total first"


def test_copies_of_the_reference_are_flagged_in_the_page_the_rows_and_the_summary(graded):
    out, _stdout, students, _command = graded
    text = (out / "report.html").read_text(encoding="utf-8")
    section = text.split('<section id="reference">')[1].split("</section>")[0]
    flagged = [row.split('">')[1].split("</a>")[0] for row in section.split("<tr><td><a href=")[1:]]
    assert flagged == ["ada", "ada", "cleo", "cleo", "dan", "ren"], "ada and cleo hand in E1 and E2 verbatim, ren renamed"
    assert f"<td>{E1}</td><td>matmul, matmul_by_hand</td>" in section.split("ren</a>")[1], "matmul verbatim, matmul_by_hand renamed"
    row = text.split(f'<tr id="student-{students.index("ren")}">')[1].split("</tr>")[0]
    assert f'<div class="flag">matches the reference solution: {E1}: matmul, matmul_by_hand</div>' in row
    evil = text.split('<tr id="student-0">')[1].split("</tr>")[0]
    assert "flag" not in evil, "the stub is no one's copy"
    summary_md = (out / "summary.md").read_text(encoding="utf-8")
    assert f"| ren | {E1} | matmul, matmul_by_hand |" in summary_md
    assert f"| ada | {E1} | matmul, matmul_by_hand |" in summary_md


def test_the_feedback_page_shows_the_checks_as_a_table_with_marks_and_words(graded):
    out, *_ = graded
    page = Page((out / "feedback" / "cleo.html").read_text(encoding="utf-8"))
    assert page.all("table", **{"class": "checks"})
    text = "".join(page.text)
    assert "✗ failed" in text, "a mark and a word, never colour alone"
    assert "✓ passed" in text
    assert "hint: " in text


# ---------------------------------------------------------------- exercise 6's curves in the page


def with_training(record: dict, accuracy: float | None) -> dict:
    """``record`` with a made-up exercise 6 part: an accuracy check with curves reaching ``accuracy`` (None: fit gave no history)."""
    rows = None if accuracy is None else [{"train_loss": 0.4 / n, "test_loss": 0.3 / n, "accuracy": accuracy - 4 / n} for n in (1, 2, 3)]
    found = curves.record(rows, 97.0, 3, None if accuracy is None else accuracy + 0.1)
    passed = found["measured_accuracy"] is not None and found["measured_accuracy"] >= 97
    check = {"name": "mnist_accuracy", "score": 5.0 * passed, "max_score": 5.0, "status": "passed" if passed else "failed"}
    check |= {"message": "" if passed else "below the goal", "hint": "Common errors: ...", "data": {"curves": found}}
    part = {"exercise": E6, "title": "The MNIST training loop", "score": check["score"], "max_score": 5.0, "status": "graded"}
    part["checks"] = [check]
    totals = {"score": record["score"] + part["score"], "max_score": record["max_score"] + 5.0}
    return {**record, **totals, "exercises": [*record["exercises"], part]}


@pytest.fixture(scope="module")
def trained(graded, tmp_path_factory):
    """The class's records with exercise 6 (97.8%, 93%, no history and 11%), written as a page with a reference run."""
    out = tmp_path_factory.mktemp("trained")
    records = [with_training(r, a) for r, a in zip(read_records(graded[0]), (97.8, 93.0, None, 11.0))]
    reference = with_training(records[0], 97.9)["exercises"][-1]["checks"][0]["data"]["curves"]
    groups = [copies.Group(E1, ("cleo", "dan"), 1.0)]
    return webpage.write(out, records, groups, reference), records


def test_the_page_draws_the_class_curves_and_each_students(trained):
    path, _records = trained
    page = Page(path.read_text(encoding="utf-8"))
    assert [figure["data-of"] for figure in page.all("figure", **{"class": "histogram"})] == ["total", E1, E2, E6]
    assert len(page.all("figure", **{"class": "class-curves"})) == 1
    text = "".join(page.text)
    assert "1 of 4 students reached the 97% goal, as measured by the grader." in text
    assert "reaching 98.00%" in text
    assert len(page.all("svg")) == 4 + 1 + 4, "the histograms, the class chart and a curve per student (one with no history)"
    ids = [a["id"] for _, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids)), "two elements of the page share an id"
    feedback = Page((path.parent / "feedback" / "ada.html").read_text(encoding="utf-8"))
    assert len(feedback.all("svg")) == 1


def test_without_a_reference_run_the_page_says_why(trained, tmp_path):
    _path, records = trained
    text = webpage.write(tmp_path, records, [], None, "the reference run ended with timeout").read_text(encoding="utf-8")
    assert "There is no reference curve: the reference run ended with timeout." in text


def test_the_isolation_layers_are_shown_as_the_records_hold_them():
    records = [{"isolation": ["namespaces", "landlock", "rlimits"]}, {"isolation": ["namespaces", "landlock", "rlimits"]}]
    assert webpage._isolation(records) == "namespaces, landlock, rlimits"
    assert webpage._isolation([*records, {}]) == "namespaces, landlock, rlimits (2 students); not recorded (1 student)"
    assert webpage._isolation([{"isolation": []}]) == "none"


def test_scores_fall_in_bins_of_a_point_or_a_tenth():
    assert webpage.bins([0, 3.5, 17, 17, 16.9], 17) == ([1, 0, 0, 1, *[0] * 12, 1, 2], list(range(19)))
    counts, edges = webpage.bins([0, 26.5, 27, 100], 27)
    assert edges == list(range(0, 33, 3))
    assert counts == [1, 0, 0, 0, 0, 0, 0, 0, 1, 2]


# ---------------------------------------------------------------- a real browser


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path, picture: Path, profile: Path) -> list[str]:
    """Open ``page`` in headless Chromium and save a screenshot of the window; the console's messages, one a line."""
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={picture}",
        page.as_uri(),
    ]
    if os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium's own sandbox refuses to run as root
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _stdout, stderr = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):  # its helpers (zygote, renderer) must go with it
            os.killpg(process.pid, signal.SIGKILL)
    assert picture.is_file(), stderr[-2000:]
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no Chromium here: apt-get install -y chromium (.ci/run installs it where it is missing)"
)


@needs_chromium
def test_the_page_renders_in_a_browser_with_no_console_errors(trained, tmp_path):
    from PIL import Image

    path, _records = trained
    picture = tmp_path / "report.png"
    assert screenshot(path, picture, tmp_path / "profile") == []
    with Image.open(picture) as image:
        assert image.size == WINDOW
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    inked = sum(count for count, colour in colours if colour != (255, 255, 255))
    assert len(colours) > 50, "the screenshot is blank"
    assert inked > 0.05 * WINDOW[0] * WINDOW[1], "the screenshot is blank"


@needs_chromium
def test_the_browser_check_sees_a_console_error(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><title>x</title><p>x</p><script>undefinedFunction()</script>", encoding="utf-8")
    console = screenshot(broken, tmp_path / "broken.png", tmp_path / "profile")
    assert any("undefinedFunction is not defined" in line for line in console)
