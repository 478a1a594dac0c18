"""The sandbox's layers of isolation: which held on this machine, and what a missing one means for a grade.

A run's result document lists the layers that held (``"isolation"``) and why any other did not
(``"isolation_missing"``), so a grade says what it rests on. ``--require-isolation`` turns a
missing layer into an error before any student code runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.errors import UsageProblem
from grader.i18n import N_, _

NAMESPACES, LANDLOCK, RLIMITS, UID = "namespaces", "landlock", "rlimits", "uid"
LAYERS = (NAMESPACES, LANDLOCK, RLIMITS, UID)  # the Linux sandbox's, each of which --require-isolation can ask for
PROCESS = "process"  # the portable runner's one layer: student code in a process of its own, killed at its limits
REQUIRE_ENV = "GRADER_REQUIRE_ISOLATION"
NO_NAMESPACES_ENV = "GRADER_NO_NAMESPACES"  # "1": use the fallback layers, as on a machine that refuses namespaces

# What student code can still do when the layer is missing, said to whoever reads the grade: each a whole clause,
# the {meaning} of the sentences below.
MEANING = {
    NAMESPACES: N_(
        "student code shares this machine's processes, network and /tmp: it could reach the network, "
        "signal processes of this user (the grader among them) and leave processes or files behind"
    ),
    LANDLOCK: N_("without namespaces too, student code can read the reference solutions' files and write wherever this user can"),
    RLIMITS: N_("student code has no cap on memory, processes or file size"),
    UID: N_("student code runs as root"),
}
NOT_HELD = N_("this layer did not hold")  # the meaning of a layer the kit does not know


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
                why = self.missing[layer] if layer in self.missing else _("not available here")
                meaning = _(MEANING[layer]) if layer in MEANING else ""
                raise IsolationError(
                    _("the sandbox here lacks {layer} ({why}), which was required: {meaning}").format(layer=layer, why=why, meaning=meaning)
                )


def parse(text: str | None) -> tuple[str, ...]:
    """Layer names from ``namespaces,landlock`` (or ``all``); raises ValueError naming an unknown one."""
    if not text or not text.strip():
        return ()
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    if "all" in words:
        return (NAMESPACES, LANDLOCK, RLIMITS)
    unknown = [word for word in words if word not in LAYERS]
    if unknown:
        raise ValueError(
            _("unknown isolation layer {layer!r}; choose from {layers}, or all").format(layer=unknown[0], layers=", ".join(LAYERS))
        )
    return tuple(dict.fromkeys(words))


PORTABLE_NOTE = N_("sandbox: portable runner, so this is local feedback; the official grade runs on Linux with every layer of the sandbox")


def notes(doc: dict) -> list[str]:
    """One line per missing layer of a result document, for people: the layer, why, and what it means; one line in all
    for the portable runner, whose missing layers are the point of it."""
    if PROCESS in (doc.get("isolation") or ()):
        return [_(PORTABLE_NOTE)]
    return [
        _("sandbox: no {layer} here ({why}), so {meaning}").format(layer=layer, why=why, meaning=_(MEANING.get(layer, NOT_HELD)))
        for layer, why in (doc.get("isolation_missing") or {}).items()
    ]
