"""The sandbox's layers of isolation: which held on this machine, and what a missing one means for a grade.

A run's result document lists the layers that held (``"isolation"``) and why any other did not
(``"isolation_missing"``), so a grade says what it rests on. ``--require-isolation`` turns a
missing layer into an error before any student code runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.errors import UsageProblem

NAMESPACES, LANDLOCK, RLIMITS, UID = "namespaces", "landlock", "rlimits", "uid"
LAYERS = (NAMESPACES, LANDLOCK, RLIMITS, UID)
REQUIRE_ENV = "GRADER_REQUIRE_ISOLATION"
NO_NAMESPACES_ENV = "GRADER_NO_NAMESPACES"  # "1": use the fallback layers, as on a machine that refuses namespaces

# What student code can still do when the layer is missing, said to whoever reads the grade.
MEANING = {
    NAMESPACES: "student code shares this machine's processes, network and /tmp: it could reach the network, "
    "signal processes of this user (the grader among them) and leave processes or files behind",
    LANDLOCK: "without namespaces too, student code can read the reference solutions' files and write wherever this user can",
    RLIMITS: "student code has no cap on memory, processes or file size",
    UID: "student code runs as root",
}


class IsolationError(UsageProblem):
    """The sandbox here is weaker than asked for; the message names the missing layer and why."""


@dataclass(frozen=True)
class Isolation:
    held: tuple[str, ...] = ()
    missing: dict[str, str] = field(default_factory=dict)  # layer -> why it did not hold here

    def document(self) -> dict:
        """The keys a result document carries."""
        return {"isolation": list(self.held), "isolation_missing": dict(self.missing)}

    def require(self, layers) -> None:
        """Raise IsolationError naming the first of ``layers`` that did not hold."""
        for layer in layers:
            if layer not in self.held:
                why = self.missing.get(layer, "not available here")
                raise IsolationError(f"the sandbox here lacks {layer} ({why}), which was required: {MEANING.get(layer, '')}")


def parse(text: str | None) -> tuple[str, ...]:
    """Layer names from ``namespaces,landlock`` (or ``all``); raises ValueError naming an unknown one."""
    if not text or not text.strip():
        return ()
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    if "all" in words:
        return (NAMESPACES, LANDLOCK, RLIMITS)
    unknown = [word for word in words if word not in LAYERS]
    if unknown:
        raise ValueError(f"unknown isolation layer {unknown[0]!r}; choose from {', '.join(LAYERS)}, or all")
    return tuple(dict.fromkeys(words))


def notes(doc: dict) -> list[str]:
    """One line per missing layer of a result document, for people: the layer, why, and what it means."""
    return [
        f"sandbox: no {layer} here ({why}), so {MEANING.get(layer, 'this layer did not hold')}"
        for layer, why in (doc.get("isolation_missing") or {}).items()
    ]
