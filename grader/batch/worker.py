"""A trusted worker of ``grade batch``: ``python -m grader.batch.worker CONFIG`` grades one student per line.

It imports torch and the checks once, then, for each JSON line on stdin (``{"student", "kind",
"path"}``, or a job that carries the files themselves, see :mod:`.packing`), reads that student's files
(:mod:`.layouts`), grades them with :func:`grader.judge.engine.grade` in the sandbox, and answers one JSON
line: ``{"record": ...}``, or ``{"fatal": message, "code": n}`` when no student could be graded
(MNIST missing, a broken check).

It never runs student code itself. When its stdin closes (the batch finished, was interrupted
or was killed) it stops the check in progress, whose sandbox kills the student's processes,
kills whatever else remains below it, and exits: no process outlives the batch.
"""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import queue
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from grader import i18n, registry, sandbox
from grader.batch import layouts, packing, records
from grader.errors import ExitCode, KitError
from grader.formats import document
from grader.i18n import _
from grader.judge import devices
from grader.settings import Settings


class Worker:
    def __init__(self, config: dict):
        self.config = config
        self.settings = Settings.from_json(config["settings"])  # every student's, but for the folder graded
        i18n.use(self.settings.lang)  # before any check builds a message
        self.exercises = [registry.by_stem(stem) for stem in config["exercises"]]
        self.stems = config["exercises"]
        self.busy = False
        self.stopping = False

    def start(self) -> dict:
        from grader.judge import engine

        # Imports torch and the checks here, then forks the zygote off this process: one import, not two.
        engine.warm_up(self.exercises, huge_pages=True, fork=True, hide=self.config.get("hide", ()))
        sandbox.isolation().require(self.settings.require)  # before anyone is graded: the whole batch stops
        if any(e.needs_mnist for e in self.exercises):
            from grader.data import ensure_mnist

            ensure_mnist(self.settings.data_dir)  # missing or damaged data stops the batch, not each student
        import torch

        torch.set_num_threads(self.settings.threads or 1)  # the reference solutions run here, next to the other jobs
        self.catalog = engine.collect(self.exercises)
        self.settings = self.settings.replace(device=devices.resolve(self.settings.device))
        return {"ready": True, "catalog": self.catalog, "device": self.settings.device, "isolation": sandbox.isolation().document()}

    def grade(self, job: dict) -> dict:
        from grader.judge import engine

        began = time.monotonic()
        seed = self.settings.seed
        packed = job if packing.is_packed(job) else packing.pack(packing.entry_of(job), self.stems)
        key = packing.key(packed, seed)
        entry = packing.entry_of(packed)
        with tempfile.TemporaryDirectory(prefix="grade-batch-") as staging:
            try:
                sources = packing.unpack(packed)
            except layouts.BadInput as exc:
                isolation = sandbox.isolation().document()
                doc = document.blank(str(entry.path), seed, self.settings.device, self.catalog, self.exercises, exc.message, isolation)
                return records.record(doc, entry.student, exc.status, exc.message, time.monotonic() - began, key)
            for stem, data in sources.files.items():
                Path(staging, f"{stem}.py").write_bytes(data)
            # Graded from a copy; the document names the student's own folder or zip.
            doc, internal = engine.grade(self.settings.replace(submission=Path(staging), shown_as=str(entry.path)), self.exercises)
        problem = (sources.problem.status, sources.problem.message) if sources.problem else None
        status, note = records.classify(doc, internal, problem)
        note = "; ".join(filter(None, [note, *sources.notes]))
        return records.record(doc, entry.student, status, note, time.monotonic() - began, key)


def _serve(worker: Worker, jobs: queue.Queue, reply) -> None:
    try:
        hello = worker.start()
    except KitError as exc:  # --device cuda without CUDA, MNIST missing, a weaker sandbox: no student could be graded
        reply({"fatal": str(exc), "code": exc.exit_code})
        return
    # Only now: the zygote is forked during start, and must not inherit a thread's half-held locks.
    threading.Thread(target=_read_jobs, args=(worker, jobs), daemon=True).start()
    reply(hello)
    while (line := jobs.get()) is not None:
        worker.busy = True
        if worker.stopping:  # checked after setting busy, as _read_jobs checks busy after setting stopping
            return
        try:
            answer = {"record": worker.grade(json.loads(line))}
        except KitError as exc:
            if worker.stopping:
                return
            answer = {"fatal": str(exc), "code": exc.exit_code}
        finally:
            worker.busy = False
        reply(answer)


def _read_jobs(worker: Worker, jobs: queue.Queue) -> None:
    """Pass stdin's lines on; at its end, interrupt a grading in progress so that its sandbox cleans up now."""
    for line in sys.stdin:
        jobs.put(line)
    worker.stopping = True
    if worker.busy:
        _thread.interrupt_main()
    jobs.put(None)


def main() -> None:
    # Replies go to a private copy of stdout; anything else printed here lands in the batch's log.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    # _read_jobs interrupts a check with SIGINT's handler, which a batch started in the background (nohup, `&`
    # in a script) would have ignored; this process is in its own session, so no terminal's Ctrl-C reaches it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    worker = Worker(json.loads(sys.argv[1]))
    jobs: queue.Queue = queue.Queue()

    def reply(message: dict) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    code = ExitCode.PASSED
    try:
        try:
            _serve(worker, jobs, reply)
        except (KeyboardInterrupt, BrokenPipeError):
            pass
        except Exception as exc:  # noqa: BLE001 - told to the batch, which says where the log is
            if not worker.stopping:
                code = ExitCode.INTERNAL
                traceback.print_exc()
                with contextlib.suppress(Exception):
                    said = _("the grading process failed: {kind}: {problem}").format(kind=type(exc).__name__, problem=exc)
                    reply({"fatal": said, "code": code})
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late interrupt from _read_jobs must not cut the cleanup short
        sandbox.kill_marked(os.environ.get(sandbox.WORKER_MARK, ""))
    sys.stderr.flush()
    os._exit(code)  # skip torch's teardown


if __name__ == "__main__":
    main()
