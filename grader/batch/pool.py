"""Drive ``jobs`` trusted worker processes (:mod:`grader.batch.worker`), each grading one student at a time.

The workers are started by :func:`grader.sandbox.start_worker`, the one place that starts
processes. Each is driven by a thread here that hands it the next student and waits for the
answer. A worker that dies is started again and its student retried once; a student whose
grading kills the worker twice gets a ``crashed`` record, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator

from grader import registry, sandbox
from grader.batch import packing, records
from grader.batch.layouts import Entry
from grader.errors import ExitCode, KitError
from grader.formats import document
from grader.i18n import _
from grader.sandbox import Isolation
from grader.settings import Settings
from grader.status import StudentStatus

MODULE = "grader.batch.worker"


class Fatal(KitError):
    """No student can be graded (MNIST missing, a broken check, no CUDA): stop the batch with ``code``, an ExitCode."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = self.exit_code = ExitCode(code)


class Lost(Exception):
    """The worker process ended without answering."""


class Handle:
    def __init__(self, config: dict, log):
        self.process = sandbox.start_worker(MODULE, json.dumps(config), stderr=log)

    def ask(self, message: dict | None = None) -> dict:
        try:
            if message is not None:
                self.process.stdin.write(json.dumps(message) + "\n")
                self.process.stdin.flush()
            line = self.process.stdout.readline()
        except (OSError, ValueError):  # a broken pipe, or a pipe closed by Pool.close
            raise Lost() from None
        if not line:
            raise Lost()
        return json.loads(line)


class Pool:
    """``with Pool(jobs, config, log) as pool: for record in pool.grade(entries): ...``"""

    def __init__(self, jobs: int, config: dict, log, log_name: str):
        self.jobs, self.config, self.log, self.log_name = jobs, config, log, log_name
        self.handles: list[Handle] = []
        self.lock = threading.Lock()
        self.closing = False
        self.hello: dict | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def grade(self, entries: list[Entry]) -> Iterator[dict]:
        """The records of ``entries``, in the order they finish; raises Fatal when no student can be graded."""
        tasks: queue.Queue = queue.Queue()
        for entry in entries:
            tasks.put(entry)
        results: queue.Queue = queue.Queue()
        for _thread in range(min(self.jobs, len(entries))):
            threading.Thread(target=self._drive, args=(tasks, results), daemon=True).start()
        for _entry in entries:
            while True:
                try:
                    kind, payload = results.get(timeout=0.2)  # a timeout, so that Ctrl-C gets through
                    break
                except queue.Empty:
                    continue
            if kind == "fatal":
                raise Fatal(*payload)
            yield payload

    def _start(self) -> Handle:
        handle = Handle(self.config, self.log)
        with self.lock:
            self.handles.append(handle)
            if self.closing:
                raise Lost()
        hello = handle.ask()
        if "fatal" in hello:
            raise Fatal(hello["fatal"], hello["code"])
        self.hello = hello
        return handle

    def _drive(self, tasks: queue.Queue, results: queue.Queue) -> None:
        handle = None
        try:
            while not self.closing:
                try:
                    entry = tasks.get_nowait()
                except queue.Empty:
                    return
                record, handle = self._grade(entry, handle)
                results.put(("record", record))
        except Fatal as exc:
            results.put(("fatal", (str(exc), exc.code)))
        except Lost:
            if not self.closing:
                said = _("a grading process stopped before it was ready; see {log}").format(log=self.log_name)
                results.put(("fatal", (said, ExitCode.INTERNAL)))
        except Exception as exc:  # noqa: BLE001 - a thread that died silently would leave the batch waiting forever
            said = _("internal error while driving a grading process: {kind}: {problem}").format(kind=type(exc).__name__, problem=exc)
            results.put(("fatal", (said, ExitCode.INTERNAL)))
        finally:
            if handle is not None:
                sandbox.stop_worker(handle.process)  # this thread is done: free the worker's memory now

    def _grade(self, entry: Entry, handle: Handle | None) -> tuple[dict, Handle | None]:
        job = packing.by_path(entry)
        for _attempt in range(2):
            handle = handle or self._start()
            try:
                answer = handle.ask(job)
            except Lost:
                sandbox.stop_worker(handle.process)
                handle = None
                if self.closing:
                    raise
                continue
            if "fatal" in answer:
                raise Fatal(answer["fatal"], answer["code"])
            return answer["record"], handle
        message = _("the grading process died twice while grading this submission (does it kill processes?); see {log}").format(
            log=self.log_name
        )
        return crashed(entry, self.config, self.hello, message), None

    def close(self) -> None:
        """Stop every worker: closing its stdin makes it interrupt its check, clean up and exit."""
        with self.lock:
            self.closing = True
            handles = list(self.handles)
        for handle in handles:
            with contextlib.suppress(OSError):
                handle.process.stdin.close()
        for handle in handles:
            sandbox.stop_worker(handle.process)


def crashed(entry: Entry, config: dict, hello: dict | None, message: str) -> dict:
    """The record of a student whose grading process died under them every time it tried: nothing graded, ``message`` why."""
    settings = Settings.from_json(config["settings"])
    hello = hello or {"catalog": [], "device": settings.device, "isolation": Isolation().document()}
    exercises = [registry.by_stem(stem) for stem in config["exercises"]]
    doc = document.blank(str(entry.path), settings.seed, hello["device"], hello["catalog"], exercises, message, hello["isolation"])
    key = packing.key(packing.pack(entry, config["exercises"]), settings.seed)
    return records.record(doc, entry.student, StudentStatus.CRASHED, message, 0.0, key)
