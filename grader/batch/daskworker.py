"""The Dask side of ``grade batch --cluster``: one long-lived grading process per Dask worker, and ``grade worker``.

The driver (:mod:`.cluster`) registers :class:`GradingPlugin` on every Dask worker, those that
join later too. It starts the kit's own grading process, the one ``grade batch --jobs`` uses
(:mod:`.worker`: torch imported once, each check in the sandbox), with
:func:`grader.sandbox.start_worker`, and talks to it through its pipes. A Dask worker is a
daemonic process that runs tasks in a thread pool, and multiprocessing refuses children of
daemons (dask/distributed #2142, #2718), so the sandbox's zygote is never forked from it: it is
forked in that fresh process. A task (:func:`grade`) hands the grading process one packed job
(:mod:`.packing`) and returns its answer, plain data. A grading process that dies is started again
at once, and the task fails for the driver to retry.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import dask
from distributed import Nanny, WorkerPlugin, get_worker

from grader import __version__, i18n, sandbox
from grader.batch import pool
from grader.errors import ExitCode
from grader.i18n import _
from grader.settings import Settings

THREADS = "GRADER_THREADS"  # torch threads of a grading process: set by `grade worker` for the workers it starts
# A kit worker only waits on its grading process's pipe, so Dask's own watching is for dashboards nobody opens: its
# statistical profiler of the worker's threads (every 10 ms), its system monitor (every 0.5 s) and its event-loop tick
# (every 20 ms) cost a worker ~2 % of a core idle, and the driver of a local cluster ~4 %; with these, ~0.3 % and ~0.8 %.
DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}
# Dask's memory limit would watch the worker process, not the grading (the sandbox limits each check itself).
WORKER_OPTIONS = {"nthreads": 1, "memory_limit": 0}  # one student at a time: a worker has one grading process
LOG_CAP = 64 * 1024  # of a grading process's stderr, sent back with each answer for the driver's batch.log
LOG_FILE = "grading-process.log"


class ProcessLost(RuntimeError):
    """The grading process ended while it graded this task's student (the driver retries the task)."""


class GradingPlugin(WorkerPlugin):
    """Keeps one grading process of the kit's on this Dask worker, configured for one batch."""

    def __init__(self, config: dict, name: str):
        self.config, self.name = config, name  # Dask keeps a plugin under its name
        self.version = __version__  # the driver's; checked against the worker's own kit

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():
            # A Ctrl-C in the terminal reaches this worker too; it is the driver's (or grade worker's), which closes this worker.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        i18n.use(Settings.from_json(self.config["settings"]).lang)  # what this worker tells the driver is in the batch's language
        self.lock = threading.Lock()
        self.address = worker.address
        self.closing = False
        # The grading process appends its stderr here; each answer takes what is new (O_APPEND, so reads never move its writes).
        self.log = open(Path(worker.local_directory) / LOG_FILE, "a+b")  # noqa: SIM115 - closed by teardown
        self.sent = 0
        self._start()  # now: it imports torch while the driver submits

    def _start(self) -> None:
        settings = Settings.from_json(self.config["settings"])
        threads = int(os.environ.get(THREADS) or settings.threads or 1)
        config = {**self.config, "settings": settings.replace(threads=threads).to_json()}
        self.handle, self.hello = pool.Handle(config, self.log), None

    def grade(self, job: dict) -> dict:
        """The grading process's answer to ``job``, with what it printed since the last answer under ``"log"``."""
        if self.version != __version__:
            message = _(
                "the Dask worker at {address} has kit {installed} installed and the batch was started with kit {started}; "
                "install the same kit on every worker"
            ).format(address=self.address, installed=__version__, started=self.version)
            return {"fatal": message, "code": ExitCode.USAGE}
        with self.lock:
            try:
                if self.hello is None:
                    self.hello = self.handle.ask()
                answer = self.hello if "fatal" in self.hello else self.handle.ask(job)
            except pool.Lost:
                sandbox.stop_worker(self.handle.process)
                if not self.closing:
                    self._start()
                # the text of a failed try, for batch.log's line (the kit's developers read it): it stays English
                raise ProcessLost(
                    f"the grading process of the Dask worker at {self.address} ended while grading {job['student']}; "
                    f"it printed: {self._new_log()[-2000:] or 'nothing'}"
                ) from None
            return {**answer, "log": self._new_log()}

    def _new_log(self) -> str:
        size = os.fstat(self.log.fileno()).st_size
        data = os.pread(self.log.fileno(), LOG_CAP, max(self.sent, size - LOG_CAP))
        self.sent = size
        return data.decode("utf-8", "replace")

    async def teardown(self, worker) -> None:
        self.closing = True
        # Off the event loop: the grading process gets stop_worker's grace to stop its check and clean up.
        await asyncio.to_thread(sandbox.stop_worker, self.handle.process)
        self.log.close()


def grade(plugin: str, job: dict) -> dict:
    """A Dask task: grade one packed job in this Dask worker's grading process."""
    return get_worker().plugins[plugin].grade(job)


def serve(address: str | None, scheduler_file: str | None, nworkers: int, gpu: bool, threads: int, name: str | None = None) -> None:
    """``grade worker``: ``nworkers`` single-threaded Dask workers (with a nanny each) for the scheduler, until SIGINT or SIGTERM."""
    # A nanny starts its worker as a `python -c`, which has its working directory first on sys.path until it takes this
    # process's path: run from /, as a service is, a json.py or socket.py in the folder it was started in is never imported.
    scheduler_file = os.path.abspath(scheduler_file) if scheduler_file else None
    os.chdir("/")
    asyncio.run(_serve(address, scheduler_file, nworkers, gpu, threads, name))


async def _serve(address: str | None, scheduler_file: str | None, nworkers: int, gpu: bool, threads: int, name: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with dask.config.set(DASK_CONFIG):  # a nanny hands its config on to its worker
        nannies = [
            Nanny(
                address,
                scheduler_file=scheduler_file,
                **WORKER_OPTIONS,
                resources={"GPU": 1} if gpu else None,
                env={THREADS: str(threads)},
                name=f"{name}-{i}" if name and nworkers > 1 else name,
                dashboard=False,
            )
            for i in range(nworkers)
        ]
    await asyncio.gather(*nannies)
    finished = asyncio.ensure_future(asyncio.gather(*(nanny.finished() for nanny in nannies)))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([finished, stopped], return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*(nanny.close(timeout=30) for nanny in nannies), return_exceptions=True)
    stopped.cancel()
