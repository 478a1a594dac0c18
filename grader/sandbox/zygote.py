"""The zygote: the one process that forks sandbox children, reachable only through the grader's socketpair.

It imports torch and the checks once, so that a child is a cheap fork of it (~10 ms instead of a
2 s ``import torch``), and it never runs a parallel op or touches a GPU, so OpenMP and CUDA work
in its children. There is nothing to connect to: no listening socket, no name in the file system
or the abstract socket namespace; the grader holds the other end of the one socket it reads.

Where the kernel allows unprivileged user namespaces, it first enters a user, a PID and a network
namespace of its own (so it is PID 1 of a namespace holding every child: when it ends, they all
do), after a dry run in a throwaway process has shown that every layer holds. Then each child
gets a PID namespace of its own under a tiny init (``sleep``), whose death ends everything the
child started, and builds its mount and IPC namespaces itself (:mod:`.child`). Where namespaces
are refused, children are plain forks, and the grader sweeps what they leave by the mark in
their environment (:mod:`.sweep`).

The protocol, one message at a time, the grader waiting for each answer:
    grader: b"child" with (task_r, result_w, out_w, err_w, status_w)
    zygote: b"ok" with pidfds of the child and of its init (the init only with namespaces), or b"error ..."
The zygote writes each child's wait status (4 bytes) to its status_w when it has reaped it.
Its first message, unasked, is b"ready " + JSON: its pid and the isolation it achieved.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import traceback

from grader.i18n import _
from grader.sandbox import child, confine, frames, layers, mounts
from grader.sandbox.syscalls import CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER, die_with_parent, map_user, setns, unshare

MAX_FDS = 8


def serve(control: socket.socket, config: dict, forked: bool):
    """Be the zygote until the grader closes its end; never returns."""
    try:
        speak_the_runs_language()
        zygote = Zygote(control, config)
        zygote.start(forked)
        zygote.loop()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the grader has gone (it stopped before it needed a child): nothing to say
    except BaseException:  # noqa: BLE001 - the grader sees the socket close and says the sandbox failed
        traceback.print_exc()
    finally:
        os._exit(0)  # no interpreter teardown: torch's takes ~0.5 s, and nothing here needs saving


def speak_the_runs_language() -> None:
    """Texts a child builds (a banned call's message) in the run's language: the judge puts it in the zygote's environment."""
    from grader import i18n

    if os.environ.get(i18n.ENV) in i18n.LANGUAGES:
        i18n.use(os.environ[i18n.ENV])


class Zygote:
    def __init__(self, control: socket.socket, config: dict):
        self.control, self.config = control, config
        self.children: dict[int, int] = {}  # pid -> its status_w, until it is reaped
        self.inits: set[int] = set()
        self.own_pid_namespace: int | None = None  # to return to after each child's PID namespace
        self.wake_r = self.wake_w = -1
        self.selector: selectors.BaseSelector | None = None
        self.context = child.Context(namespaces=False)
        self.sleep = shutil.which("sleep") or "/bin/sleep"

    # -- start

    def start(self, forked: bool) -> None:
        from grader import registry

        os.chdir("/")
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when its children stop, not a terminal's Ctrl-C
        die_with_parent(signal.SIGKILL)
        context = self.context
        context.solutions = child.package_folders()
        context.private = [os.path.realpath(path) for path in self.config.get("hide", [])]
        context.allowed, context.kit_secrets = mounts.allowed(str(registry.KIT_ROOT)), [str(registry.CHECKS_DIR)]
        context.listed = mounts.listed(str(registry.KIT_ROOT))
        context.landlock = confine.available()
        isolation = {"held": [], "missing": {}}
        why = (
            _("turned off ({setting})").format(setting=f"{layers.NO_NAMESPACES_ENV}=1")
            if not self.config.get("namespaces", True)
            else self.dry_run().get("why")
        )
        if why is None:
            why = self.enter_namespaces()
        if why is None:
            context.namespaces = True
            isolation["held"].append(layers.NAMESPACES)
        else:
            isolation["missing"][layers.NAMESPACES] = why
        self.fallback_layers(isolation)
        if not forked:
            for name in self.config.get("preload", []):
                importlib.import_module(name)
        child.before_children()  # after every import: the children's view of torch and of sys.modules
        if self.config.get("huge_pages"):
            from grader.sandbox import hugepages

            hugepages.collapse()
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wakeup pipe hears of each exit
        self.control.sendmsg([b"ready " + json.dumps({"pid": os.getpid(), "isolation": isolation}).encode()])

    def fallback_layers(self, isolation: dict) -> None:
        """Landlock, the limits and, as root without namespaces, the switch to nobody."""
        context, root = self.context, os.geteuid() == 0
        if context.landlock:
            isolation["held"].append(layers.LANDLOCK)
        else:
            isolation["missing"][layers.LANDLOCK] = _("this kernel has no Landlock (Linux 5.13+)")
        if context.namespaces:
            capped = self.config.get("process_cap", True)
        else:
            unreadable = [] if not root else unreadable_to_nobody([sys.executable, *context.allowed])
            context.switch_uid = root and not unreadable
            if root and unreadable:
                isolation["missing"][layers.UID] = _("{path} cannot be read by an unprivileged user").format(path=unreadable[0])
            elif root:
                isolation["held"].append(layers.UID)
            context.processes_before = tasks_of(child.NOBODY if context.switch_uid else os.getuid())
            capped = not root or context.switch_uid
        if capped:
            isolation["held"].append(layers.RLIMITS)
        else:
            isolation["missing"][layers.RLIMITS] = _(
                "no cap on processes: root is exempt from RLIMIT_NPROC, and pid_max is not per namespace before Linux 6.14"
            )

    def dry_run(self) -> dict:
        """Build a whole child's sandbox in a throwaway process: what it found, ``why`` None if every step held, else the
        first refusal (and ``process_cap``, ``file_cap``: whether those limits are the child's)."""
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            found = {"why": None}
            try:
                found = self._dry_run_inner()
            except BaseException as exc:  # noqa: BLE001 - any refusal is the answer
                found = {"why": str(exc) or type(exc).__name__}
            with os.fdopen(report_w, "w") as out:
                json.dump(found, out)
            os._exit(0)
        os.close(report_w)
        with os.fdopen(report_r) as report:
            text = report.read()
        os.waitpid(pid, 0)
        try:
            found = json.loads(text)
        except ValueError:
            return {"why": _("the dry run of the namespaces died")}
        self.config["process_cap"] = found.get("process_cap", False) or os.geteuid() != 0
        return found

    def _dry_run_inner(self) -> dict:
        why = self.enter_namespaces()
        if why:
            return {"why": why}
        self.context.namespaces = True
        probe_r, probe_w = os.pipe()
        pid, init = self.spawn(lambda: child.probe(probe_w, self.context), keep=probe_w)
        os.close(probe_w)
        with os.fdopen(probe_r) as report:
            text = report.read()
        os.waitpid(pid, 0)
        os.kill(init, signal.SIGKILL)
        os.waitpid(init, 0)
        return json.loads(text) if text else {"why": _("the dry run's child died before it reported")}

    def enter_namespaces(self) -> str | None:
        """Enter a user, a PID and a network namespace; return in the process that is PID 1 there.

        The process that unshared stays outside, as the inner one's parent: it waits for it and
        ends with it. Returns why not, where the kernel refuses.
        """
        try:
            if not hasattr(os, "pidfd_open") or not os.path.exists(self.sleep):
                return _("this Python or system lacks pidfd_open or a sleep program for a namespace's init")
            uid, gid = os.geteuid(), os.getegid()
            unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
            map_user("self", uid, gid)
        except OSError as exc:
            return _("the kernel refused: {problem}").format(problem=exc.strerror or exc)
        inner = os.fork()
        if inner:
            _outside(inner)
        die_with_parent(signal.SIGKILL)
        self.own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        return None

    # -- children

    def spawn(self, run, keep: int = -1) -> tuple[int, int | None]:
        """Fork a child that calls ``run()``; with namespaces, as PID 2 of a PID namespace of its own under a tiny init."""
        if not self.context.namespaces:
            pid = os.fork()
            if pid == 0:
                self._become_child(run, keep)
            return pid, None
        unshare(CLONE_NEWPID)
        try:
            quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
            init = os.posix_spawn(self.sleep, ["sleep", "infinity"], {}, file_actions=quiet, setsid=True)
            try:
                pid = os.fork()
            except OSError:
                os.kill(init, signal.SIGKILL)
                raise
            if pid == 0:
                self._become_child(run, keep)
        finally:
            setns(self.own_pid_namespace, CLONE_NEWPID)
        return pid, init

    def _become_child(self, run, keep: int):
        """In the new child: drop every descriptor of the zygote's but ``keep``, then run; never return."""
        try:
            self.control.close()
            if self.selector is not None:
                self.selector.close()
            for fd in (self.wake_r, self.wake_w, self.own_pid_namespace, *self.children.values()):
                if fd not in (-1, None, keep):
                    os.close(fd)
            run()
        except BaseException:  # noqa: BLE001 - the grader reads a dead child as a crash
            traceback.print_exc()
        finally:
            os._exit(70)

    def loop(self) -> None:
        """Answer the grader and reap children until the grader closes its end (then every child ends too)."""
        with selectors.DefaultSelector() as self.selector:
            self.selector.register(self.control, selectors.EVENT_READ)
            self.selector.register(self.wake_r, selectors.EVENT_READ)
            while True:
                for key, _events in self.selector.select():
                    if key.fileobj is self.control:
                        try:
                            message, fds, _flags, _address = socket.recv_fds(self.control, 1024, MAX_FDS)
                        except OSError:
                            return
                        if not message:
                            return
                        self.answer(message, fds)
                self.reap()

    def answer(self, message: bytes, fds: list[int]) -> None:
        if message != b"child" or len(fds) != 5:
            for fd in fds:
                os.close(fd)
            self.control.sendmsg([b"error unknown request"])
            return
        for fd in fds:  # received without close-on-exec: no exec'd process (an init, a student's subprocess) may hold them
            os.set_inheritable(fd, False)
        task_r, result_w, out_w, err_w, status_w = fds

        def run():
            os.close(status_w)  # the zygote's alone: a child that held it could forge its own wait status
            child.main(task_r, result_w, out_w, err_w, self.context)

        try:
            pid, init = self.spawn(run, keep=-1)
        except OSError as exc:
            os.close(status_w)
            self.control.sendmsg([f"error {exc}".encode()])
            return
        finally:
            for fd in (task_r, result_w, out_w, err_w):
                os.close(fd)
        self.children[pid] = status_w
        if init is not None:
            self.inits.add(init)
        pidfds = [os.pidfd_open(p) for p in (pid, init) if p is not None] if hasattr(os, "pidfd_open") else []
        try:
            socket.send_fds(self.control, [b"ok %d" % pid], pidfds)
        finally:
            for fd in pidfds:
                os.close(fd)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            status_w = self.children.pop(pid, None)
            if status_w is not None:
                with contextlib.suppress(OSError):  # the grader has stopped listening
                    os.write(status_w, frames.STATUS.pack(status))
                os.close(status_w)
            self.inits.discard(pid)
        if self.wake_r != -1:
            with contextlib.suppress(BlockingIOError):
                while os.read(self.wake_r, 512):
                    pass


def _outside(inner: int):
    """The process that made the namespaces: the inner zygote's parent, which ends when it does."""
    try:
        die_with_parent(signal.SIGKILL)
        _pid, status = os.waitpid(inner, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    finally:
        os._exit(1)


def unreadable_to_nobody(paths) -> list[str]:
    """The paths (or a folder above one) that a user with no rights of its own could not read or enter."""
    found = []
    for path in paths:
        path = os.path.realpath(path)
        while True:
            try:
                mode = os.stat(path).st_mode
            except OSError:
                break
            if not mode & (0o001 if os.path.isdir(path) else 0o004):
                found.append(path)
                break
            if path == "/":
                break
            path = os.path.dirname(path)
    return found


def tasks_of(uid: int) -> int:
    """How many processes and threads ``uid`` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


if __name__ == "__main__":  # python -m grader.sandbox.zygote FD CONFIG: the grader's spawned zygote
    serve(socket.socket(fileno=int(sys.argv[1])), json.loads(sys.argv[2]), forked=False)
