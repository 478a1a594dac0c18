"""``grade batch --cluster``: grade a class on a Dask cluster, every student recorded exactly once.

The driver (this process) alone reads the submissions and writes ``--out``. It keeps a bounded
window of tasks in flight (``WINDOW`` per worker slot), each carrying one student's packed files
(:mod:`.packing`) under the key ``student:sha256(files):kit version:seed``; the Dask workers grade
them in the kit's own grading processes (:mod:`.daskworker`) and send the record back. Execution
is at least once: a task whose grading process or Dask worker died is retried, on any worker, up to
``ATTEMPTS`` times in all, then recorded as ``grader_error`` (a rerun tries it again). Recording is
exactly once: a key is written when its one task finishes, and a rerun submits only the students
whose key is not in ``results.jsonl`` yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing.util
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import dask
from distributed import Client, KilledWorker, LocalCluster, as_completed

from grader.batch import daskworker, packing
from grader.batch.layouts import Entry
from grader.batch.pool import Fatal
from grader.errors import ExitCode, UsageProblem
from grader.i18n import _, ngettext
from grader.settings import Settings
from grader.status import StudentStatus

ATTEMPTS = 3  # tries of one task before its student is recorded as grader_error
WINDOW = 4  # tasks in flight per worker slot: every slot has its next student at hand, and the scheduler never holds a whole MOOC
SLOTS_EVERY = 1.0  # seconds between two looks at how many worker slots the cluster has
TASK = "grade"  # a task's Dask key is (TASK, the record's key): one group for Dask, however many students
LOCAL_CLUSTER = {
    # One task at a time on a worker (not Dask's 1.1 x threads, rounded up to 2): a worker that dies takes down only
    # the task it ran, not one waiting behind it.
    "distributed.scheduler.worker-saturation": 1.0,
    # Queued tasks go to the next free worker anyway; stealing's bookkeeping (every 100 ms) would cost CPU for nothing.
    "distributed.scheduler.work-stealing": False,
    # Workers forked from one server that has imported Dask, not each a fresh interpreter importing it (~1 CPU-s each):
    # 2 workers were up in ~1.0 s instead of ~1.9 s here. A worker a nanny restarts later is spawned as usual.
    "distributed.worker.multiprocessing-method": "forkserver",
}


@dataclass(frozen=True)
class Spec:
    """Where the Dask cluster is: ``local`` workers started here, else a running scheduler's ``address`` or ``scheduler_file``."""

    text: str
    local: int = 0
    address: str | None = None
    scheduler_file: str | None = None

    def __str__(self) -> str:
        return self.text


@contextlib.contextmanager
def started_in_root():
    """The local workers start from multiprocessing's forkserver, a ``python -c`` with its working directory first on
    sys.path, ahead of the standard library, until it takes this process's path: started in a student's folder, it would
    import a socket.py there. So the cluster starts in /, this process waiting for it meanwhile."""
    here = os.getcwd()
    os.chdir("/")
    try:
        yield
    finally:
        os.chdir(here)


class ClusterError(UsageProblem):
    """--cluster or grade worker's ADDRESS names no Dask cluster this kit can use; the message says what to write."""


def parse(text: str, local: bool = True) -> Spec:
    """``local:N``, ``tcp://HOST:PORT`` (or ``tls://``) or ``scheduler-file:PATH``; raises ClusterError."""
    kind, _colon, rest = text.partition(":")
    if kind == "local" and local:
        if not rest.isdigit() or int(rest) < 1:
            raise ClusterError(_("{text} needs a number of workers, like local:4").format(text=repr(text)))
        return Spec(text, local=int(rest))
    if kind in ("tcp", "tls") and rest.startswith("//") and rest[2:]:
        return Spec(text, address=text)
    if kind == "scheduler-file" and rest:
        if not Path(rest).is_file():
            said = _("scheduler file {path} does not exist; start a scheduler with dask scheduler --scheduler-file {path}")
            raise ClusterError(said.format(path=rest))
        return Spec(text, scheduler_file=rest)
    if local:
        raise ClusterError(_("{text} is not a Dask cluster; write local:N, tcp://HOST:PORT or scheduler-file:PATH").format(text=repr(text)))
    raise ClusterError(_("{text} is not a Dask scheduler; write tcp://HOST:PORT or scheduler-file:PATH").format(text=repr(text)))


class Cluster:
    """``with Cluster(spec, config, log, log_name) as cluster: for record in cluster.grade(entries): ...``, as :class:`.pool.Pool`."""

    def __init__(self, spec: Spec, config: dict, log, log_name: str):
        self.spec, self.config, self.log, self.log_name = spec, config, log, log_name
        self.stems, self.settings = config["exercises"], Settings.from_json(config["settings"])
        self.seed = self.settings.seed
        # Named after the batch: a rerun's plugin replaces the one a killed driver left on a cluster that outlives it.
        digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
        self.plugin = daskworker.GradingPlugin(config, f"grader-batch-{digest}")
        self.resources = {"GPU": 1} if self.settings.device == "cuda" else None  # the grading process itself needs CUDA then
        self.client = self.local = None
        self.flying: dict[tuple, tuple[str, dict]] = {}  # a task's Dask key -> (the record's key, its job)
        self.tries: Counter = Counter()
        self.jobs = spec.local or 1  # the most worker slots seen, for the report
        self.retried = self.failed = 0
        self._slots, self._looked = 0, 0.0

    def __enter__(self):
        try:
            if self.spec.local:
                with dask.config.set({**LOCAL_CLUSTER, **daskworker.DASK_CONFIG}), started_in_root():
                    self.local = LocalCluster(
                        n_workers=self.spec.local,
                        threads_per_worker=daskworker.WORKER_OPTIONS["nthreads"],
                        memory_limit=daskworker.WORKER_OPTIONS["memory_limit"],
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        resources=self.resources,
                        plugins={self.plugin},  # set up as each worker starts, before it joins: its grading process starts sooner
                        scheduler_kwargs={"allowed_failures": 0},  # a worker's death comes to the driver at once, counted as a try
                        silence_logs=logging.CRITICAL,  # the driver writes each failed try to batch.log itself
                    )
                self.client = Client(self.local)
            else:
                # Dask's distributed.comm.timeouts.connect (30 s) bounds the wait for a scheduler
                self.client = Client(self.spec.address, scheduler_file=self.spec.scheduler_file)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            said = _("cannot reach the Dask scheduler at {cluster} ({problem}); check the address and that the scheduler runs")
            raise Fatal(said.format(cluster=self.spec, problem=exc), ExitCode.USAGE) from None
        try:
            if self.local is None:
                self.client.register_plugin(self.plugin)
        except Exception as exc:
            self.__exit__()
            said = _("the Dask workers at {cluster} cannot run the kit ({problem}); install the same kit on every worker")
            raise Fatal(said.format(cluster=self.spec, problem=exc), ExitCode.USAGE) from exc
        if not self.client.nthreads():
            click.echo(
                _("Waiting for Dask workers at {cluster}: start them with 'grade worker {cluster}' ...").format(cluster=self.spec), err=True
            )
            self.client.wait_for_workers(1)
        if any(threads > 1 for threads in self.client.nthreads().values()):
            said = _(
                "Some Dask workers at {cluster} run several threads, but a worker grades one student at a time: "
                "start them with 'grade worker {cluster}' (or dask worker --nthreads 1)."
            )
            click.echo(said.format(cluster=self.spec), err=True)
        if self.resources and not any(self._gpus().values()):
            said = _("No Dask worker at {cluster} offers a GPU yet: start one with 'grade worker {cluster} --gpu'.")
            click.echo(said.format(cluster=self.spec), err=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.cancel(list(self.flying))
            if self.local is None:  # stop the grading processes of a cluster that outlives this batch
                with contextlib.suppress(Exception):  # a scheduler already gone must not hide why the batch ended
                    self.client.unregister_worker_plugin(self.plugin.name)
            self.client.close()
        if self.local is not None:
            self.local.close()
            # Its workers were forked by multiprocessing's forkserver, whose socket lives in this process's pymp-* folder;
            # the CLI ends with os._exit, which skips multiprocessing's own clean-up, so the folder would stay in /tmp.
            shutil.rmtree(multiprocessing.util.get_temp_dir(), ignore_errors=True)

    def counts(self) -> str:
        return _("{flying} in flight · {retried} retried · {failed} failed").format(
            flying=len(self.flying), retried=self.retried, failed=self.failed
        )

    def grade(self, entries: list[Entry]) -> Iterator[dict]:
        """The records of ``entries``, in the order they finish; raises Fatal when no student can be graded."""
        waiting = iter(entries)
        finished = as_completed()
        self._fill(waiting, finished)
        for future in finished:
            key, job = self.flying[future.key]
            if future.status != "finished":
                self._failed(future, key, job, finished)
            else:
                answer = future.result()
                del self.flying[future.key]
                future.release()
                self._keep(answer.pop("log", ""))
                if "fatal" in answer:
                    raise Fatal(answer["fatal"], answer["code"])
                self._fill(waiting, finished)
                yield answer["record"]

    def _fill(self, waiting: Iterator[Entry], finished: as_completed) -> None:
        packed = []
        while len(self.flying) + len(packed) < WINDOW * self._slot_count() and (entry := next(waiting, None)) is not None:
            packed.append(packing.pack(entry, self.stems))
        self._submit([(packing.key(job, self.seed), job) for job in packed], finished)

    def _submit(self, tasks: list[tuple[str, dict]], finished: as_completed, *suffix: str) -> None:
        """Submit (key, job) pairs at once, as tasks of one group: Dask queues such a group on the scheduler and hands a
        worker its next task only when it is free, so a worker that dies takes down only the task it was running."""
        if not tasks:
            return
        keys = [(TASK, key, *suffix) for key, _ in tasks]
        plugins, jobs = [self.plugin.name] * len(tasks), [job for _, job in tasks]
        futures = self.client.map(daskworker.grade, plugins, jobs, key=keys, resources=self.resources)
        for future, (key, job) in zip(futures, tasks):
            self.flying[future.key] = (key, job)
        finished.update(futures)

    def _failed(self, future, key: str, job: dict, finished: as_completed) -> None:
        """Retry a task whose grading process or worker died (or that raised); past ATTEMPTS, record its student as grader_error."""
        if future.status == "cancelled":
            said = _("the Dask scheduler at {cluster} dropped the batch's tasks; rerun the same command to grade the rest")
            raise Fatal(said.format(cluster=self.spec), ExitCode.INTERRUPTED)
        error = future.exception()
        self.tries[future.key] += error.allowed_failures + 1 if isinstance(error, KilledWorker) else 1
        tries = self.tries[future.key]
        # batch.log's line per failed try is for the kit's developers: it stays English
        self._keep(f"[{time.strftime('%H:%M:%S')}] {job['student']}: attempt {tries} of {ATTEMPTS} failed: {error}\n")
        if tries < ATTEMPTS:
            self.retried += 1
            future.retry()
            finished.add(future)
            return
        del self.flying[future.key]
        future.release()
        if "refused" in job:
            said = _("no Dask worker could record {student}'s failed grading; see {log}")
            raise Fatal(said.format(student=job["student"], log=self.log_name), ExitCode.INTERNAL)
        self.failed += 1
        note = ngettext(
            "grading this submission failed {count} time, each time its grading process or Dask worker died "
            "(does it kill processes?); it is graded again on a rerun; see {log}",
            "grading this submission failed {count} times, each time its grading process or Dask worker died "
            "(does it kill processes?); it is graded again on a rerun; see {log}",
            tries,
        ).format(count=tries, log=self.log_name)
        # A worker writes the record (it has the checks' catalog); the refused job never runs student code.
        self._submit([(key, packing.refuse(job, StudentStatus.GRADER_ERROR, note))], finished, "refused")

    def _slot_count(self) -> int:
        if time.monotonic() - self._looked > SLOTS_EVERY:
            self._slots, self._looked = sum(self.client.nthreads().values()), time.monotonic()
            self.jobs = max(self.jobs, self._slots)
        return max(1, self._slots)

    def _gpus(self) -> dict[str, float]:
        return {address: info["resources"].get("GPU", 0) for address, info in self.client.scheduler_info()["workers"].items()}

    def _keep(self, text: str) -> None:
        if text:
            self.log.write(text if text.endswith("\n") else text + "\n")
            self.log.flush()
