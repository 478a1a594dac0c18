"""How much of what a student's code controls the kit repeats: each check's message and output, and a whole document.

A student's code chooses its exception's text, the values it returns (a check's message shows their ``repr``) and
what it prints; 24 MiB of any of these once made 55 MiB of ``grade`` output and 172 MB of gradebook for one student.
The sandbox already cuts what crosses back (:mod:`grader.sandbox.limits`); here a check's message and output are
cut as its result is made (:func:`fit_result`), and a document's check messages share :data:`DOCUMENT` bytes
(:func:`fit`), so that one record of ``results.jsonl`` stays under :data:`RECORD` whatever the code did.
"""

from __future__ import annotations

import json

from grader.sandbox.limits import OUTPUT_CAP
from grader.sandbox.wire import cut

__all__ = ["CHECK_MESSAGE", "DOCUMENT", "OUTPUT", "RECORD", "cut", "fit", "fit_result", "size"]

KiB = 1024
CHECK_MESSAGE = 8 * KiB  # a check's own message: its words, the student's exception text and traceback, a value's repr
# What the student's code printed in one check: the sandbox keeps 64 KiB of each stream, with a note of what it cut
OUTPUT = 2 * OUTPUT_CAP + 256
RECORD = 512 * KiB  # one student's line of results.jsonl, in bytes
DOCUMENT = RECORD - 16 * KiB  # the document inside a record; the rest is for the batch's part (a note of 300 characters)


def fit_result(result) -> None:
    """Cut a check's result (:class:`grader.checking.results.Result`) to the budgets of its message and its output, in place."""
    result.message = cut(result.message, CHECK_MESSAGE)
    result.output = cut(result.output, OUTPUT)


def size(doc: dict) -> int:
    """A document's bytes as results.jsonl writes it."""
    return len(json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def fit(doc: dict, budget: int = DOCUMENT) -> dict:
    """Cut the longest messages of ``doc`` (its checks' and its exercises'), in place and each to the same length, until
    it fits ``budget`` bytes.

    The length is the largest that fits (found by halving), so short messages are never touched and the long ones
    keep as much as they can.
    """
    total = size(doc)
    if total <= budget:
        return doc
    items = [part for part in doc["exercises"] if part.get("message")]
    items += [item for part in doc["exercises"] for item in part["checks"]]
    messages = [item["message"] for item in items]
    room = budget - (total - sum(_bytes(text) for text in messages))
    low, high = 0, max(map(len, messages))
    while low < high:  # the largest cap at which the messages, cut, fit in the room the rest leaves them
        middle = (low + high + 1) // 2
        if sum(_bytes(cut(text, middle)) for text in messages) <= room:
            low = middle
        else:
            high = middle - 1
    for item in items:
        item["message"] = cut(item["message"], low)
    return doc


def _bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8"))
