"""A trusted worker of ``grade batch``: ``python -m grader.batch.worker CONFIG`` grades one student per line.

It imports torch and the checks once, then, for each JSON line on stdin (``{"student", "kind",
"path"}``, or a job that carries the files themselves, see :mod:`.packing`), reads that student's files
(:mod:`.layouts`), grades them with :func:`grader.engine.grade` in the sandbox, and answers one JSON
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

import click

from grader import registry, sandbox
from grader.batch import layouts, packing, records


class Worker:
    def __init__(self, config: dict):
        self.config = config
        self.exercises = [registry.by_stem(stem) for stem in config["exercises"]]
        self.stems = config["exercises"]
        self.titles = {e.stem: e.title for e in self.exercises}
        self.busy = False
        self.stopping = False

    def start(self) -> dict:
        from grader import engine

        # Imports torch and the checks here, then forks the forkserver off this process: one import, not two.
        engine.warm_up(self.exercises, huge_pages=True, fork=True)
        if any(e.needs_mnist for e in self.exercises):
            from grader.data import ensure_mnist

            ensure_mnist(self.config["data_dir"])  # missing or damaged data stops the batch, not each student
        import torch

        torch.set_num_threads(self.config["threads"])  # the reference solutions run here, next to the other jobs
        self.catalog = engine.collect(self.exercises)
        self.device = self._device(self.config["device"])
        return {"ready": True, "catalog": self.catalog, "device": self.device}

    def _device(self, choice: str) -> str:
        from grader.cli import resolve_device

        return resolve_device(choice)

    def grade(self, job: dict) -> dict:
        from grader import engine
        from grader.plugin import Settings

        began = time.monotonic()
        c = self.config
        packed = job if packing.is_packed(job) else packing.pack(packing.entry_of(job), self.stems)
        key = packing.key(packed, c["seed"])
        entry = packing.entry_of(packed)
        with tempfile.TemporaryDirectory(prefix="grade-batch-") as staging:
            try:
                sources = packing.unpack(packed)
            except layouts.BadInput as exc:
                doc = records.blank(str(entry.path), c["seed"], self.device, self.catalog, self.stems, self.titles, exc.message)
                return records.record(doc, entry.student, exc.status, exc.message, time.monotonic() - began, key)
            for stem, data in sources.files.items():
                Path(staging, f"{stem}.py").write_bytes(data)
            settings = Settings(
                submission=Path(staging),
                seed=c["seed"],
                device=self.device,
                timeout_scale=c["timeout_scale"],
                memory=c["memory"],
                data_dir=Path(c["data_dir"]) if c["data_dir"] else None,
                threads=c["threads"],
            )
            doc, internal = engine.grade(settings, self.exercises)
        doc = _replace_path(doc, staging, str(entry.path))
        problem = (sources.problem.status, sources.problem.message) if sources.problem else None
        status, note = records.classify(doc, internal, problem)
        note = "; ".join(filter(None, [note, *sources.notes]))
        return records.record(doc, entry.student, status, note, time.monotonic() - began, key)


def _replace_path(doc: dict, staging: str, original: str) -> dict:
    """The document names the student's own folder or zip, not the temporary copy it was graded in."""
    text = json.dumps(doc).replace(json.dumps(staging)[1:-1], json.dumps(original)[1:-1])
    return json.loads(text)


def _serve(worker: Worker, jobs: queue.Queue, reply) -> None:
    from grader import engine
    from grader.data import DataError

    try:
        hello = worker.start()
    except (click.UsageError, DataError) as exc:  # --device cuda without CUDA, say: no student could be graded
        reply({"fatal": exc.format_message() if isinstance(exc, click.UsageError) else str(exc), "code": 2})
        return
    # Only now: the forkserver is forked during start, and must not inherit a thread's half-held locks.
    threading.Thread(target=_read_jobs, args=(worker, jobs), daemon=True).start()
    reply(hello)
    while (line := jobs.get()) is not None:
        worker.busy = True
        if worker.stopping:  # checked after setting busy, as _read_jobs checks busy after setting stopping
            return
        try:
            answer = {"record": worker.grade(json.loads(line))}
        except (DataError, engine.GraderError) as exc:
            if worker.stopping:
                return
            answer = {"fatal": str(exc), "code": 2 if isinstance(exc, DataError) else 3}
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

    code = 0
    try:
        try:
            _serve(worker, jobs, reply)
        except (KeyboardInterrupt, BrokenPipeError):
            pass
        except Exception as exc:  # noqa: BLE001 - told to the batch, which says where the log is
            if not worker.stopping:
                code = 3
                traceback.print_exc()
                with contextlib.suppress(Exception):
                    reply({"fatal": f"the grading process failed: {type(exc).__name__}: {exc}", "code": 3})
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late interrupt from _read_jobs must not cut the cleanup short
        sandbox.kill_marked(os.environ.get(sandbox.WORKER_MARK, ""))
    sys.stderr.flush()
    os._exit(code)  # skip torch's teardown


if __name__ == "__main__":
    main()
