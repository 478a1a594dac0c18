"""Does hostile student code cost only its own check, with the right status and no unearned points?

Two levels: ``sandbox.run`` itself (how a child ends becomes an Outcome), and whole gradings of
the modules in ``tests/hostile/``, each appended to the reference solution of exercise 1 so that
exactly the functions it redefines misbehave and every other check must still pass.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import torch

from grader import registry, sandbox
from grader.sandbox import confine, layers, limits, mounts, parent
from tests import sandbox_targets as targets
from tests.helpers import KIT, TESTS, checks, clean_up, grade, namespaces_here, new_marker, solution_with, submission_from, survivors

HOSTILE = TESTS / "hostile"
EX1, EX2 = registry.by_stem("exercise1_tensors"), registry.by_stem("exercise2_reshape")
FAST = {"timeout_scale": 0.2, "memory": 256 << 20}  # 2 s and 256 MiB per check keep this file quick


# ---------------------------------------------------------------- helpers


@pytest.fixture
def marker():
    """A unique marker; whatever still runs under it at the end is killed, by pid, and the folder removed."""
    name = new_marker()
    yield name
    clean_up(name)


def hostile_source(name: str, marker: str = "") -> str:
    return (HOSTILE / f"{name}.py").read_text(encoding="utf-8").replace("MARKER", marker)


def hostile_submission(folder: Path, name: str, marker: str = "") -> Path:
    """The reference solution of exercise 1 with the hostile module appended to it."""
    return submission_from(folder, EX1.stem, solution_with(EX1.stem, hostile_source(name, marker)))


def grade_fast(submission: Path, exercises=(EX1,), **options) -> tuple[dict, dict]:
    doc, internal = grade(submission, list(exercises), **{**FAST, **options})
    assert internal == 0, "a hostile submission must never look like a grader bug"
    return doc, {key.split("::")[1]: c for key, c in checks(doc).items() if key.startswith(EX1.stem)}


FORKED_WORKER = """
import json, os, sys
from grader import sandbox
from tests import sandbox_targets as t
secret = open(sys.argv[1], "w")  # as a batch worker's reply pipe: no child may find it
zygote = sandbox.start(fork=True)
files, spawned = sandbox.run(t.open_files), sandbox.run(t.daemonize, sys.argv[2], workdir=sys.argv[3])
forked = open(f"/proc/{zygote.process}/cmdline").read() == open("/proc/self/cmdline").read()
print(json.dumps({"forked": forked, "files": files.value, "spawned": spawned.value, "layers": zygote.isolation().held}))
"""


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "fallback"])
def test_a_zygote_forked_from_a_worker_gives_children_none_of_its_files_and_kills_what_they_leave(tmp_path, marker, namespaces):
    secret = tmp_path / "reply-pipe"
    environment = {**os.environ, sandbox.WORKER_MARK: uuid.uuid4().hex, layers.NO_NAMESPACES_ENV: "0" if namespaces else "1"}
    done = subprocess.run(
        [sys.executable, "-c", FORKED_WORKER, str(secret), marker, str(tmp_path)],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["forked"]
    assert got["spawned"] == "daemonized"
    assert ("namespaces" in got["layers"]) is (namespaces and namespaces_here())
    assert str(secret) not in got["files"]
    assert len(list((tmp_path / marker).iterdir())) == 1, "the daemon was never started"
    assert survivors(marker) == []  # killed when its check ended: by the end of its namespace, or found by the worker's mark


# ---------------------------------------------------------------- sandbox.run itself


def test_plain_values_come_back_intact():
    value = {
        "t": torch.arange(6.0).reshape(2, 3),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        "device": torch.device("cpu"),
        "items": [1, 2.5, None, "text", (True, b"raw")],
        7: -1,
    }
    outcome = sandbox.run(targets.echo, value)
    assert outcome.status == "ok", outcome.error
    assert outcome.value.keys() == value.keys()
    assert torch.equal(outcome.value["t"], value["t"])
    assert {k: v for k, v in outcome.value.items() if k != "t"} == {k: v for k, v in value.items() if k != "t"}
    assert type(outcome.value["items"][4]) is tuple
    assert type(outcome.value["size"]) is torch.Size


def test_exception_comes_back_as_data():
    outcome = sandbox.run(targets.raises, "bad value 42")
    assert outcome.status == "raised"
    assert (outcome.error["type"], outcome.error["message"]) == ("ValueError", "bad value 42")
    assert "raise ValueError(message)" in outcome.error["traceback"]
    assert outcome.error["line"] > 0


def test_output_is_captured_separately():
    outcome = sandbox.run(targets.speak, "to stdout", "to stderr")
    assert (outcome.status, outcome.value) == ("ok", "spoke")
    assert (outcome.stdout, outcome.stderr) == ("to stdout\n", "to stderr\n")
    assert outcome.output == "to stdout\n\nto stderr\n"


def test_output_flood_is_capped_at_64_kib_with_a_note():
    outcome = sandbox.run(targets.flood, 8)  # 8 MiB on each stream
    assert (outcome.status, outcome.value) == ("ok", "flooded")
    for text in (outcome.stdout, outcome.stderr):
        kept, note = text[: limits.OUTPUT_CAP], text[limits.OUTPUT_CAP :]
        assert kept == ("y" * 1023 + "\n") * 64
        assert note == f"\n[... {8 * 2**20 - limits.OUTPUT_CAP} more bytes of output cut]"


def test_output_cap_is_a_limit():
    outcome = sandbox.run(targets.speak, "x" * 5000, "", limits=sandbox.Limits(output=100))
    assert outcome.stdout.startswith("x" * 100 + "\n[... ")
    assert "cut]" in outcome.stdout
    assert len(outcome.stdout) < 200


def test_stdin_is_closed():
    outcome = sandbox.run(targets.read_stdin, limits=sandbox.Limits(timeout=5))
    assert (outcome.status, outcome.value) == ("ok", "")


def test_child_has_its_own_working_directory_and_it_is_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = sandbox.run(targets.where_am_i)
    assert outcome.status == "ok"
    assert Path(outcome.value) != tmp_path
    assert not Path(outcome.value).exists()
    assert not (tmp_path / "left-behind.txt").exists()


def test_a_given_working_directory_is_kept(tmp_path):
    outcome = sandbox.run(targets.where_am_i, workdir=tmp_path)
    assert Path(outcome.value) == tmp_path
    assert (tmp_path / "left-behind.txt").read_text() == "written by the child"


def test_timeout_stops_a_child_that_ignores_sigterm():
    began = time.monotonic()
    outcome = sandbox.run(targets.sigterm_ignored, limits=sandbox.Limits(timeout=1))
    assert outcome.status == "timeout"
    assert "1 s" in outcome.error["message"]
    assert time.monotonic() - began < 5


def test_busy_loop_times_out():
    outcome = sandbox.run(targets.spin, limits=sandbox.Limits(timeout=1))
    assert outcome.status == "timeout"
    assert outcome.seconds < 5


def test_memory_limit():
    outcome = sandbox.run(targets.hoard, limits=sandbox.Limits(timeout=20, memory=256 << 20))
    assert outcome.status == "memory", outcome.error
    assert outcome.seconds < 20


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGSEGV, "SIGSEGV"), (signal.SIGABRT, "SIGABRT"), (signal.SIGKILL, "SIGKILL")])
def test_death_by_signal_is_a_crash(signum, name):
    outcome = sandbox.run(targets.kill_self, int(signum), limits=sandbox.Limits(timeout=10))
    assert outcome.status == "crashed"
    assert name in outcome.error["message"]


@pytest.mark.parametrize("code", [0, 3])
def test_os_exit_is_a_crash_with_its_code(code):
    outcome = sandbox.run(targets.hard_exit, code)
    assert outcome.status == "crashed"
    assert f"code {code}" in outcome.error["message"]


@pytest.mark.parametrize("code", [0, 5])
def test_sys_exit_is_an_exception(code):
    outcome = sandbox.run(targets.soft_exit, code)
    assert (outcome.status, outcome.error["type"]) == ("raised", "SystemExit")
    assert f"sys.exit({code})" in outcome.error["message"]


def test_solutions_cannot_be_imported():
    outcome = sandbox.run(targets.import_solutions)
    assert (outcome.status, outcome.error["type"]) == ("raised", "RefusedImport")
    assert "not available to submissions" in outcome.error["message"]


def test_a_value_that_is_not_plain_data_is_refused_naming_where():
    outcome = sandbox.run(targets.not_plain)
    assert (outcome.status, outcome.error["type"]) == ("raised", "NotPlainData")
    assert "result['bad'][1]" in outcome.error["message"]
    assert "builtins.object" in outcome.error["message"]


def test_a_result_over_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "RESULT_CAP", 1 << 20)
    outcome = sandbox.run(targets.big_tensor, 2, limits=sandbox.Limits(timeout=10))
    assert outcome.status == "crashed"
    assert "1 MiB" in outcome.error["message"]
    small = sandbox.run(targets.big_tensor, 0)
    assert small.status == "ok"
    assert small.value.shape == (0,)


def test_thread_limit():
    assert sandbox.run(targets.threads, limits=sandbox.Limits(threads=1)).value == 1


def test_niceness_is_added():
    assert sandbox.run(targets.niceness, limits=sandbox.Limits(nice=5)).value == os.nice(0) + 5


def test_student_module_is_loaded_by_path(tmp_path):
    (tmp_path / "mine.py").write_text("def double(x):\n    return 2 * x\n")
    outcome = sandbox.run(targets.student_function, "double", 21, module=tmp_path / "mine.py")
    assert (outcome.status, outcome.value) == ("ok", 42)


def test_a_student_s_traceback_names_the_file_as_in_the_submission_not_where_it_was_copied(tmp_path):
    """A batch grades a copy in a temporary folder: its name would make two gradings of one submission differ."""
    (tmp_path / "mine.py").write_text("def double(x):\n    raise ValueError(x)\n")
    outcome = sandbox.run(targets.student_function, "double", 21, module=tmp_path / "mine.py")
    assert outcome.status == "raised"
    assert outcome.error["line"] == 2
    assert outcome.error["traceback"].startswith('  File "mine.py", line 2, in double\n')
    assert str(tmp_path) not in outcome.error["traceback"]


def test_syntax_error_names_its_line(tmp_path):
    (tmp_path / "broken.py").write_text("x = 1\n\ndef f(:\n    pass\n")
    outcome = sandbox.run(targets.nothing, module=tmp_path / "broken.py")
    assert (outcome.status, outcome.error["type"]) == ("raised", "SyntaxError")
    assert "line 3" in outcome.error["message"]


def test_a_daemon_that_left_the_session_and_its_parent_is_killed_too(box, marker, tmp_path):
    assert box.run(targets.daemonize, marker, workdir=tmp_path).value == "daemonized"
    assert len(list((tmp_path / marker).iterdir())) == 1
    assert survivors(marker) == []


@pytest.mark.parametrize("then_hang", [True, False], ids=["hangs", "returns"])
def test_no_process_outlives_its_run(box, marker, then_hang, tmp_path):
    """Sleepers in the child's group, in new sessions and bare forks: all gone, whether the child
    was killed at its time limit or returned on its own."""
    outcome = box.run(targets.spawn_sleepers, marker, 10, then_hang, limits=sandbox.Limits(timeout=3), workdir=tmp_path)
    assert outcome.status == ("timeout" if then_hang else "ok"), outcome.error
    assert len(list((tmp_path / marker).iterdir())) > 10, "the test spawned too little"  # the exec'd ten, and forks that ran
    assert survivors(marker) == []


def test_cancel_stops_a_running_child():
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    began = time.monotonic()
    outcome = sandbox.run(targets.hang, limits=sandbox.Limits(timeout=30), cancel=cancel)
    assert outcome.status == "crashed"
    assert "grading ended" in outcome.error["message"]
    assert time.monotonic() - began < 10


def test_runs_in_other_threads_keep_their_own_processes():
    """Ending one run sweeps what its child left behind, but never the processes of a run still going
    (a training child with DataLoader workers, started early in another thread)."""
    outcomes = []
    waiting = threading.Thread(target=lambda: outcomes.append(sandbox.run(targets.wait_for_sleeper, 3)))
    waiting.start()
    time.sleep(1)
    for _ in range(5):
        assert sandbox.run(targets.echo, 1).value == 1
    waiting.join()
    assert (outcomes[0].status, outcomes[0].value) == ("ok", 0), "the other run's sleeper was killed"


def test_a_spare_child_that_died_while_waiting_is_replaced():
    """Children are forked ahead of their run; one that is gone by then costs nothing."""
    box = sandbox.current()
    box.run(targets.nothing)
    deadline = time.monotonic() + 10
    while box._spare is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert box._spare is not None, "no spare child was forked ahead"
    os.kill(box._spare.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert sandbox.run(targets.echo, "fine").value == "fine"


def test_children_do_not_rerun_the_parents_main(tmp_path):
    """multiprocessing would import ``__main__`` again in every child: a script's (or grade's) import time, each check."""
    script = tmp_path / "script.py"
    script.write_text(f"""
import os, sys
sys.path.insert(0, {str(KIT)!r})
with open({str(tmp_path / "imports")!r}, "a") as f:
    f.write(str(os.getpid()) + "\\n")
if __name__ == "__main__":
    from grader import sandbox
    from tests import sandbox_targets
    assert [sandbox.run(sandbox_targets.echo, i).value for i in range(3)] == [0, 1, 2]
""")
    subprocess.run([sys.executable, str(script)], check=True, timeout=120)
    assert len((tmp_path / "imports").read_text().split()) == 1


def test_a_run_after_a_bad_one_is_unaffected():
    assert sandbox.run(targets.spin, limits=sandbox.Limits(timeout=0.5)).status == "timeout"
    assert sandbox.run(targets.echo, [1, 2]).value == [1, 2]


# ---------------------------------------------------------------- whole gradings of hostile modules

# module -> the checks it ruins and the status each must get; every other check must pass
HOSTILE_CHECKS = {
    "loop_in_function": {"make_vector": "timeout"},
    "memory_bomb": {"make_vector": "memory", "zeros_matrix": "memory"},
    "sys_exit": {"make_vector": "error"},
    "os_exit": {"make_vector": "crashed"},
    "segfault": {"make_vector": "crashed"},
    "print_flood": {"make_vector": "failed"},
    "monkeypatch_judge": {"make_vector": "failed"},
    "fake_results": {"make_vector": "failed"},
    "import_solutions": {"make_vector": "error", "zeros_matrix": "error"},
    "always_equal": {"make_vector": "error", "describe": "error", "zeros_matrix": "failed"},
    "evil_exception": {"make_vector": "error", "ones_matrix": "timeout"},
    "spawn_sleepers": {"make_vector": "timeout"},
}
for ruined in HOSTILE_CHECKS.values():  # the hidden check of make_vector([]) calls the same hostile make_vector:
    if ruined["make_vector"] != "failed":  # what stops it stops that check too; a wrong value is right for [] here
        ruined["make_vector_empty"] = ruined["make_vector"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade each hostile module once for all the tests of this file that look at it."""
    done = {}

    def get(name: str):
        if name not in done:
            marker = f"grader-hostile-{uuid.uuid4().hex[:12]}"
            folder = tmp_path_factory.mktemp(name)
            done[name] = (*grade_fast(hostile_submission(folder, name, marker)), folder, marker)
        return done[name]

    yield get
    for *_, marker in done.values():  # whatever escaped is killed, so a failure here stays contained
        clean_up(marker)


def test_every_hostile_module_is_covered():
    assert {p.stem for p in HOSTILE.glob("*.py")} == set(HOSTILE_CHECKS) | {"loop_at_import", "import_solutions_at_import"}


@pytest.mark.parametrize("name", sorted(HOSTILE_CHECKS))
def test_hostile_check_gets_its_status_and_the_others_still_pass(graded, name):
    doc, found, *_ = graded(name)
    expected = {check: (HOSTILE_CHECKS[name].get(check, "passed")) for check in found}
    assert {check: c["status"] for check, c in found.items()} == expected
    for check, c in found.items():
        assert c["score"] == (c["max_score"] if check not in HOSTILE_CHECKS[name] else 0.0), check
    lost = sum(found[check]["max_score"] for check in HOSTILE_CHECKS[name])
    assert doc["score"] == doc["max_score"] - lost
    assert doc["exercises"][0]["status"] == "graded"


def test_sys_exit_and_os_exit_are_explained(graded):
    assert "sys.exit(0) was called" in graded("sys_exit")[1]["make_vector"]["message"]
    assert "exited with code 0" in graded("os_exit")[1]["make_vector"]["message"]


def test_segfault_is_named(graded):
    assert "SIGSEGV" in graded("segfault")[1]["make_vector"]["message"]


def test_flood_reaches_the_feedback_capped(graded):
    message = graded("print_flood")[1]["make_vector"]["message"]
    assert message.startswith("make_vector(")
    assert "int64" in message.splitlines()[0]
    assert message.count("more bytes of output cut]") == 2  # stdout and stderr, 64 KiB each
    assert len(message) < 3 * limits.OUTPUT_CAP


def test_patched_judge_still_compares(graded):
    assert "got 42" in graded("monkeypatch_judge")[1]["make_vector"]["message"]


def test_fake_results_are_ignored(graded):
    doc, found, folder, marker = graded("fake_results")
    submission = folder / "submission"
    assert '"score": 1000.0' in found["make_vector"]["message"], "the hostile module did not run"
    assert doc["score"] == doc["max_score"] - found["make_vector"]["max_score"]
    assert (submission / f"{marker}.json").exists() is not confine.available()  # a confined child writes only in its folder
    for leftover in (submission / f"{marker}.json", submission / "results.json", Path(tempfile.gettempdir()) / f"{marker}.json"):
        leftover.unlink(missing_ok=True)


def test_solutions_import_is_refused_with_a_reason(graded):
    for check in ("make_vector", "zeros_matrix"):
        assert "not available to submissions" in graded("import_solutions")[1][check]["message"]


def test_forged_equality_is_caught(graded):
    found = graded("always_equal")[1]
    assert "AlwaysEqual, not plain data" in found["make_vector"]["message"]
    assert "EqualTuple, not plain data" in found["describe"]["message"]
    assert "got 7, expected 0" in found["zeros_matrix"]["message"]


def test_unprintable_exception_is_still_reported(graded):
    message = graded("evil_exception")[1]["make_vector"]["message"]
    assert "Unprintable" in message
    assert "grader/sandbox" not in message


def test_sleepers_are_all_gone(graded):
    _, found, _, marker = graded("spawn_sleepers")
    assert "spawned 20" in found["make_vector"]["message"], "the hostile module spawned nothing"
    assert survivors(marker) == []


@pytest.mark.parametrize(("name", "status"), [("loop_at_import", "timeout"), ("import_solutions_at_import", "error")])
def test_a_module_that_cannot_be_imported_costs_only_its_exercise(tmp_path, name, status):
    folder = hostile_submission(tmp_path, name)
    (folder / f"{EX2.stem}.py").write_text((KIT / "solutions" / f"{EX2.stem}.py").read_text(encoding="utf-8"))
    doc, _found = grade_fast(folder, exercises=(EX1, EX2))
    first, second = doc["exercises"]
    assert (first["status"], first["score"]) == ("error", 0.0)
    assert {c["status"] for c in first["checks"]} == {status}
    assert first["message"].startswith(f"could not import {EX1.stem}.py")  # said once; each check says it was not graded
    assert {c["message"] for c in first["checks"]} == {f"not graded: {EX1.stem}.py could not be imported"}
    assert (second["status"], second["score"]) == ("graded", second["max_score"])


@pytest.mark.parametrize("fails", [True, False])
def test_a_module_is_imported_by_each_check_and_a_broken_one_only_once(tmp_path, monkeypatch, fails):
    """No separate import step: the first check's child tells whether the module imports."""
    outcomes = []

    def counted(*args, **options):
        outcomes.append(run(*args, **options))
        return outcomes[-1]

    run = sandbox.run
    monkeypatch.setattr(sandbox, "run", counted)
    source = "raise RuntimeError('broken at import')\n" if fails else ""
    folder = submission_from(tmp_path, EX1.stem, source + solution_with(EX1.stem, ""))
    doc, found = grade_fast(folder)
    imports = len([outcome for outcome in outcomes if outcome.imported is not None])  # each a child that loaded the file
    if fails:
        assert imports == 1
        assert {c["status"] for c in found.values()} == {"error"}
        assert doc["exercises"][0]["message"].startswith(f"could not import {EX1.stem}.py: your code raised RuntimeError")
    else:
        assert imports == len(found)  # one child a check
        assert doc["score"] == doc["max_score"]


# ---------------------------------------------------------------- what a child can reach, layer by layer


needs_namespaces = pytest.mark.skipif("not namespaces_here()", reason="this machine refuses unprivileged user namespaces")


@pytest.fixture
def dry_run_zygote():
    """A zygote with a child's context as its start() builds it, not started: its dry run forks a throwaway process."""
    import socket

    from grader.sandbox import child, zygote

    ours, theirs = socket.socketpair()
    made = zygote.Zygote(theirs, {})
    context = made.context
    context.solutions = child.package_folders()
    context.allowed, context.kit_secrets = mounts.allowed(str(registry.KIT_ROOT)), [str(registry.CHECKS_DIR)]
    context.listed, context.landlock = mounts.listed(str(registry.KIT_ROOT)), confine.available()
    yield made
    ours.close()
    theirs.close()


@needs_namespaces
def test_the_dry_run_builds_a_childs_sandbox_with_the_limits_a_child_gets(dry_run_zygote):
    found = dry_run_zygote.dry_run()
    assert found["why"] is None
    assert found["file_cap"] is True


@needs_namespaces
def test_the_dry_run_calls_the_childs_own_setup_so_the_two_cannot_drift(dry_run_zygote, monkeypatch):
    from grader.sandbox import child

    def refuse(*args):
        raise OSError("contain was called")

    monkeypatch.setattr(child, "contain", refuse)  # the dry run forks: its process sees this module as patched
    assert dry_run_zygote.dry_run()["why"] == "contain was called"


def test_the_layers_that_held_are_reported_and_a_missing_one_says_why(fallback):
    """Both sandboxes say what they rest on; the fallback names namespaces as missing, with the reason."""
    here = sandbox.isolation()
    assert set(here.held) <= set(layers.LAYERS)
    assert set(here.held).isdisjoint(here.missing)
    assert layers.RLIMITS in here.held or layers.RLIMITS in here.missing
    weaker = fallback.isolation()
    assert weaker.missing[layers.NAMESPACES] == "turned off (GRADER_NO_NAMESPACES=1)"
    assert (layers.LANDLOCK in weaker.held) is confine.available()
    if os.geteuid() == 0:  # the uid switch is what stands between root and student code then
        assert layers.UID in weaker.held or layers.UID in weaker.missing


def test_a_required_layer_that_is_missing_is_refused_with_its_reason(fallback):
    with pytest.raises(layers.IsolationError, match=r"lacks namespaces \(turned off"):
        fallback.isolation().require(layers.parse("namespaces,landlock"))
    fallback.isolation().require(())  # nothing required, nothing refused
    with pytest.raises(ValueError, match="unknown isolation layer 'chroot'"):
        layers.parse("namespaces,chroot")
    assert layers.parse("all") == (layers.NAMESPACES, layers.LANDLOCK, layers.RLIMITS)


@needs_namespaces
def test_a_child_sees_only_itself_no_devices_no_sockets_and_has_no_capabilities():
    seen = sandbox.run(targets.view).value
    assert (seen["pid"], seen["parent"]) == (2, 0)  # under its init; the zygote is outside, with no pid here
    assert seen["proc"] == [1, 2]
    assert set(seen["/dev"]) <= {"null", "zero", "full", "random", "urandom", "shm", "fd", "stdin", "stdout", "stderr"} | {
        name for name in seen["/dev"] if name.startswith("nvidia")
    }
    assert seen["/run"] in ([], "PermissionError", "FileNotFoundError")
    # Its own /tmp holds its working directory, and only the first folder of a path that it must read below the
    # machine's /tmp (a clone's venv); its root, only the first folder of each allowed path. Wherever the kit is.
    shown = [*mounts.allowed(str(KIT)), *parent.folders_to_import(targets.view)]
    # At most: a test run earlier in this process may have put a folder of its own on sys.path since the zygote started.
    assert "grade-work" in seen["/tmp"]
    assert set(seen["/tmp"]) <= {"grade-work", *(p.split("/")[2] for p in shown if mounts.under(p, "/tmp") and p != "/tmp")}
    assert seen["/"] == sorted({"dev", "proc", "tmp", *(p.split("/")[1] for p in shown)})
    assert set(seen["capabilities"].values()) == {"0000000000000000"}


def test_a_kit_installed_into_site_packages_grants_the_packages_beside_it_one_by_one(tmp_path, monkeypatch):
    """pip install . without -e makes site-packages the kit's folder: granting it whole would show the reference, and
    leaving it out left torch's lazy imports nothing to find (every check an internal error)."""
    packages = tmp_path / "site-packages"
    for name in ("torch", "numpy", "solutions", "grader", "six.py", "kit-0.1.dist-info"):
        (packages / name).mkdir(parents=True) if "." not in name or name.endswith("-info") else (packages / name).touch()
    (tmp_path / "elsewhere").mkdir()
    (packages / "linked").symlink_to(tmp_path / "elsewhere")
    assert mounts.listed(str(packages)) == []
    assert str(packages / "torch") not in mounts.allowed(str(packages))
    monkeypatch.setattr("site.getsitepackages", lambda: [str(packages)])
    allowed = mounts.allowed(str(packages))
    beside = {str(packages / n) for n in ("torch", "numpy", "six.py", "kit-0.1.dist-info", "linked")} | {str(tmp_path / "elsewhere")}
    assert beside <= set(allowed)
    assert not [p for p in allowed if mounts.under(p, str(packages / "solutions")) or p == str(packages)]
    assert mounts.listed(str(packages)) == [str(packages)]
    rights = dict(confine.allow(allowed, [], listed=mounts.listed(str(packages))))
    assert rights[str(packages)] == confine.READ_DIR  # listed for the import system, nothing in it read by that right


@pytest.mark.parametrize("kind", ["tcp", "udp"])
def test_a_child_has_no_network(box, kind):
    import socket

    if box is not sandbox.current() and (kind == "udp" or confine.abi() < 4):
        pytest.skip("without namespaces only Landlock (Linux 6.7+) stops the network, and only TCP (see the README)")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    if kind == "tcp":
        listener.listen()
    listener.settimeout(0.5)
    try:
        got = box.run(targets.connect, "127.0.0.1", listener.getsockname()[1], kind).value
        assert got in ("OSError", "PermissionError"), got  # no interface up in its namespace, or Landlock refuses TCP
        with pytest.raises(TimeoutError):
            listener.accept() if kind == "tcp" else listener.recv(64)
    finally:
        listener.close()


@needs_namespaces
def test_a_fork_bomb_stops_at_the_process_cap():
    started = sandbox.run(targets.fork_many, 2 * limits.PROCESS_CAP, limits=sandbox.Limits(timeout=30)).value
    assert started < limits.PROCESS_CAP


def test_a_child_cannot_signal_the_process_that_forked_it(box):
    if box is not sandbox.current() and confine.abi() < 6:
        pytest.skip("without namespaces, only Landlock's signal scoping (Linux 6.12+) stops this")
    got = box.run(targets.signal_parent).value
    assert got != "killed"
    assert box.run(targets.echo, "still here").value == "still here"


@pytest.mark.parametrize("no_namespaces", ["0", "1"], ids=["namespaces", "fallback"])
def test_a_grading_leaves_nothing_in_tmp(tmp_path, no_namespaces):
    """No folder of the sandbox's own, and nothing of the student's, stays behind in the machine's /tmp."""
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "1", "--submission", str(KIT / "solutions"), "--format", "json"],
        cwd=KIT, env={**os.environ, "TMPDIR": str(tmp_path), layers.NO_NAMESPACES_ENV: no_namespaces},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    held = json.loads(done.stdout)["isolation"]
    assert (layers.NAMESPACES in held) is (no_namespaces == "0" and namespaces_here())
    assert list(tmp_path.iterdir()) == []


def test_the_switch_to_nobody_is_refused_where_nobody_could_not_read_python():
    """As root without namespaces, a child becomes nobody only if nobody can read what it must (Python, the kit)."""
    from grader.sandbox.zygote import unreadable_to_nobody

    base = Path(tempfile.mkdtemp(dir="/tmp"))  # not below pytest's own folders, which only their owner may enter
    try:
        os.chmod(base, 0o755)
        for name in ("open", "closed"):
            (base / name / "lib").mkdir(parents=True)
            (base / name / "lib" / "site.py").write_text("")
        os.chmod(base / "closed", 0o700)  # as /root is on this machine, where pyenv puts Python
        assert unreadable_to_nobody([base / "open" / "lib" / "site.py"]) == []
        assert unreadable_to_nobody([base / "closed" / "lib" / "site.py"]) == [str(base / "closed")]
    finally:
        shutil.rmtree(base)


def test_every_child_starts_student_code_from_the_same_random_state(tmp_path):
    """An unseeded draw (a layer's initial weights) is the same in every grading, so feedback replays with its seed."""
    (tmp_path / "mine.py").write_text("import random\nimport torch\n\ndef draw(n):\n    return [torch.rand(n), random.random()]\n")
    outcome = sandbox.run(targets.student_function, "draw", 3, module=tmp_path / "mine.py")
    assert outcome.status == "ok", outcome.error
    import random

    from grader.sandbox.child import RANDOM_STATE

    expected = torch.Generator().manual_seed(RANDOM_STATE)  # whatever this process or the zygote drew before
    assert torch.equal(outcome.value[0], torch.rand(3, generator=expected))
    assert outcome.value[1] == random.Random(RANDOM_STATE).random()


def test_numpy_draws_start_from_the_same_random_state_where_no_check_loaded_numpy_random(tmp_path, fallback):
    """The fallback sandbox preloads the kit's own modules alone: NumPy's random module is the child module's to load."""
    (tmp_path / "mine.py").write_text("import numpy as np\n\ndef draw():\n    return float(np.random.rand())\n")
    draws = [fallback.run(targets.student_function, "draw", module=tmp_path / "mine.py") for _ in range(2)]
    assert [d.status for d in draws] == ["ok", "ok"], draws[0].error
    import numpy

    from grader.sandbox.child import RANDOM_STATE

    assert [d.value for d in draws] == [numpy.random.RandomState(RANDOM_STATE).rand()] * 2


def test_grade_started_in_the_machines_tmp_still_gets_namespaces():
    """The zygote has its working directory on sys.path: /tmp itself, bound into the child, left no private /tmp."""
    if not namespaces_here():
        pytest.skip("this machine gives sandbox children no namespaces")
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "1", "--submission", str(KIT / "solutions"), "--format", "json", "--seed", "1"],
        cwd="/tmp",
        env={**os.environ, "PYTHONPATH": str(KIT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    document = json.loads(done.stdout)
    assert "namespaces" in document["isolation"], document["isolation_missing"]
    assert document["score"] == document["max_score"]


def test_does_the_kit_import_from_the_working_directory_only_where_it_is_the_kit(tmp_path, monkeypatch):
    """The trusted path drops '', relative entries and the working directory, but keeps the kit's own checkout."""
    import grader

    monkeypatch.chdir(tmp_path)
    elsewhere = str(KIT / "grader")
    assert grader.trusted_path(["", ".", "sub", str(tmp_path), elsewhere, elsewhere]) == [elsewhere]
    monkeypatch.chdir(grader.KIT_PARENT)
    assert grader.trusted_path(["", elsewhere]) == [grader.KIT_PARENT, elsewhere]


@pytest.fixture
def copies_of_the_reference():
    """The reference of exercise 1 copied where a careless teacher leaves it: /tmp, /opt, HOME, a folder above the kit."""
    source = (registry.REFERENCE_DIR / f"{EX1.stem}.py").read_bytes()
    folders = [Path(tempfile.mkdtemp(prefix="copy-", dir=d)) for d in ("/tmp", "/opt", Path.home(), KIT.parent) if os.access(d, os.W_OK)]
    for folder in folders:
        (folder / "reference.py").write_bytes(source)
        (folder / ".netrc").write_text("machine example.org password hunter2\n")
    yield [folder / name for folder in folders for name in ("reference.py", ".netrc")]
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def test_can_a_child_read_anything_outside_the_allow_list(box, copies_of_the_reference, tmp_path):
    """Not the kit's folder nor anything in it, not a copy of the reference anywhere, not HOME, not the submission's
    parents or classmates: only the interpreter, its packages, the system's libraries and its own submission."""
    if box is not sandbox.current() and not confine.available():
        pytest.skip("without namespaces and Landlock nothing hides the machine's files (the isolation list says so)")
    student = tmp_path / "class" / "alice"
    student.mkdir(parents=True)
    (student / f"{EX1.stem}.py").write_text("# alice's\n")
    (tmp_path / "class" / "bob").mkdir()
    (tmp_path / "class" / "bob" / f"{EX1.stem}.py").write_text("# bob's\n")
    kit = [KIT, KIT / "solutions", registry.REFERENCE_DIR / f"{EX1.stem}.py", registry.CHECKS_DIR, registry.CHECKS_DIR / "__init__.py",
           KIT / ".git", KIT / "data", KIT / "pyproject.toml", KIT.parent]  # fmt: skip
    others = [Path.home(), tmp_path, tmp_path / "class", tmp_path / "class" / "bob" / f"{EX1.stem}.py", Path("/opt"), Path("/etc/passwd")]
    paths = [str(p) for p in [*kit, *copies_of_the_reference, *others]]
    outcome = box.run(targets.read_each, paths, module=student / f"{EX1.stem}.py")
    assert outcome.status == "ok", outcome.error
    # A folder on the way to an allowed one (HOME holding pyenv, the kit holding its venv) shows that way alone.
    # and the child's own working directory, and the interpreter's venv, which the view binds even inside the kit (a clone)
    shown = [*mounts.allowed(str(KIT)), *parent.folders_to_import(targets.read_each), mounts.OWN_WORKDIR, sys.prefix]
    on_the_way = {path: [e for e in seen if not any(mounts.under(p, os.path.join(path, e)) for p in shown)]
                  for path, seen in outcome.value.items() if isinstance(seen, list)}  # fmt: skip
    assert {path: found for path, found in outcome.value.items() if on_the_way.get(path) != []} == {}
    assert outcome.imported, "its own submission it reads"
    assert len(box.run(targets.read_each, [sys.executable, torch.__file__]).value) == 2, "and the interpreter and torch"
