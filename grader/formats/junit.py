"""JUnit XML (the Ant/Jenkins structure CI systems render): one testsuite per exercise, one testcase per check.

A failed check is a ``<failure>``; a check whose code raised, hung, crashed or ran out of memory
is an ``<error>``; a skipped one is ``<skipped>``. Points sit in each suite's ``<properties>``:
``score`` and ``max_score`` for the exercise, ``score:<check>`` and ``max_score:<check>`` per check. Why an
exercise's module does not import is said once, in its suite's ``<system-err>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.formats.common import details, points, visible
from grader.i18n import out_of
from grader.status import NO_VALUE, CheckStatus


def render(doc: dict, seconds: float | None = None) -> str:
    root = ET.Element("testsuites", name="grade", tests="0", failures="0", errors="0")
    if seconds is not None:
        root.set("time", f"{seconds:.3f}")
    for exercise in doc["exercises"]:
        root.append(suite(exercise))
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key)) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def suite(exercise: dict) -> ET.Element:
    items = exercise["checks"]
    counts = {
        "tests": len(items),
        "failures": sum(c["status"] == CheckStatus.FAILED for c in items),
        "errors": sum(c["status"] in NO_VALUE for c in items),
        "skipped": sum(c["status"] == CheckStatus.SKIPPED for c in items),
    }
    element = ET.Element("testsuite", name=exercise["exercise"], **{k: str(v) for k, v in counts.items()})
    properties = ET.SubElement(element, "properties")
    values = [
        ("title", exercise["title"]),
        ("status", exercise["status"]),
        ("score", points(exercise["score"])),
        ("max_score", points(exercise["max_score"])),
    ]
    for item in items:
        values += [(f"score:{item['name']}", points(item["score"])), (f"max_score:{item['name']}", points(item["max_score"]))]
    for name, value in values:
        ET.SubElement(properties, "property", name=name, value=visible(value))
    for item in items:
        element.append(case(exercise["exercise"], item))
    if exercise.get("message"):  # its module does not import: why, once for the suite; each case says only that
        ET.SubElement(element, "system-err").text = visible(exercise["message"])
    return element


def case(stem: str, item: dict) -> ET.Element:
    element = ET.Element("testcase", name=item["name"], classname=stem)
    status = item["status"]
    if status == CheckStatus.PASSED:
        return element
    if status == CheckStatus.SKIPPED:
        ET.SubElement(element, "skipped", message=visible(item["message"]))
        return element
    tag = "error" if status in NO_VALUE else "failure"  # JUnit's own elements
    first = (item["message"].splitlines() or [status])[0]
    outcome = ET.SubElement(element, tag, message=visible(first), type=status)
    outcome.text = visible(details(item) + "\n" + out_of(item["score"], item["max_score"]))
    return element
