"""Find the students in a folder of submissions and read their exercise files safely.

Three layouts are recognised: one folder per student, one ``.zip`` per student (both may be
mixed), and nbgrader's ``submitted/<student>/<assignment>/`` tree. Inside a student's folder or
zip, ``<stem>.py`` (or a notebook ``<stem>.ipynb``) is found at any depth, ``exercises/`` first.

Nothing from a zip is ever extracted under its own name: only the exercise files are read,
into memory, with caps on sizes and ratios, so paths with ``..``, absolute paths, links and
bombs cannot reach the disk. Every problem with one student's files is a :class:`BadInput`
(or a note next to the files that were fine) for that student alone.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader import source
from grader.errors import UsageProblem
from grader.i18n import _, ngettext, some_of
from grader.source import MiB

MAX_ZIP = 512 * MiB  # one student's .zip on disk
MAX_UNPACKED = 256 * MiB  # everything one zip says it holds
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
MAX_MEMBERS = 20_000  # files in one zip or one student folder
MAX_DEPTH = 6
SKIPPED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "node_modules", ".venv", "venv"}


class LayoutError(UsageProblem, ValueError):
    """SUBMISSIONS cannot be read as a class; the message says what to pass instead."""


class BadInput(Exception):
    """One student's submission cannot be graded at all: ``status`` for the gradebook, ``message`` for people."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Entry:
    student: str
    kind: str  # "folder" or "zip"
    path: Path


@dataclass
class ClassLayout:
    kind: str
    root: Path
    entries: list[Entry]
    ignored: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The layout for people."""
        folders, zips = (sum(e.kind == kind for e in self.entries) for kind in ("folder", "zip"))
        if self.kind == "folders":
            said = ngettext("one folder per student ({count} student)", "one folder per student ({count} students)", folders)
            text = said.format(count=folders)
        elif self.kind == "zips":
            text = ngettext("one .zip per student ({count} student)", "one .zip per student ({count} students)", zips).format(count=zips)
        elif self.kind == "mixed":
            # two counts, each with its own plural form, in one sentence
            text = _("one folder or .zip per student ({folders}, {zips})").format(
                folders=ngettext("{count} folder", "{count} folders", folders).format(count=folders),
                zips=ngettext("{count} zip", "{count} zips", zips).format(count=zips),
            )
        else:
            count = len(self.entries)
            said = ngettext(
                "nbgrader's submitted/<student>/<assignment>/ ({count} student)",
                "nbgrader's submitted/<student>/<assignment>/ ({count} students)",
                count,
            )
            text = said.format(count=count)
        if self.ignored:
            count = len(self.ignored)
            said = ngettext("{layout}; ignored {count} other file: {names}", "{layout}; ignored {count} other files: {names}", count)
            text = said.format(layout=text, count=count, names=", ".join(self.ignored[:5]))
        return text


@dataclass
class Sources:
    """The exercise files of one student: ``files`` maps a stem to its source bytes."""

    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    problem: BadInput | None = None  # a file that could not be used, though others were


def discover(root: Path) -> ClassLayout:
    """The students under ``root``, sorted by id."""
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".zip":
        said = _("{root} is one zip file; put one .zip or folder per student in a folder and pass that folder")
        raise LayoutError(said.format(root=root))
    if not root.is_dir():
        raise LayoutError(_("{root} is not a folder; pass the folder that holds one folder or .zip per student").format(root=root))
    if (root / "submitted").is_dir():
        root = root / "submitted"
    nbgrader = root.name == "submitted"
    entries, ignored, folders = [], [], set()
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name in SKIPPED_DIRS:
            continue
        if path.is_dir():
            entries.append(Entry(path.name, "folder", path))
            folders.add(path.name)
        elif path.is_file() and path.suffix.lower() == ".zip" and not nbgrader:
            entries.append(Entry(path.stem, "zip", path))
        else:
            ignored.append(path.name)
    # a zip named like a folder keeps its suffix, so that no two students share an id
    entries = [Entry(e.path.name, e.kind, e.path) if e.kind == "zip" and e.student in folders else e for e in entries]
    if not entries:
        if any(name.endswith(".py") for name in ignored):
            raise LayoutError(
                _(
                    "{root} holds .py files itself, like one student's submission; grade it with "
                    "'grade all --submission {root}', or pass the folder that holds one folder or .zip per student"
                ).format(root=root)
            )
        raise LayoutError(_("{root} holds no student folders or .zip files; pass the folder that holds one per student").format(root=root))
    kinds = {e.kind for e in entries}
    kind = "nbgrader" if nbgrader else "mixed" if len(kinds) == 2 else f"{kinds.pop()}s"
    return ClassLayout(kind, root, sorted(entries, key=lambda e: e.student), ignored)


def read_sources(entry: Entry, stems: list[str]) -> Sources:
    """The files of ``stems`` in one student's folder or zip; raises BadInput when none can be used."""
    reader = _read_zip if entry.kind == "zip" else _read_folder
    return reader(entry.path, stems)


def _preference(path: PurePosixPath):
    """``exercises/<stem>.py`` first (as ``grade`` looks), then the shallowest, then by name."""
    return (path.suffix != ".py", path.parent.name != "exercises", len(path.parts), str(path))


def _choose(names: list[PurePosixPath], stems: list[str], zip_name: str | None) -> tuple[dict[str, PurePosixPath], list[str]]:
    """The file graded for each stem, and a note per stem that had several; ``zip_name``: None for a folder."""
    chosen, notes = {}, []
    for stem in stems:
        found = sorted((n for n in names if n.name in (f"{stem}.py", f"{stem}.ipynb")), key=_preference)
        if found:
            chosen[stem] = found[0]
            if len(found) > 1:
                if zip_name is None:
                    said = ngettext(
                        "{count} file for {stem} in the folder; graded {file}",
                        "{count} files for {stem} in the folder; graded {file}",
                        len(found),
                    )
                else:
                    said = ngettext(
                        "{count} file for {stem} in {zip}; graded {file}", "{count} files for {stem} in {zip}; graded {file}", len(found)
                    )
                notes.append(said.format(count=len(found), stem=stem, zip=zip_name, file=found[0]))
    return chosen, notes


def _nothing_found(names: list[PurePosixPath], stems: list[str]) -> BadInput:
    shown = some_of([str(n) for n in names], 6)
    wanted = ", ".join(f"{s}.py" for s in stems)
    said = _("no exercise file found (looked for {wanted}); found {found}")
    return BadInput("no_exercise_files", said.format(wanted=wanted, found=shown))


def _finish(files: dict[str, bytes], problems: list[BadInput], notes: list[str]) -> Sources:
    if not files:
        first = problems[0]
        raise BadInput(first.status, "; ".join(p.message for p in problems))
    problem = None
    if problems:
        problem = BadInput(problems[0].status, "; ".join(p.message for p in problems))
    return Sources(files, notes, problem)


def _read_folder(root: Path, stems: list[str]) -> Sources:
    names = []
    try:
        for folder, dirs, files in os.walk(root, onerror=_raise):
            depth = len(Path(folder).relative_to(root).parts)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS and depth < MAX_DEPTH)
            names += [PurePosixPath(Path(folder, f).relative_to(root).as_posix()) for f in sorted(files) if not f.startswith(".")]
            if len(names) > MAX_MEMBERS:
                said = ngettext("the folder holds more than {count} file", "the folder holds more than {count} files", MAX_MEMBERS)
                raise BadInput("too_large", said.format(count=MAX_MEMBERS))
    except OSError as exc:
        raise BadInput("unreadable", _("the folder cannot be read: {problem}").format(problem=exc.strerror or exc)) from None
    if not names:
        raise BadInput("empty", _("the folder is empty"))
    chosen, notes = _choose(names, stems, None)
    if not chosen:
        raise _nothing_found(names, stems)
    files, problems = _gather(chosen, lambda name: _read_file(root, root / name))
    return _finish(files, problems, notes)


def _gather(chosen: dict, read) -> tuple[dict[str, bytes], list[BadInput]]:
    """The source of each chosen file by stem, and the problems of those refused: one bad file spoils no other."""
    found = {stem: _source_or_problem(name, read) for stem, name in chosen.items()}
    return {s: v for s, v in found.items() if not isinstance(v, BadInput)}, [v for v in found.values() if isinstance(v, BadInput)]


def _source_or_problem(name, read) -> bytes | BadInput:
    try:
        return python_source(name.name, read(name))
    except BadInput as exc:
        return exc


def _raise(error: OSError):
    raise error


def _read_file(root: Path, path: Path) -> bytes:
    """A student's exercise file, read as every command reads one (:func:`grader.source.read_file`)."""
    try:
        return source.read_file(root, path)
    except source.Unreadable as exc:
        raise BadInput(exc.kind, str(exc)) from None


def _read_zip(path: Path, stems: list[str]) -> Sources:
    try:
        if path.stat().st_size > MAX_ZIP:
            raise BadInput("bad_zip", _("{name} is larger than {size} MiB").format(name=path.name, size=MAX_ZIP // MiB))
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(path.name, members)
            files_only = [m for m in members if not m.is_dir()]
            if not files_only:
                raise BadInput("empty", _("{name} is empty").format(name=path.name))
            by_name = {PurePosixPath(m.filename): m for m in files_only if not _hidden(m.filename)}
            chosen, notes = _choose(list(by_name), stems, path.name)
            if not chosen:
                raise _nothing_found(list(by_name), stems)
            files, problems = _gather(chosen, lambda name: _read_member(archive, by_name[name]))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise BadInput("bad_zip", _("{name} is not a readable zip file ({problem})").format(name=path.name, problem=exc)) from None
    return _finish(files, problems, notes)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part in SKIPPED_DIRS for part in PurePosixPath(name).parts[:-1]) or PurePosixPath(
        name
    ).name.startswith(".")


def _check_members(zip_name: str, members: list[zipfile.ZipInfo]) -> None:
    """Refuse the whole zip when it is a bomb or names a path outside itself: nothing in it is used."""
    if len(members) > MAX_MEMBERS:
        said = ngettext("{name} holds more than {count} file", "{name} holds more than {count} files", MAX_MEMBERS)
        raise BadInput("bad_zip", said.format(name=zip_name, count=MAX_MEMBERS))
    total = 0
    for member in members:
        name = member.filename.replace("\\", "/")
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/"):
            said = _("{name} holds an unsafe path {path}; it was not unpacked")
            raise BadInput("bad_zip", said.format(name=zip_name, path=repr(member.filename)))
        total += member.file_size
        if member.file_size > MiB and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            said = _("{name} compresses {member} more than {ratio}:1 (a zip bomb?); it was not unpacked")
            raise BadInput("bad_zip", said.format(name=zip_name, member=repr(member.filename), ratio=MAX_RATIO))
    if total > MAX_UNPACKED:
        said = _("{name} would unpack to more than {size} MiB (a zip bomb?); it was not unpacked")
        raise BadInput("bad_zip", said.format(name=zip_name, size=MAX_UNPACKED // MiB))


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    if stat.S_ISLNK(member.external_attr >> 16):
        raise BadInput("unreadable", _("{name} is a link inside the zip; links are not followed").format(name=member.filename))
    if member.flag_bits & 0x1:
        raise BadInput("unreadable", _("{name} is encrypted").format(name=member.filename))
    if member.file_size > source.MAX_FILE:
        raise BadInput("too_large", str(source.too_large(member.filename)))
    with archive.open(member) as file:
        data = file.read(source.MAX_FILE + 1)  # the size in the header may lie; the read is capped anyway
    if len(data) > source.MAX_FILE:
        raise BadInput("too_large", str(source.too_large(member.filename)))
    return data


def python_source(name: str, data: bytes) -> bytes:
    """``data`` as UTF-8 Python source: a notebook becomes its code cells; a file that is not Python
    (:func:`grader.source.python_source`, the rule ``grade`` keeps too) is refused."""
    if name.endswith(".ipynb"):
        return _notebook_code(name, data)
    try:
        return source.python_source(name, data)
    except source.NotPython as exc:
        raise BadInput(exc.kind, str(exc)) from None


def _notebook_code(name: str, data: bytes) -> bytes:
    """The code cells of a notebook in order, less nbgrader's autograder cells (the batch grades by itself);
    IPython's ``%magic`` and ``!shell`` lines become comments."""
    try:
        cells = json.loads(data.decode("utf-8"))["cells"]
        sources = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c.get("cell_type") == "code" and not _autograder_cell(c)
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadInput("not_python", _("{name} is not a Jupyter notebook (its JSON cannot be read)").format(name=name)) from None
    lines = [f"# {line}" if line.lstrip().startswith(("%", "!")) else line for source in sources for line in source.splitlines()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _autograder_cell(cell: dict) -> bool:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return bool(meta.get("grade")) and not meta.get("solution")
