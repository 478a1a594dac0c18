"""Write the student stubs from the reference solutions (``grade generate``), so the two can never drift apart.

Each solution region becomes the stub's body (:mod:`grader.regions`). Notebooks (``grade notebooks``) are
stripped by nbgrader's own ClearSolutions at ``nbgrader generate_assignment``.
"""

from __future__ import annotations

from pathlib import Path

from grader.regions import strip_solutions


def stub_text(solution: Path) -> str:
    return strip_solutions(solution.read_text(encoding="utf-8"), str(solution))


def generate(solutions: Path, exercises: Path, stems) -> list[Path]:
    """Write ``exercises/<stem>.py`` for every stem; return the files that changed."""
    changed = []
    for stem in stems:
        target = exercises / f"{stem}.py"
        text = stub_text(solutions / f"{stem}.py")
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def outdated(solutions: Path, exercises: Path, stems) -> list[Path]:
    """The stubs that differ from what :func:`generate` would write; nothing is written."""
    return [
        exercises / f"{stem}.py"
        for stem in stems
        if not (exercises / f"{stem}.py").is_file()
        or (exercises / f"{stem}.py").read_text(encoding="utf-8") != stub_text(solutions / f"{stem}.py")
    ]


if __name__ == "__main__":  # python -m grader.course.generate: grade generate's work, as grade generate says it
    from grader import registry
    from grader.i18n import _, choose_and_use

    choose_and_use()
    for path in generate(registry.REFERENCE_DIR, registry.STUBS_DIR, [e.stem for e in registry.EXERCISES]):
        print(_("wrote {file}").format(file=path))
