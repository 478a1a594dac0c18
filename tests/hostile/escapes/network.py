"""make_matrix talks to the test over loopback: a TCP connection, a UDP datagram and an abstract Unix socket.

The test listens on 127.0.0.1 at TARGETS["tcp_port"] and TARGETS["udp_port"], and on the abstract socket
named TARGETS["abstract"]; whatever reaches them got out. The test replaces the TARGETS line.
"""

import socket

TARGETS: dict = {}


def _tcp(message: bytes) -> str:
    with socket.create_connection(("127.0.0.1", TARGETS["tcp_port"]), timeout=3) as conn:
        conn.sendall(message)
    return "connected and sent"


def _udp(message: bytes) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as conn:
        conn.sendto(message, ("127.0.0.1", TARGETS["udp_port"]))
    return "sent"


def _abstract(message: bytes) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(3)
        conn.connect("\0" + TARGETS["abstract"])
        conn.sendall(message)
    return "connected and sent"


def _try(attempt, message: bytes) -> str:
    try:
        return attempt(message)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def make_matrix(rows):
    message = f"{TARGETS['marker']} got out".encode()
    tried = [f"{name}: {_try(attempt, message)}" for name, attempt in (("tcp", _tcp), ("udp", _udp), ("abstract", _abstract))]
    raise RuntimeError(f"network attack: {'; '.join(tried)}")
