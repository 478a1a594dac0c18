"""What the hostile tests set up for the attacks in ``tests/hostile/escapes/`` to aim at, and read back from outside.

A :class:`Trap` holds one run's marker, secrets, listeners and paths; the attacks get them as ``TARGETS``.
Evidence never relies on what a child says or writes inside its sandbox: it is what reached the test's own
listeners, files that no child may create or change, processes that carry the marker, and, for secrets,
whether a token shows up in what the run printed or wrote.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from grader.registry import CHECKS_DIR
from tests.helpers import KIT

ESCAPES = Path(__file__).parent / "hostile" / "escapes"
TARGETS_LINE = "TARGETS: dict = {}"
CHECK_FILE = KIT / "grader" / "checks" / "test_exercise1_tensors.py"
SOLUTION = KIT / "solutions" / "exercise1_tensors.py"
# Where an attack may leave files named after its marker: shared temporary folders, the user's home, the kit.
PLACES = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home(), KIT, KIT / "grader" / "checks")
COPIES = [p for p in (Path("/tmp"), Path("/opt"), Path.home(), KIT.parent) if os.access(p, os.W_OK)]  # a careless teacher's copies


def token() -> str:
    """A secret as the read attack looks for it (``HOSTILE-SECRET-`` and 32 hex digits), never written in its code."""
    return f"HOSTILE-SECRET-{uuid.uuid4().hex}"


def attack_source(name: str, targets: dict) -> str:
    """The attack module ``name`` with its ``TARGETS`` filled in."""
    source = (ESCAPES / f"{name}.py").read_text(encoding="utf-8")
    assert source.count(TARGETS_LINE) == 1, f"{name}.py must define {TARGETS_LINE!r} once, for the test to fill in"
    return source.replace(TARGETS_LINE, f"TARGETS: dict = {targets!r}")


def check_hashes() -> dict[str, str]:
    """The sha256 of every file of the checks' source (not an empty one, whose hash is every empty file's)."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(CHECKS_DIR.glob("*.py")) if path.stat().st_size}


def solution_hashes() -> dict[str, str]:
    """The sha256 of every reference solution, as the read attack reports what it managed to read (not the empty
    ``__init__.py``: its hash is every empty file's)."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((KIT / "solutions").glob("exercise*.py"))}


class Listeners:
    """A TCP and a UDP socket on 127.0.0.1 and an abstract Unix socket: no child may reach any of them."""

    def __init__(self, abstract: str):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.abstract = abstract
        self.tcp.bind(("127.0.0.1", 0))
        self.udp.bind(("127.0.0.1", 0))
        self.unix.bind("\0" + abstract)
        for listener in (self.tcp, self.unix):
            listener.listen(16)
        for sock in (self.tcp, self.udp, self.unix):
            sock.setblocking(False)

    def ports(self) -> dict:
        return {"tcp_port": self.tcp.getsockname()[1], "udp_port": self.udp.getsockname()[1], "abstract": self.abstract}

    def arrivals(self) -> list[str]:
        """Each connection or datagram that reached a listener so far, with what it carried."""
        got = []
        for name, listener in (("tcp", self.tcp), ("abstract Unix", self.unix)):
            while True:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    break
                with conn:
                    conn.settimeout(1)
                    data = b""
                    with contextlib.suppress(OSError):
                        data = conn.recv(4096)
                got.append(f"a {name} connection that sent {data!r}")
        got += [f"a udp datagram {datagram!r}" for datagram in iter(self._datagram, None)]
        return got

    def _datagram(self) -> bytes | None:
        try:
            return self.udp.recv(4096)
        except BlockingIOError:
            return None

    def close(self) -> None:
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


def remove(path: Path) -> None:
    """A file, a link or a whole folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _stat(pid: int | str) -> list[bytes]:
    """The fields of /proc/<pid>/stat after the command name: state first, then the parent."""
    return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()


def processes_of(marker: str) -> dict[int, str]:
    """Live processes carrying ``marker`` in their environment, their command line or their name: pid -> "[name] command line"."""
    needle, name = f"HOSTILE_MARKER={marker}".encode(), marker.encode()[:15]
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError, IndexError):
            if _stat(proc.name)[0] in (b"Z", b"X"):
                continue
            cmdline, comm = (proc / "cmdline").read_bytes(), (proc / "comm").read_bytes().strip()
            if marker.encode() in cmdline or comm == name or needle in (proc / "environ").read_bytes():
                command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
                found[int(proc.name)] = f"[{comm.decode(errors='replace')}] {command}"
    return found


def kill_marked(marker: str) -> None:
    """SIGKILL, by pid, every process that carries ``marker``: only the test's own run can carry it."""
    for _ in range(10):
        found = processes_of(marker)
        if not found:
            return
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def own_unix_sockets() -> list[str]:
    """Named and abstract (``@name``) Unix sockets held by this process's descendants: today the sandbox's
    forkserver listens on a named one; the process that makes children should hold none."""
    bound = {}
    for row in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = row.split()
        if len(fields) > 7:
            bound[fields[6]] = fields[7]
    parents = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(proc.name)] = int(_stat(proc.name)[1])
    below, grew = {os.getpid()}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in below and pid not in below:
                below.add(pid)
                grew = True
    found = set()
    for pid in below - {os.getpid()}:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in bound:
                        found.add(bound[link[8:-1]])
    return sorted(found)


@dataclass
class Evidence:
    """What the test saw from outside right after a run, before it cleaned up."""

    survivors: dict[int, str]  # pid -> "[name] command line" of the run's processes still alive
    planted: dict[str, list[str]]  # "write" or "litter" -> files named after the marker outside any sandbox
    changed: list[str]  # files the attacks append to that changed, and gradebook files holding the ink
    arrivals: list[str]  # what reached the listeners
    escaped: str | None  # what the forkserver's payload wrote, if it ran
    tmp_left: list[str]  # what the judge left in its TMPDIR


class Trap:
    """One run's marker, secrets, listeners and paths: what its attacks aim at (:meth:`targets`) and what the test checks."""

    def __init__(self, root: Path, classmate: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.marker = f"hostile{uuid.uuid4().hex[:8]}"  # 15 characters: a whole process name (PR_SET_NAME)
        self.tmpdir = root / "tmp"  # the judge's TMPDIR, where the judge is a subprocess
        self.tmpdir.mkdir()
        self.escape_file = root / "unpickled-by-the-forkserver"
        self.secrets = {"judge": token(), "classmate": token(), "out": token(), "credential": token()}
        self.ink = f"HOSTILE-INK-{uuid.uuid4().hex}"  # what the write attack writes; it must land nowhere (no secret: never searched)
        self.classmate = classmate  # another student's file, holding a secret
        classmate.parent.mkdir(parents=True, exist_ok=True)
        classmate.write_text(f"{SOLUTION.read_text(encoding='utf-8')}\n# {self.secrets['classmate']}\n", encoding="utf-8")
        self.out: Path | None = None  # a batch's --out
        self.listeners = Listeners(self.marker)
        self.before = {path: path.read_bytes() for path in (CHECK_FILE, classmate)}

    def environment(self) -> dict[str, str]:
        """For a judge run as a subprocess: the marker its processes inherit, a secret, and a fresh TMPDIR."""
        return {"HOSTILE_MARKER": self.marker, "HOSTILE_JUDGE_SECRET": self.secrets["judge"], "TMPDIR": str(self.tmpdir)}

    def plant_out(self, out: Path) -> None:
        """Make ``out`` a batch's --out holding a secret."""
        self.out = out
        out.mkdir(parents=True)
        (out / "notes-for-the-teacher.txt").write_text(self.secrets["out"], encoding="utf-8")

    def copies(self) -> list[Path]:
        """Copies of the reference solutions and a credential file outside the kit, where a teacher may leave them."""
        found = []
        for folder in (place / f"{self.marker}-copy" for place in COPIES):
            folder.mkdir(exist_ok=True)
            for solution in (KIT / "solutions").glob("exercise*.py"):
                shutil.copyfile(solution, folder / solution.name)
            (folder / ".netrc").write_text(f"machine example.org password {self.secrets['credential']}\n", encoding="utf-8")
            found += [folder / "*.py", folder / ".netrc"]
        return found

    def targets(self, socket_prefixes: list[str]) -> dict:
        m, home = self.marker, Path.home()
        create = [folder / f"{m}-write.txt" for folder in (KIT / "grader" / "checks", KIT, home, Path("/tmp"))]
        append = [CHECK_FILE, self.classmate]
        read = [self.classmate, KIT / "solutions" / "*.py", self.tmpdir / "*" / "*.py"]  # the last: a batch worker's copies
        read += [KIT / "grader" / "checks" / "*.py", KIT / "tests" / "*.py", KIT / "pyproject.toml", *self.copies()]
        if self.out:
            create += [self.out / f"{m}-write.txt", self.out / "feedback" / f"{m}-write.md"]
            append += [self.out / "results.jsonl"]
            read += [self.out / "*", self.out / "feedback" / "*"]
        return {
            "marker": m,
            "stop_at": os.getpid(),
            "socket_prefixes": socket_prefixes,
            "escape_file": str(self.escape_file),
            "ink": self.ink,
            "create": [str(p) for p in create],
            "append": [str(p) for p in append],
            "read": [str(p) for p in read],
            **self.listeners.ports(),
        }

    def planted(self, kind: str) -> list[str]:
        places = [*PLACES, self.tmpdir, *([self.out, self.out / "feedback"] if self.out else [])]
        return sorted({path for place in places for path in glob.glob(str(place / f"{self.marker}-{kind}*"))})

    def leaked(self, text: str) -> dict[str, str]:
        """Which of the planted secrets ``text`` holds."""
        return {name: secret for name, secret in self.secrets.items() if secret in text}

    def collect(self, settle: float = 0.5) -> Evidence:
        time.sleep(settle)  # an escaped process has long set itself up by now
        changed = [str(path) for path, data in self.before.items() if not path.exists() or path.read_bytes() != data]
        if self.out:
            changed += [str(p) for p in sorted(self.out.rglob("*")) if p.is_file() and self.ink.encode() in p.read_bytes()]
        return Evidence(
            survivors=processes_of(self.marker),
            planted={kind: self.planted(kind) for kind in ("write", "litter")},
            changed=changed,
            arrivals=self.listeners.arrivals(),
            escaped=self.escape_file.read_text() if self.escape_file.exists() else None,
            tmp_left=sorted(p.name for p in self.tmpdir.iterdir()),
        )

    def clean(self) -> None:
        """Undo whatever the attacks managed: kill the run's processes, remove and restore files."""
        kill_marked(self.marker)
        for path in map(Path, self.planted("*")):
            remove(path)
        for place in COPIES:
            remove(place / f"{self.marker}-copy")
        for path, data in self.before.items():
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
        self.escape_file.unlink(missing_ok=True)
        for left in self.tmpdir.iterdir():
            remove(left)

    def close(self) -> None:
        self.clean()
        self.listeners.close()
