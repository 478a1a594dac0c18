"""``grade gradescope-bundle OUT.zip``: the autograder zip Gradescope builds its image from.

The zip holds the kit's source (grader, solutions, shipped MNIST) with ``setup.sh``, which installs
it once when Gradescope builds the image, and ``run_autograder``, which grades
``/autograder/submission`` for each submission and writes ``/autograder/results/results.json``.
``AUTOGRADER_ROOT`` moves ``/autograder`` elsewhere, so a test can lay out a folder like it.
"""

from __future__ import annotations

import re
import shlex
import zipfile
from pathlib import Path

from grader import registry
from grader.errors import UsageProblem
from grader.i18n import _

ROOT_ENV = "AUTOGRADER_ROOT"
STAMP = (1980, 1, 1, 0, 0, 0)  # fixed times: the same kit gives the same zip

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: install the kit.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
cd "$root/source"
export PIP_BREAK_SYSTEM_PACKAGES=1  # the image's own python3 is the one run_autograder uses
python3 -m pip install -e .
python3 -c "from grader.data import ensure_mnist; ensure_mnist()"  # unpack MNIST now, not per submission
python3 -I -m grader.cli list  # proves the install: imports torch and collects every check
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $root/submission, write $root/results/results.json.
# Exit 0 or 1 from grade means the results are written; 2 or 3 means grading itself failed.
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$root/results"
__ENVIRONMENT__cd "$root/source" || exit 3
python3 -I -m grader.cli run __ARGS__ --submission "$root/submission" --format gradescope > "$root/results/results.json.part"
code=$?
if [ "$code" -gt 1 ]; then
  echo __FAILED__ >&2
  exit "$code"
fi
mv "$root/results/results.json.part" "$root/results/results.json"
"""


class BundleError(UsageProblem):
    """The kit's source is not here to bundle; the message says what to do."""


def sources(kit: Path = registry.KIT_ROOT) -> list[Path]:
    """The kit files the autograder needs, relative to ``kit``: enough to ``pip install -e`` and grade."""
    if not (kit / "pyproject.toml").is_file():
        raise BundleError(
            _("{kit} is not the kit's source folder (no pyproject.toml): run this from a checkout installed with pip install -e").format(
                kit=kit
            )
        )
    found = [Path(name) for name in ("pyproject.toml", "README.md", "LICENSE") if (kit / name).is_file()]
    for package in ("grader", registry.REFERENCE_PACKAGE):
        found += sorted(
            p.relative_to(kit) for p in (kit / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    found += sorted(p.relative_to(kit) for p in (kit / "data").glob("*") if p.suffix == ".gz" or p.name == "README.md")
    return found


def build(out: Path, exercises, options: tuple[str, ...] = (), kit: Path = registry.KIT_ROOT, environment: dict | None = None) -> Path:
    """Write the zip: ``setup.sh`` and ``run_autograder`` at its root, beside the kit's files.
    ``exercises`` are the ones each submission is graded on; ``options`` go to every ``grade`` run, with
    ``environment`` exported (the reveal date of the teacher's hidden checks)."""
    stems = [e.stem for e in exercises] or ["all"]
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in (environment or {}).items())
    run = RUN.replace("__ARGS__", " ".join(shlex.quote(word) for word in [*stems, *options])).replace("__ENVIRONMENT__", exports)
    run = run.replace(
        "__FAILED__", _shell_words(_("run_autograder: grade exited with {code}, so no results.json was written; see the lines above"))
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP), ("run_autograder", run)):
            _add(bundle, name, text.encode(), executable=True)
        for path in sources(kit):
            _add(bundle, path.as_posix(), (kit / path).read_bytes())
    return out


def _shell_words(message: str) -> str:
    """``message`` as one double-quoted shell word, its ``{code}`` the script's ``$code``: the language the bundle
    is built in (a teacher's ``--lang``) is the one its grading speaks, so its one line of its own speaks it too."""
    parts = message.replace("{code}", "\0").split("\0")
    return '"' + "$code".join(re.sub(r'([\\"$`])', r"\\\1", part) for part in parts) + '"'


def _add(bundle: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".gz") else zipfile.ZIP_DEFLATED  # gzip is packed already
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, data)
