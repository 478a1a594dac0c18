"""Copy detection: groups of students whose code for an exercise is identical or nearly so.

Code is compared as tokens, after dropping comments, docstrings and blank lines and renaming
identifiers in the order they appear (attribute names such as ``torch.zeros`` are kept), so
renaming variables or reformatting changes nothing. Only the student's own work counts: a
function identical to the stub's or to the reference solution's proves nothing between two students, because
everyone starts from the stub and a correct one-line answer is often the same for everybody.
A group is a flag for a person to look at; nothing is ever deducted.

A function identical to the reference solution's is a finding of its own (:func:`reference_matches`): the
commonest cheat, a leaked answer key, makes no group between students, since each copy matches the key rather
than the others. Only functions whose body holds MIN_TOKENS tokens or more count, so that a one-line answer
everyone writes alike is never flagged; a function the stub already holds as the reference does is no one's work.
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader import registry

MIN_TOKENS = 20  # less own work than this is too little to call a copy
SIMILAR = 0.9  # difflib's ratio from which two submissions count as nearly identical
MAX_SOURCE = 256 * 1024  # larger files are not compared (parsing them costs too much)
MAX_FUZZY = 20_000  # tokens; longer work is only compared for equality (difflib is quadratic)
DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Group:
    exercise: str
    students: tuple[str, ...]
    similarity: float  # 1.0 when identical; else the lowest ratio of a flagged pair

    @property
    def identical(self) -> bool:
        return self.similarity == 1.0


def normalise(source: str) -> list[str]:
    """The tokens of ``source`` with comments, docstrings and layout gone and names renamed in order."""
    names: dict[str, str] = {}
    out: list[str] = []
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in DROPPED]
    skip_newline = False
    for i, token in enumerate(tokens):
        before = out[-1] if out else "\n"
        after = tokens[i + 1].string if i + 1 < len(tokens) else "\n"
        if token.type == tokenize.STRING and before in ("\n", "<in>", "<out>", ":") and after in ("\n", ""):
            skip_newline = True  # a docstring, or a string standing alone as a statement: gone with its line end
            continue
        if skip_newline and token.type == tokenize.NEWLINE:
            skip_newline = False
            continue
        skip_newline = False
        if token.type == tokenize.NAME and not keyword.iskeyword(token.string) and before != ".":
            out.append(names.setdefault(token.string, f"v{len(names)}"))
        elif token.type == tokenize.INDENT:
            out.append("<in>")
        elif token.type == tokenize.DEDENT:
            out.append("<out>")
        elif token.type == tokenize.NEWLINE:
            out.append("\n")
        else:
            out.append(token.string)
    return out


def units(source: str) -> dict[str, list[str]]:
    """Each top-level function or class by name (the last definition wins, as in Python), and the
    rest of the module as ``<module>``, normalised; the whole file as ``<module>`` if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {"<module>": _tokens(source)}
    lines = source.splitlines(keepends=True)
    found, rest = {}, []
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        text = "".join(lines[start : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = _tokens(text)
        else:
            rest.append(text if text.endswith("\n") else text + "\n")
    found["<module>"] = _tokens("".join(rest))
    return found


def _tokens(source: str) -> list[str]:
    try:
        return normalise(source)
    except (tokenize.TokenError, IndentationError, SyntaxError, RecursionError, MemoryError):
        return source.split()  # broken beyond tokens: compare the words


def own_work(source: str | dict[str, list[str]], base: list[dict[str, list[str]]]) -> list[str]:
    """The tokens of the units (of ``source``, or its :func:`units`) that differ from the same unit in every ``base``
    (the stub, the reference)."""
    kept = []
    for name, tokens in sorted((units(source) if isinstance(source, str) else source).items()):
        if all(b.get(name) != tokens for b in base) and tokens:
            kept += [f"§{name}", *tokens]
    return kept


def bases(stem: str, kit: Path = registry.KIT_ROOT) -> list[dict[str, list[str]]]:
    found = []
    for folder in (registry.STUBS_DIR.name, registry.REFERENCE_PACKAGE):
        path = kit / folder / f"{stem}.py"
        if path.is_file():
            found.append(units(path.read_text(encoding="utf-8")))
    return found


@dataclass(frozen=True)
class Match:
    """A student's functions of one exercise that are the reference solution's, after :func:`normalise`."""

    student: str
    exercise: str
    functions: tuple[str, ...]


def body_size(tokens: list[str]) -> int:
    """How many tokens a unit holds after its first line (a function's signature, which the stub gives everyone)."""
    return len(tokens) - (tokens.index("\n") + 1 if "\n" in tokens else 0)


def scan(sources: dict[str, dict[str, str]], stems: list[str]) -> tuple[list[Group], list[Match]]:
    """The copy groups and the matches with the reference from ``sources[student][stem]`` (source text), exercise by
    exercise, each file cut into units once (it is most of the cost)."""
    found, matches = [], []
    for stem in stems:
        base = bases(stem)
        telling = _telling(base)
        work = {}
        for student, files in sorted(sources.items()):
            text = files.get(stem)
            if text is None or len(text) > MAX_SOURCE:
                continue
            mine = units(text)
            same = tuple(name for name, tokens in telling.items() if mine.get(name) == tokens)
            if same:
                matches.append(Match(student, stem, same))
            tokens = own_work(mine, base)
            if len([t for t in tokens if not t.startswith("§")]) >= MIN_TOKENS:
                work[student] = tokens
        found += _group(stem, work)
    return found, sorted(matches, key=lambda m: (m.student, m.exercise))


def _telling(base: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    """The reference's units a copy of it is told by: not the stub's own, with a body of MIN_TOKENS tokens or more."""
    if len(base) < 2:
        return {}  # no stub or no reference here (a release): nothing to match
    stub, reference = base
    return {
        name: tokens
        for name, tokens in reference.items()
        if name != "<module>" and stub.get(name) != tokens and body_size(tokens) >= MIN_TOKENS
    }


def reference_matches(sources: dict[str, dict[str, str]], stems: list[str]) -> list[Match]:
    """Per student and exercise, the functions (and classes) identical to the reference solution's, by student."""
    return scan(sources, stems)[1]


def groups(sources: dict[str, dict[str, str]], stems: list[str]) -> list[Group]:
    """Copy groups from ``sources[student][stem]`` (source text), exercise by exercise."""
    return scan(sources, stems)[0]


def _similarity(a: list[str], b: list[str], count_a: Counter, count_b: Counter) -> float | None:
    """How alike two students' tokens are, from 0 to 1; None below SIMILAR (or past MAX_FUZZY, unless identical)."""
    if a == b:
        return 1.0
    size = len(a) + len(b)
    if max(len(a), len(b)) > MAX_FUZZY:
        return None
    if 2 * min(len(a), len(b)) < SIMILAR * size or 2 * sum((count_a & count_b).values()) < SIMILAR * size:
        return None  # upper bounds of the ratio first, cheapest first
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio if ratio >= SIMILAR else None


def _group(stem: str, work: dict[str, list[str]]) -> list[Group]:
    students = sorted(work)
    counts = {s: Counter(work[s]) for s in students}
    parent = {s: s for s in students}
    lowest: dict[tuple[str, str], float] = {}

    def root(s: str) -> str:
        while parent[s] != s:
            s = parent[s]
        return s

    for i, a in enumerate(students):
        for b in students[i + 1 :]:
            ratio = _similarity(work[a], work[b], counts[a], counts[b])
            if ratio is not None:
                lowest[(a, b)] = ratio
                parent[root(b)] = root(a)
    members: dict[str, list[str]] = {}
    for s in students:
        members.setdefault(root(s), []).append(s)
    result = []
    for group in members.values():
        if len(group) > 1:
            ratios = [r for (a, b), r in lowest.items() if a in group and b in group]
            result.append(Group(stem, tuple(group), min(ratios)))
    return sorted(result, key=lambda g: (g.exercise, g.students))
