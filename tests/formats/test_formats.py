"""Does every --format print a valid document, with the numbers of json, and nothing else on stdout?

Each format is run through the real command on a submission whose checks hang, crash, raise and print control
characters. The reference solutions and the untouched stubs are graded once each, by ``--format json``; their other
formats are printed from that document by ``grade render``, which prints through the same code (``formats.emit``), so
that a dozen cold gradings of the same submission do not cost the suite half a minute.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from grader import formats
from grader.formats import github
from grader.formats.common import failing_line, points
from grader.status import NO_VALUE
from tests.cli_support import SCALE, SEED, broken_submission, grade_cli, gradescope_schema, junit_schema, line_of
from tests.helpers import KIT

pytestmark = pytest.mark.slow  # each format by a cold `grade` in its own process

SUBMISSIONS = ("solutions", "stubs", "broken")
DOCUMENTS = ("json", "junit", "github", "gradescope")
COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")
GRADED = {("broken", fmt) for fmt in DOCUMENTS} | {(which, "json") for which in SUBMISSIONS}  # by a real grading; the rest rendered


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each (submission, format) by ``grade 1 --format FORMAT`` with the same seed, or rendered from that grading's JSON,
    three at a time."""
    root = tmp_path_factory.mktemp("formats")
    folders = {"solutions": KIT / "solutions", "stubs": KIT / "exercises", "broken": broken_submission(root / "broken")}

    def run(which: str, fmt: str):
        summary = root / f"{which}-{fmt}-summary.md"
        env = {"GITHUB_STEP_SUMMARY": str(summary)}
        if (which, fmt) not in GRADED:
            return grade_cli("render", str(root / f"{which}.json"), "--format", fmt, cwd=root, env=env), summary, folders[which]
        # Only the broken submission gets short limits: the reference must never time out on a busy machine.
        scale = SCALE if which == "broken" else "1"
        options = ("--format", fmt, "--seed", str(SEED), "--timeout-scale", scale)
        return grade_cli("1", "--submission", str(folders[which]), *options, cwd=root, env=env), summary, folders[which]

    rendered = [(which, fmt) for which in SUBMISSIONS for fmt in DOCUMENTS if (which, fmt) not in GRADED]
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = dict(zip(sorted(GRADED), pool.map(lambda job: run(*job), sorted(GRADED))))
        for which in SUBMISSIONS:
            (root / f"{which}.json").write_text(done[which, "json"][0].stdout, encoding="utf-8")
        done.update(zip(rendered, pool.map(lambda job: run(*job), rendered)))
    return lambda which, fmt: done[which, fmt]


def expected(doc: dict) -> list[tuple[str, str, float, float, str]]:
    return [(e["exercise"], c["name"], c["score"], c["max_score"], c["status"]) for e in doc["exercises"] for c in e["checks"]]


def json_doc(runs, which: str) -> dict:
    result, _, _ = runs(which, "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # the whole of stdout is the document


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_json_is_the_document_and_only_it(runs, which):
    result, summary, _ = runs(which, "json")
    doc = json.loads(result.stdout)
    assert doc["schema"] == 1
    assert doc["seed"] == SEED
    assert result.returncode == (0 if which == "solutions" else 1)
    assert not summary.exists()
    statuses = {c["name"]: c["status"] for c in doc["exercises"][0]["checks"]}
    if which == "broken":  # the submission really did what the other formats are tested on
        assert (statuses["make_vector"], statuses["make_matrix"], statuses["describe"], statuses["elementwise_sum"]) == (
            "timeout",
            "crashed",
            "error",
            "failed",
        )


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_junit_validates_and_agrees_with_json(runs, which):
    doc = json_doc(runs, which)
    result, _, _ = runs(which, "junit")
    assert result.returncode == runs(which, "json")[0].returncode
    junit_schema().validate(result.stdout)  # the whole of stdout is the XML document
    root = ET.fromstring(result.stdout)
    assert [s.get("name") for s in root] == [e["exercise"] for e in doc["exercises"]]
    found = []
    for suite, exercise in zip(root, doc["exercises"]):
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert (float(props["score"]), float(props["max_score"])) == (exercise["score"], exercise["max_score"])
        statuses = [c["status"] for c in exercise["checks"]]
        assert int(suite.get("tests")) == len(statuses)
        assert int(suite.get("failures")) == statuses.count("failed")
        assert int(suite.get("errors")) == sum(s in NO_VALUE for s in statuses)
        for case in suite.iter("testcase"):
            name = case.get("name")
            outcome = next(iter(case), None)
            found.append((suite.get("name"), name, float(props[f"score:{name}"]), float(props[f"max_score:{name}"]), outcome))
    assert [f[:4] for f in found] == [e[:4] for e in expected(doc)]
    for (_, _, _, _, outcome), (_, _, _, _, status), item in zip(found, expected(doc), (c for e in doc["exercises"] for c in e["checks"])):
        tag = {"passed": None, "failed": "failure", "skipped": "skipped"}.get(status, "error")
        assert (outcome.tag if outcome is not None else None) == tag
        if tag in ("failure", "error"):
            assert outcome.get("type") == status
            assert item["hint"] in outcome.text
            assert outcome.get("message") in outcome.text
    if which == "broken":
        assert "\\x00\\x1b[31mred & <tag> ]]>" in result.stdout.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_gradescope_validates_and_agrees_with_json(runs, which):
    doc = json_doc(runs, which)
    result, _, _ = runs(which, "gradescope")
    assert result.returncode == runs(which, "json")[0].returncode
    results = json.loads(result.stdout)
    jsonschema.validate(results, gradescope_schema(), cls=jsonschema.Draft202012Validator)
    assert sum(t["max_score"] for t in results["tests"]) == doc["max_score"] > 0  # or Gradescope rejects the file
    assert results["score"] == doc["score"] == sum(t["score"] for t in results["tests"])
    assert [
        (t["extra_data"]["exercise"], t["extra_data"]["check"], t["score"], t["max_score"], t["extra_data"]["status"])
        for t in results["tests"]
    ] == expected(doc)
    assert all((t["status"] == "passed") == (t["extra_data"]["status"] == "passed") for t in results["tests"])
    if (which, "gradescope") in GRADED:  # a rendered document has no grading to time
        assert isinstance(results["execution_time"], int)
        assert results["execution_time"] >= 1, "the real time of the run, torch's import included, in whole seconds rounded up"


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_github_commands_point_at_the_students_lines(runs, which):
    doc = json_doc(runs, which)
    result, summary, folder = runs(which, "github")
    assert result.returncode == runs(which, "json")[0].returncode
    lines = result.stdout.splitlines()
    assert lines, result.stdout
    assert all(COMMAND.match(line) for line in lines), result.stdout  # nothing but workflow commands
    assert lines[-1] == f"::notice title=Autograding::Points {points(doc['score'])}/{points(doc['max_score'])}"
    failing = [c for e in doc["exercises"] for c in e["checks"] if c["status"] != "passed"]
    assert len(lines) - 1 == min(len(failing), github.ANNOTATIONS)  # GitHub shows 10 of a kind: the 10th says how many more
    if len(failing) > github.ANNOTATIONS:
        assert lines[-2].endswith(f"::{len(failing) - github.ANNOTATIONS + 1} more checks did not pass: the step summary lists them all")
        lines = [*lines[:-2], lines[-1]]
    pointed = {}
    for line in lines[:-1]:
        props = dict(p.split("=", 1) for p in COMMAND.match(line).group(2).strip().split(","))
        assert props["file"].endswith("exercise1_tensors.py")
        pointed[props["title"].split("%3A")[0].split()[-1]] = int(props["line"])
    student = folder / "exercise1_tensors.py"
    if which == "broken":
        assert pointed["describe"] == line_of(student, "RAISES HERE")  # where the traceback says it raised
        assert pointed["make_vector"] == line_of(student, "def make_vector")  # a hang has no traceback: its def
        assert "%0A" in lines[0]
        assert "\x1b" not in result.stdout
        assert "\x00" not in result.stdout
    if which == "stubs":
        assert pointed["make_matrix"] == line_of(student, "def make_matrix(")
        source = student.read_text(encoding="utf-8")  # past the 10th annotation, what one would point at still holds
        assert failing_line({"status": "failed", "name": "matmul_shape_error"}, source) == line_of(student, "def matmul(")
    text = summary.read_text(encoding="utf-8")
    assert f"Autograding: {points(doc['score'])}/{points(doc['max_score'])} points" in text
    for item in doc["exercises"][0]["checks"]:
        assert f"| {item['name']} | {points(item['score'])}/{points(item['max_score'])} |" in text


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_progress_goes_to_stderr(runs, which):
    for fmt in (fmt for fmt in DOCUMENTS if (which, fmt) in GRADED):
        result, _, _ = runs(which, fmt)
        assert "Traceback" not in result.stderr
        assert ("Grading exercise1" in result.stderr) == (fmt != "json")


FRACTIONS = {
    "schema": 1,
    "submission": "/nowhere",
    "seed": 3,
    "device": "cpu",
    "score": 1 / 3 + 0.25,
    "max_score": 3.0,
    "exercises": [
        {
            "exercise": "exercise1_tensors",
            "title": "Tensors",
            "score": 1 / 3 + 0.25,
            "max_score": 3.0,
            "status": "graded",
            "checks": [
                {
                    "name": "make_scalar",
                    "score": 1 / 3,
                    "max_score": 1.0,
                    "status": "failed",
                    "message": "half, and a bit: 100%",
                    "hint": "h",
                },
                {"name": "make_vector", "score": 0.25, "max_score": 1.0, "status": "timeout", "message": "slow\r\nvery", "hint": "h"},
                {"name": "make_matrix", "score": 0.0, "max_score": 1.0, "status": "skipped", "message": "no GPU", "hint": "h"},
            ],
        }
    ],
}


@pytest.mark.parametrize("fmt", formats.NAMES)
def test_fractional_points_are_never_rounded(fmt):
    text = formats.render(FRACTIONS, fmt)
    assert "0.3333333333333333" in text
    assert "0.5833333333333333" in text
    assert "0.25" in text


def test_fractional_points_in_each_format_parse_back_exactly():
    junit = ET.fromstring(formats.render(FRACTIONS, "junit"))
    junit_schema().validate(formats.render(FRACTIONS, "junit"))
    assert float(next(p for p in junit.iter("property") if p.get("name") == "score:make_scalar").get("value")) == 1 / 3
    results = json.loads(formats.render(FRACTIONS, "gradescope"))
    jsonschema.validate(results, gradescope_schema(), cls=jsonschema.Draft202012Validator)
    assert [t["score"] for t in results["tests"]] == [1 / 3, 0.25, 0.0]
    assert results["score"] == 1 / 3 + 0.25
    assert formats.render(FRACTIONS, "github").splitlines()[-1] == f"::notice title=Autograding::Points {1 / 3 + 0.25!r}/3"
    assert [c.tag for c in junit.iter() if c.tag in ("failure", "error", "skipped")] == ["failure", "error", "skipped"]


def test_github_escapes_what_workflow_commands_would_misread():
    assert github.escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert github.escape_property("t: a, b%\n") == "t%3A a%2C b%25%0A"
    line = github.command("error", "x\ny", file="a,b.py", line=3, title="c: d")
    assert line == "::error file=a%2Cb.py,line=3,title=c%3A d::x%0Ay"
    lines = formats.render(FRACTIONS, "github").splitlines()
    assert lines[0].startswith("::error ")
    assert "%0D%0Avery" in lines[1]
    assert lines[2].startswith("::warning ")


def test_write_puts_exactly_the_printed_document_in_a_file(tmp_path):
    for fmt in formats.NAMES:
        path = formats.write(FRACTIONS, fmt, tmp_path / f"student{formats.FORMATS[fmt].suffix}")
        assert path.read_bytes().decode("utf-8") == formats.render(FRACTIONS, fmt) + "\n"
    assert len({f.suffix for f in formats.FORMATS.values()}) == len(formats.NAMES)  # one student's files never collide


def test_render_prints_a_saved_document_in_another_format(runs, tmp_path):
    doc = json_doc(runs, "broken")
    saved = tmp_path / "grade.json"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    again = grade_cli("render", str(saved), "--format", "junit", cwd=tmp_path)
    first = runs("broken", "junit")[0].stdout
    without_time = re.compile(r' time="[^"]*"')
    assert (again.returncode, without_time.sub("", again.stdout)) == (1, without_time.sub("", first))


def test_render_refuses_what_is_not_a_result_document(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"score": 1}', encoding="utf-8")
    result = grade_cli("render", str(bad), "--format", "github", cwd=tmp_path)
    assert result.returncode == 2
    assert "not a result document" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            lambda doc: doc["exercises"][0]["checks"][0].update(status="great"),
            "at exercises[0].checks[0].status: 'great' is not one of",
        ),
        (lambda doc: doc.update(schema=2), "at schema: 1 was expected"),
        (lambda doc: doc["exercises"][0].pop("title"), "at exercises[0]: 'title' is a required property"),
    ],
)
def test_render_says_in_one_line_where_a_document_breaks_the_schema(tmp_path, change, said):
    doc = json.loads(json.dumps(FRACTIONS))
    change(doc)
    bad = tmp_path / "grade.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    result = grade_cli("render", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert said in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def many_failures(count: int, message: str = "wrong") -> dict:
    checks = [
        {"name": f"check{i}", "score": 0.0, "max_score": 1.0, "status": "failed", "message": message, "hint": "h"} for i in range(count)
    ]
    part = {
        "exercise": "exercise1_tensors",
        "title": "Tensors",
        "score": 0.0,
        "max_score": float(count),
        "status": "graded",
        "checks": checks,
    }
    return {**FRACTIONS, "score": 0.0, "max_score": float(count), "exercises": [part]}


def test_github_keeps_to_its_ten_annotations_of_a_kind_and_says_how_many_more_failed():
    lines = formats.render(many_failures(25), "github").splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == github.ANNOTATIONS
    assert "check8" in errors[8]
    assert errors[-1].endswith("::16 more checks did not pass: the step summary lists them all")
    assert lines[-1].startswith("::notice ")
    assert len(formats.render(many_failures(10), "github").splitlines()) == 11


def test_a_document_of_huge_messages_is_cut_to_its_budget_keeping_the_short_ones():
    from grader.checking import budgets

    doc = many_failures(40, "m" * (1 << 20))
    doc["exercises"][0]["checks"][0]["message"] = "short"
    budgets.fit(doc)
    assert budgets.DOCUMENT - 2048 < budgets.size(doc) <= budgets.DOCUMENT
    assert doc["exercises"][0]["checks"][0]["message"] == "short"
    assert doc["exercises"][0]["checks"][1]["message"].endswith(" more characters cut]")
    assert len(formats.render(doc, "github").encode()) < budgets.RECORD
    assert len(github.summary(doc).encode()) < github.SUMMARY_LIMIT
