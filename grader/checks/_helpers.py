"""What several exercises' checks share: one home for each, instead of one check file importing another."""

from __future__ import annotations

import contextlib
import re

from grader.checking.compare import fail
from grader.i18n import _


def preload_torch_dynamo() -> None:
    """Import torch._dynamo now, where a check module loads: torch.optim imports it when the first optimizer is
    built (2 s or more), and the zygote preloads check modules, so its children get it for free. An optimisation
    alone, on a private module: where a torch release drops it, grading goes on without."""
    with contextlib.suppress(ImportError):
        import torch._dynamo  # noqa: F401


def probe_error(module, name, *args):
    """Call a function that should raise, and return what it raised as data."""
    try:
        value = getattr(module, name)(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the check wants to see any exception
        return {"type": type(exc).__name__, "message": str(exc)}
    return {"type": None, "returned": type(value).__name__}


def expect_error_naming(got: dict, numbers, call: str) -> None:
    """The message must hold every number asked for; its spelling is the student's own."""
    if got["type"] is None:
        fail(_("{call} returned {kind}; expected it to raise ValueError").format(call=call, kind=got["returned"]))
    if got["type"] != "ValueError":
        fail(_("{call} raised {kind}; expected it to raise ValueError").format(call=call, kind=got["type"]))
    found = re.findall(r"\d+", got["message"])
    missing = [n for n in numbers if str(n) not in found]
    if missing:
        fail(
            _("{call} raised ValueError({message}), but the message does not mention {missing}").format(
                call=call, message=repr(got["message"]), missing=", ".join(map(str, missing))
            )
        )


def wrong_map_location(call: str, location, device: str) -> str:
    """The message for a torch.load given another map_location than the device: exercises 6 and 7 both check it."""
    return _("{call} called torch.load with map_location={location}; expected map_location=device, here {device}").format(
        call=call, location=location, device=device
    )
