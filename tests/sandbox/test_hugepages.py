"""Does ``grade batch``'s zygote move its memory into huge pages, and do its children still work?

The collapse is best effort: where the kernel cannot do it (Linux < 6.1, THP off), these tests
skip and say so, and grading works as before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.sandbox import hugepages
from tests.helpers import KIT

NO_COLLAPSE = "this kernel cannot collapse memory into huge pages (MADV_COLLAPSE needs Linux 6.1+ and THP not 'never')"


def in_fresh_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=KIT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_regions_are_aligned_parts_of_private_anonymous_memory():
    with open("/proc/self/maps") as file:
        maps = file.read()  # read once: other threads map and unmap memory meanwhile
    mappings = []
    for line in maps.splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        mappings.append((start, end, fields[1], fields[5] if len(fields) > 5 else ""))
    found = hugepages.regions(maps)
    assert found, "a process that imported torch has megabytes of heap"
    for start, end in found:
        assert start % hugepages.HUGE == 0
        assert end % hugepages.HUGE == 0
        assert end - start >= hugepages.SMALLEST
        assert any(a <= start and end <= b and mode == "rw-p" and name in ("", "[heap]") for a, b, mode, name in mappings)


def test_collapse_moves_anonymous_memory_into_huge_pages():
    got = in_fresh_python(
        "import json; from grader.sandbox import hugepages\n"
        "block = bytearray(b'x' * (64 << 20))\n"
        "done = hugepages.collapse()\n"
        "huge = next(int(l.split()[1]) for l in open('/proc/self/smaps_rollup') if l.startswith('AnonHugePages:'))\n"
        "print(json.dumps({'done': done, 'huge_kb': huge}))"
    )
    if got["done"] == 0:
        pytest.skip(NO_COLLAPSE)
    assert got["huge_kb"] >= 32 << 10  # most of the 64 MiB block, at least


def test_a_huge_page_zygote_gives_children_that_share_them_and_work():
    got = in_fresh_python(
        "import json; from grader import engine, sandbox\n"
        "from tests import sandbox_targets as t\n"
        "engine.warm_up([], huge_pages=True)\n"
        "huge, echo = sandbox.run(t.huge_pages_kb), sandbox.run(t.echo, [1, 2.5, 'three'])\n"
        "print(json.dumps({'huge': [huge.status, huge.value], 'echo': [echo.status, echo.value]}))"
    )
    assert got["echo"] == ["ok", [1, 2.5, "three"]]
    assert got["huge"][0] == "ok"
    if got["huge"][1] == 0:
        pytest.skip(NO_COLLAPSE)
    assert got["huge"][1] >= 100 << 10  # torch's heap, ~300 MiB in the zygote
