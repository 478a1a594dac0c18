"""Can hostile student code get out of the sandbox: reach the judge, the batch, the network or the machine?

Each attack in ``tests/hostile/escapes/`` is appended to the reference solution of exercise 1 and replaces
one or two functions, so exactly those checks must fail and every other check pass. Each attack runs under
``grade`` (in this process's engine; through the real CLI, all in one submission), and in one ``grade batch``
of several students; attacks on the judge itself run only where the judge is a subprocess. The evidence is
read from outside the sandbox, right after each run, by :mod:`tests.traps`, which then undoes whatever an
attack managed, so that a run on a leaky sandbox leaves this machine clean.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader import registry
from grader.judge import engine
from tests.helpers import KIT, TESTS, grade, solution_with
from tests.traps import ESCAPES, Evidence, Trap, attack_source, check_hashes, own_unix_sockets, solution_hashes

pytestmark = pytest.mark.slow  # every escape, through grade, the CLI and a batch

EX1 = registry.by_stem("exercise1_tensors")
SEED = 4242
FAST = {"timeout_scale": 0.2, "memory": 256 << 20}  # in this process: 2 s and 256 MiB a check
LIMITS = ["--timeout-scale", "0.3", "--memory-limit", "512M"]  # in a subprocess, on a busier machine: 3 s
# A grade of exercise 1 takes ~5 s here and this batch ~40 s: one still running at these limits waits for
# something an attack left behind, and is killed so that the evidence is taken while that still runs.
CLI_LIMIT, BATCH_LIMIT = 60, 240

# attack -> the checks it costs and the status each must get; every other check must pass
COSTS = {
    "forkserver": {"make_scalar": "error"},
    "kill_judge": {"make_vector": "error", "make_vector_empty": "error"},  # both checks call its make_vector
    "network": {"make_matrix": "error"},
    "litter": {"random_matrix": "error"},
    "read_secrets": {"zeros_matrix": "error", "ones_matrix": "failed"},
    "write_outside": {"describe": "error"},
    "daemon": {"elementwise_sum": "error"},
    "fork_bomb": {"elementwise_product": "timeout"},
}
# In this process the judge is this very pytest: an attack that got out would kill the test run itself.
ON_THE_JUDGE = {"kill_judge"}
SPARED = sorted(set(COSTS) - ON_THE_JUDGE)
# student -> what replaces the reference solution's functions, and the checks that costs (ada's file is the trap's classmate)
HONEST = {"ada": ("", ()), "kim": ("def make_vector(values):\n    return torch.tensor(values)\n", ("make_vector",)), "zoe": ("", ())}
WHERE = ["grade", "cli", "batch"]


@dataclass
class Attempt:
    """One attack's run as the test saw it: the document its submission got, and the evidence from outside."""

    doc: dict | None = field(repr=False)  # for a batch, the attacker's record
    expected: dict[str, str]  # check -> status; for several attacks in one submission, all of theirs
    text: str = field(repr=False)  # everything the run printed or wrote, where a smuggled secret would show
    seconds: float
    evidence: Evidence
    trap: Trap = field(repr=False)
    failure: str = ""  # why there is no document
    internal: int = 0  # checks that broke inside the grader (in this process)
    code: int | None = None  # grade's exit code (through the CLI)
    hung: bool = False  # grade did not end by itself within CLI_LIMIT


@dataclass
class Batch:
    """A ``grade batch``, the same command run again, and each attack's attempt in the first run."""

    attempts: dict[str, Attempt]
    code: int
    failure: str  # why the first run did not finish
    rows: list[list[str]]  # grades.csv after the first run
    rerun: subprocess.CompletedProcess
    rows_after_rerun: list[list[str]]


def submission(folder: Path, attacks, targets: dict) -> Path:
    """The reference solution of exercise 1 with ``attacks`` appended."""
    folder.mkdir(parents=True, exist_ok=True)
    source = solution_with(EX1.stem, "\n\n".join(attack_source(name, targets) for name in attacks))
    (folder / f"{EX1.stem}.py").write_text(source, encoding="utf-8")
    return folder


def costs_of(attacks) -> dict[str, str]:
    return {check: status for name in attacks for check, status in COSTS[name].items()}


def run_command(args: list[str], trap: Trap, name: str, limit: float) -> tuple[subprocess.CompletedProcess, float, bool]:
    """Run ``python -m grader.cli ARGS`` as a user would, with the trap's environment, in a session of its own.

    Its output goes to files, not pipes: a process that escaped with a copy of them would otherwise keep the
    test waiting (as it would keep ``grade ... | jq`` waiting). Past ``limit`` seconds it is killed (the third
    value says so): what it printed so far is still read."""
    out, err = trap.root / f"{name}.stdout", trap.root / f"{name}.stderr"
    began = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", *args],
            cwd=KIT,
            env={**os.environ, **trap.environment()},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    hung = False
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    seconds = time.monotonic() - began
    text = [path.read_text(encoding="utf-8", errors="replace") for path in (out, err)]
    return subprocess.CompletedProcess(args, process.returncode, *text), seconds, hung


def in_process(root: Path) -> dict[str, Attempt]:
    """Grade each attack apart in this process's engine, with a secret in this process's memory and environment."""
    trap = Trap(root, root / "classmate" / f"{EX1.stem}.py")
    attempts = {}
    os.environ["HOSTILE_JUDGE_SECRET"] = trap.secrets["judge"]  # set after start: in the judge's memory only
    try:
        for name in SPARED:
            folder = submission(root / name, [name], trap.targets(own_unix_sockets()))
            began = time.monotonic()
            doc, internal = grade(folder, [EX1], seed=SEED, **FAST)
            seconds = time.monotonic() - began
            attempts[name] = Attempt(doc, COSTS[name], json.dumps(doc), seconds, trap.collect(), trap, internal=internal)
            trap.clean()
    finally:
        del os.environ["HOSTILE_JUDGE_SECRET"]
        trap.close()
    return attempts


def through_the_cli(root: Path, attacks) -> dict[str, Attempt]:
    """One ``grade 1 --submission DIR --format json`` of all ``attacks`` in one submission."""
    trap = Trap(root, root / "classmate" / f"{EX1.stem}.py")
    try:
        folder = submission(root / "submission", attacks, trap.targets([f"{trap.tmpdir}/"]))
        args = ["1", "--submission", str(folder), "--format", "json", "--seed", str(SEED), *LIMITS]
        done, seconds, hung = run_command(args, trap, "grade", CLI_LIMIT)
        evidence = trap.collect(settle=0 if hung else 0.5)
        try:
            doc, failure = json.loads(done.stdout), ""
        except ValueError:
            doc, failure = None, f"grade ended with exit code {done.returncode} and no document; stderr: {done.stderr[-1500:]}"
        text = done.stdout + done.stderr
        return {
            name: Attempt(doc, costs_of(attacks), text, seconds, evidence, trap, failure, code=done.returncode, hung=hung)
            for name in attacks
        }
    finally:
        trap.close()


def batch_of(root: Path, attacks) -> Batch:
    """``grade batch`` of the honest students and one student per attack, then the same command again."""
    classroom = root / "class"
    trap = Trap(root, classroom / "ada" / f"{EX1.stem}.py")  # ada's file holds the classmate's secret
    try:
        trap.plant_out(root / "out")
        targets = trap.targets([f"{trap.tmpdir}/"])
        for student, (override, _) in HONEST.items():
            if student != "ada":
                (classroom / student).mkdir(parents=True)
                (classroom / student / f"{EX1.stem}.py").write_text(solution_with(EX1.stem, override), encoding="utf-8")
        for name in attacks:
            submission(classroom / name, [name], targets)
        args = ["batch", str(classroom), "--out", str(trap.out), "--exercises", "1", "--seed", str(SEED), "--jobs", "2", *LIMITS]
        first, seconds, hung = run_command(args, trap, "batch", BATCH_LIMIT)
        rows, records = read_rows(trap.out), read_records(trap.out)
        rerun, *_ = run_command(args, trap, "rerun", BATCH_LIMIT)
        evidence = trap.collect()
        files = [p for p in sorted(trap.out.rglob("*")) if p.is_file() and p.name != "notes-for-the-teacher.txt"]
        text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
        text += first.stdout + first.stderr + rerun.stdout + rerun.stderr
        failure = "" if first.returncode == 0 else f"grade batch ended with exit code {first.returncode}; stderr: {first.stderr[-1500:]}"
        failure = f"grade batch did not end within {BATCH_LIMIT} s; stderr: {first.stderr[-1500:]}" if hung else failure
        attempts = {
            name: Attempt(
                records.get(name),
                COSTS[name],
                text,
                records[name]["batch"]["seconds"] if name in records else seconds,
                evidence,
                trap,
                failure or ("" if name in records else f"{name} has no record in results.jsonl"),
            )
            for name in attacks
        }
        return Batch(attempts, first.returncode, failure, rows, rerun, read_rows(trap.out))
    finally:
        trap.close()


def read_rows(out: Path) -> list[list[str]]:
    if not (out / "grades.csv").exists():
        return []
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def read_records(out: Path) -> dict[str, dict]:
    found = {}
    if (out / "results.jsonl").exists():
        for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            found[record["batch"]["student"]] = record
    return found


# Each kind of run: grade in this process, one grade through the CLI of every attack spared the judge, a batch
# of them, and the attack on the judge through the CLI and in a batch of its own (where, if it got out, it
# would take the other attacks' evidence down with it).
RUNS = {
    "grade": in_process,
    "cli": lambda root: through_the_cli(root, SPARED),
    "batch": lambda root: batch_of(root, SPARED),
    "kill-cli": lambda root: through_the_cli(root, sorted(ON_THE_JUDGE)),
    "kill-batch": lambda root: batch_of(root, sorted(ON_THE_JUDGE)),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each kind of run once, when a test first asks for it."""
    done = {}

    def get(where: str):
        if where not in done:
            done[where] = RUNS[where](tmp_path_factory.mktemp(where))
        return done[where]

    return get


def attempt(runs, where: str, name: str) -> Attempt:
    found = runs(where)
    return (found.attempts if isinstance(found, Batch) else found)[name]


def assert_costs_only_its_checks(got: Attempt) -> None:
    """The attack's checks got their statuses and no points; every other check passed with full points."""
    assert got.doc is not None, got.failure
    assert got.internal == 0, "a hostile submission must never look like a grader bug"
    found = {c["name"]: c for part in got.doc["exercises"] for c in part["checks"]}
    assert {n: c["status"] for n, c in found.items()} == {n: got.expected.get(n, "passed") for n in found}
    for name, check in found.items():
        assert check["score"] == (0.0 if name in got.expected else check["max_score"]), name
        if check["status"] == "error":
            assert " attack: " in check["message"], f"{name}: the attack did not run: {check['message'][:300]}"
    assert got.doc["score"] == got.doc["max_score"] - sum(found[n]["max_score"] for n in got.expected)


def test_every_escape_module_is_covered():
    assert {p.stem for p in ESCAPES.glob("*.py")} == set(COSTS)


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_reach_the_process_that_makes_children(runs, where):
    """A child that connects to the forkserver's socket and sends a pickle must not get code run outside the sandbox."""
    got = attempt(runs, where, "forkserver")
    assert_costs_only_its_checks(got)
    assert got.evidence.escaped is None, f"the forkserver unpickled the attack's payload in pid {got.evidence.escaped}, unconfined"


def test_can_a_student_kill_grade_or_its_forkserver(runs):
    """SIGKILL to the forkserver, to grade and to every process of the run named grade: grade must still report."""
    got = attempt(runs, "kill-cli", "kill_judge")
    assert_costs_only_its_checks(got)
    assert (got.code, got.hung) == (1, False), "grade exits 1 by itself: a check failed"
    assert got.evidence.survivors == {}


def test_does_grade_end_by_itself_and_exit_1_after_every_other_attack(runs):
    """One submission with all the other attacks, through the real CLI: a document, exit code 1, in bounded time."""
    got = attempt(runs, "cli", SPARED[0])
    assert got.doc is not None, got.failure
    assert not got.hung, f"grade printed its document but did not end within {CLI_LIMIT} s: it waits for something an attack left"
    assert got.code == 1


def test_can_a_student_kill_the_batch_or_its_workers(runs):
    """SIGKILL to the forkserver, the worker, the batch and every process of the run named grade: the batch must
    still grade everyone, exit 0 and write grades.csv, and a rerun of the same command must finish too."""
    batch = runs("kill-batch")
    assert batch.code == 0, batch.failure
    assert_costs_only_its_checks(batch.attempts["kill_judge"])
    assert batch.rows == expected_rows(sorted(ON_THE_JUDGE)), "grades.csv must hold every student's exact row"
    assert batch.rerun.returncode == 0, batch.rerun.stderr[-1500:]
    assert f"Grading 0 of {len(HONEST) + len(ON_THE_JUDGE)} students" in batch.rerun.stderr
    assert batch.rows_after_rerun == batch.rows


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_reach_the_network(runs, where):
    """TCP and UDP to listeners on 127.0.0.1, and a connection to an abstract Unix socket: nothing may arrive."""
    got = attempt(runs, where, "network")
    assert_costs_only_its_checks(got)
    assert got.evidence.arrivals == []


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_read_a_classmates_submission(runs, where):
    got = attempt(runs, where, "read_secrets")
    assert_costs_only_its_checks(got)
    assert "classmate" not in got.trap.leaked(got.text), f"{got.trap.classmate} was read: {secret_sources(got)}"


def test_can_a_student_read_the_batchs_out_folder(runs):
    got = attempt(runs, "batch", "read_secrets")
    assert_costs_only_its_checks(got)
    assert "out" not in got.trap.leaked(got.text), f"a file in --out was read: {secret_sources(got)}"


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_read_the_reference_solutions(runs, where):
    got = attempt(runs, where, "read_secrets")
    assert_costs_only_its_checks(got)
    assert [name for name, digest in solution_hashes().items() if digest in got.text] == []


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_read_the_checks_source_or_credentials(runs, where):
    """The checks' source in the kit, a .netrc beside copies of the reference in /tmp, /opt, HOME and above the kit."""
    got = attempt(runs, where, "read_secrets")
    assert_costs_only_its_checks(got)
    assert [name for name, digest in check_hashes().items() if digest in got.text] == []
    assert "credential" not in got.trap.leaked(got.text), f"a credential was read: {secret_sources(got)}"


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_read_the_judges_environment_or_memory(runs, where):
    """A secret in the judge's environment (its own, or /proc/<pid>/environ, maps and mem of the processes above)."""
    got = attempt(runs, where, "read_secrets")
    assert_costs_only_its_checks(got)
    assert "judge" not in got.trap.leaked(got.text), f"the judge's secret was read: {secret_sources(got)}"


def secret_sources(got: Attempt) -> str:
    """Where the attack says it found secrets: its report's first line, in its check's message."""
    message = next(c["message"] for part in got.doc["exercises"] for c in part["checks"] if c["name"] == "zeros_matrix")
    return next((line for line in message.splitlines() if "secrets found:" in line), message[:500])[:2000]


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_write_outside_its_working_directory(runs, where):
    """The kit's checks, a classmate's file, a gradebook, $HOME, /tmp, and through ``..`` and a link."""
    got = attempt(runs, where, "write_outside")
    assert_costs_only_its_checks(got)
    assert got.evidence.planted["write"] == []
    assert got.evidence.changed == []


@pytest.mark.parametrize("where", WHERE)
def test_can_a_process_outlive_its_check(runs, where):
    """Daemons after a double fork and setsid, one exec'd with an empty environment, one that wiped its own."""
    got = attempt(runs, where, "daemon")
    assert_costs_only_its_checks(got)
    assert {pid: p for pid, p in got.evidence.survivors.items() if not from_the_bomb(p)} == {}
    assert not got.hung, f"grade did not end within {CLI_LIMIT} s"


@pytest.mark.parametrize("where", WHERE)
def test_does_a_fork_bomb_cost_only_its_own_check(runs, where):
    got = attempt(runs, where, "fork_bomb")
    assert_costs_only_its_checks(got)
    assert got.seconds < 120, f"the run took {got.seconds:.0f} s"
    assert {pid: p for pid, p in got.evidence.survivors.items() if from_the_bomb(p)} == {}


def from_the_bomb(process: str) -> bool:
    return "sleep 30" in process or "bomb()" in process


@pytest.mark.parametrize("where", WHERE)
def test_can_a_student_leave_litter_in_tmp(runs, where):
    """Files in /tmp, /var/tmp, /dev/shm and the temporary folder the child is given must all be gone after the run."""
    got = attempt(runs, where, "litter")
    assert_costs_only_its_checks(got)
    assert got.evidence.planted["litter"] == []


@pytest.mark.parametrize("where", [w for w in WHERE if w != "grade"])  # in this process, the judge's TMPDIR is pytest's own
def test_does_grade_leave_litter_in_its_tmpdir(runs, where):
    """grade and grade batch start with TMPDIR an empty folder: it must be empty again when they end."""
    got = attempt(runs, where, SPARED[0])
    assert got.evidence.tmp_left == [], f"the grader left {', '.join(got.evidence.tmp_left)} in its TMPDIR"


def test_is_every_other_student_graded_in_full_and_does_a_rerun_finish(runs):
    batch = runs("batch")
    assert batch.code == 0, batch.failure
    assert batch.rows == expected_rows(SPARED), "grades.csv must hold every student's exact row"
    assert batch.rerun.returncode == 0, batch.rerun.stderr[-1500:]
    assert f"Grading 0 of {len(HONEST) + len(SPARED)} students" in batch.rerun.stderr
    assert batch.rows_after_rerun == batch.rows


def expected_rows(attacks) -> list[list[str]]:
    """grades.csv of a batch of the honest students and one student per attack."""
    points = {listed.name: listed.points for listed in engine.collect([EX1])}
    total = sum(points.values())
    rows = {student: (total - sum(points[c] for c in lost), "graded", "") for student, (_, lost) in HONEST.items()}
    for name in attacks:
        lost = COSTS[name]
        worst = "timeout" if "timeout" in lost.values() else "error"
        note = "; ".join(f"{EX1.stem}::{check} {lost[check]}" for check in points if lost.get(check, "failed") != "failed")
        rows[name] = (total - sum(points[c] for c in lost), worst, note)
    header = ["student", EX1.stem, "total", "max", "status", "note", "seed"]
    return [header] + [
        [who, f"{score:g}", f"{score:g}", f"{total:g}", status, note, str(SEED)] for who, (score, status, note) in sorted(rows.items())
    ]


SHADOW = TESTS / "hostile" / "shadow" / "json.py"
SHADOWS = ("json.py", "click.py", "numpy.py", "torch.py", "socket.py", "multiprocessing.py", "grader/__init__.py")


def shadowed(folder: Path, evidence: Path, student: str = "") -> Path:
    """The reference solution of exercise 1 with, beside it, files named like the modules the kit imports."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{EX1.stem}.py").write_text(solution_with(EX1.stem, student), encoding="utf-8")
    source = SHADOW.read_text(encoding="utf-8").replace('EVIDENCE = ""', f"EVIDENCE = {str(evidence)!r}")
    for name in SHADOWS:
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(source, encoding="utf-8")
    return folder


def grade_command() -> list[str]:
    """The installed console script, as a teacher or a CI job runs it (python -m would import a grader/ beside it)."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


@pytest.mark.parametrize("how", ["script", "module"])
def test_does_grade_started_beside_a_json_py_import_only_the_kits_own_modules(tmp_path, how):
    """``cd alice && grade 1``: her json.py, click.py, torch.py... and grader/ are hers, imported by no process of the kit."""
    evidence = tmp_path / "evidence.txt"
    folder = shadowed(tmp_path / "alice", evidence)
    if how == "module":  # python -m grader.cli itself puts the folder first on sys.path: a grader/ there would be run
        shutil.rmtree(folder / "grader")
    command = grade_command() if how == "script" else [sys.executable, "-m", "grader.cli"]
    done = subprocess.run(
        [*command, "1", "--submission", ".", "--format", "json", "--seed", str(SEED)],
        cwd=folder, capture_output=True, text=True, timeout=CLI_LIMIT,
    )  # fmt: skip
    assert not evidence.exists(), evidence.read_text()
    doc = json.loads(done.stdout)
    assert doc["score"] == doc["max_score"], done.stderr[-2000:]


@pytest.mark.parametrize("workers", [["--jobs", "2"], ["--cluster", "local:1"]], ids=["jobs", "cluster"])
def test_does_a_batch_started_in_a_students_folder_import_only_the_kits_own_modules(tmp_path, workers):
    """``grade batch`` started in a folder full of shadows, one student with them too: every student in full."""
    if workers[0] == "--cluster":
        pytest.importorskip("distributed")
    evidence, classroom = tmp_path / "evidence.txt", tmp_path / "class"
    shadowed(classroom / "alice", evidence)
    for student, (override, _costs) in HONEST.items():
        (classroom / student).mkdir(parents=True)
        (classroom / student / f"{EX1.stem}.py").write_text(solution_with(EX1.stem, override), encoding="utf-8")
    shadowed(tmp_path, evidence)  # and in the folder the batch is started in
    out = tmp_path / "out"
    args = ["batch", str(classroom), "--out", str(out), "--exercises", "1", "--seed", str(SEED), *workers, *LIMITS]
    done = subprocess.run([*grade_command(), *args], cwd=tmp_path, capture_output=True, text=True, timeout=BATCH_LIMIT)
    assert not evidence.exists(), evidence.read_text()
    assert done.returncode == 0, done.stderr[-2000:]
    points = {listed.name: listed.points for listed in engine.collect([EX1])}
    total, kim = sum(points.values()), sum(points[c] for c in HONEST["kim"][1])
    scores = {row[0]: float(row[2]) for row in read_rows(out)[1:]}
    assert scores == {"ada": total, "alice": total, "kim": total - kim, "zoe": total}
