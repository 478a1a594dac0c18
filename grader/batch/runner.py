"""Run a batch: find the students, grade those not graded yet in parallel, write the gradebook, sum up.

Exit codes (:class:`grader.errors.ExitCode`): PASSED the batch is complete, USAGE a bad SUBMISSIONS,
another batch in ``--out`` or MNIST missing, INTERNAL a check broke inside the grader, INTERRUPTED
(rerun the same command to grade the rest).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.batch import changes, copies, gradebook, layouts, packing, summary, webpage
from grader.batch.pool import Fatal, Pool
from grader.errors import ExitCode
from grader.i18n import _, ngettext, number, some_of
from grader.settings import Settings
from grader.status import StudentStatus, shown

if TYPE_CHECKING:
    from grader.batch import cluster  # imports Dask: only with --cluster


@dataclass(frozen=True)
class Options:
    submissions: Path
    out: Path
    exercises: list  # of registry.Exercise
    settings: Settings  # every student's grading; its seed is decided once the gradebook is open (``seed``)
    jobs: int | None = None
    seed: int | None = None  # --seed; None: the one in --out, else a fresh one
    force: bool = False
    dry_run: bool = False  # --dry-run: say who would be graded and why, grade no one
    formats: tuple[str, ...] = ()
    cluster: cluster.Spec | None = None  # --cluster: grade on Dask (grader.batch.cluster) instead of --jobs local workers


JOB_MEMORY = 1 << 30  # a worker and its zygote keep ~0.6 GiB each job, and checks need room too


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_jobs() -> int:
    """The CPU count, fewer where memory would not hold that many workers."""
    try:
        with open("/proc/meminfo") as file:
            available = next(int(line.split()[1]) * 1024 for line in file if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return cpu_count()
    return max(1, min(cpu_count(), available // JOB_MEMORY))


def run(options: Options) -> int:
    """Grade the batch; raises LayoutError or Refused (usage errors) before anything is graded."""
    layout = layouts.discover(options.submissions)
    layout.entries = [e for e in layout.entries if e.path.resolve() != options.out.resolve()]  # `grade batch . --out grades`
    if any(e.needs_mnist for e in options.exercises):
        from grader.data import ensure_mnist

        ensure_mnist(options.settings.data_dir)  # a DataError here is a usage error (exit 2), before any worker starts
    stems = [e.stem for e in options.exercises]
    book = gradebook.Gradebook(options.out)
    seed = book.open(options.seed, stems, options.force, dry_run=options.dry_run)
    say(_("Layout: {layout}").format(layout=layout.describe()))
    if book.dropped:
        said = ngettext(
            "{results}: {count} unreadable line dropped (a kill mid-write); that student is graded again",
            "{results}: {count} unreadable lines dropped (a kill mid-write); those students are graded again",
            book.dropped,
        )
        say(said.format(results=book.results, count=book.dropped))
    spec, total = options.cluster, len(layout.entries)
    todo = packing.pending(layout.entries, book.records, stems, seed)
    reasons = regrading(book, todo, stems, seed, options)
    if options.dry_run:
        return dry_run(todo, reasons, options.out)
    if spec:
        from grader.batch import cluster

        jobs = spec.local or 1
        threads = max(1, cpu_count() // jobs) if spec.local else 1  # a remote worker has a core (grade worker says otherwise)
        count, done = len(todo), total - len(todo)
        said = ngettext(
            "Grading {count} of {total} students ({done} already graded in {out}) with seed {seed} on the Dask cluster {cluster} ...",
            "Grading {count} of {total} students ({done} already graded in {out}) with seed {seed} on the Dask cluster {cluster} ...",
            total,
        )
        say(said.format(count=count, total=total, done=done, out=options.out, seed=seed, cluster=spec))
    else:
        jobs = max(1, min(options.jobs or default_jobs(), len(todo) or 1))
        threads = max(1, cpu_count() // jobs)
        count, done = len(todo), total - len(todo)
        said = ngettext(
            "Grading {count} of {total} students ({done} already graded in {out}) with seed {seed}, {jobs} at a time ...",
            "Grading {count} of {total} students ({done} already graded in {out}) with seed {seed}, {jobs} at a time ...",
            total,
        )
        say(said.format(count=count, total=total, done=done, out=options.out, seed=seed, jobs=jobs))
    if gone := sorted(set(book.records) - {e.student for e in layout.entries}):
        names = some_of(gone, 5)
        said = _("Kept in the gradebook though no longer in {submissions}: {names} (--force grades only who is there now)")
        say(said.format(submissions=options.submissions, names=names))
    config = {
        "exercises": stems,
        "settings": options.settings.replace(seed=seed, threads=threads).to_json(),
        "hide": [str(options.submissions), str(options.out)],  # no student's code may read the class or the gradebook
    }
    began = time.monotonic()
    reference = start_reference(options, seed, book.out)
    try:
        if todo:
            with open(book.path(gradebook.LOG), "a", encoding="utf-8") as log:
                log_name = str(book.path(gradebook.LOG))
                with cluster.Cluster(spec, config, log, log_name) if spec else Pool(jobs, config, log, log_name) as pool:
                    progress = Progress(len(todo), counts=pool.counts if spec else None)
                    for record in pool.grade(todo):
                        book.add(record, options.formats)
                        progress.step(record)
                    progress.close()
                    jobs = pool.jobs
    except KeyboardInterrupt:
        if reference is not None:
            reference.cancel()
        said = _("Interrupted: {graded} of {count} graded this run; rerun the same command to grade the rest.")
        say("\n" + said.format(graded=sum(e.student in book.records for e in todo), count=len(todo)))
        return ExitCode.INTERRUPTED
    except Fatal as exc:
        if reference is not None:
            reference.cancel()
        say(_("grade batch: {problem}").format(problem=exc))
        return exc.code
    record_changes(book, reasons)
    finish(book, layout, stems, options.formats, reference, run=(time.monotonic() - began, len(todo)))
    report(book, options.out, len(todo), time.monotonic() - began, jobs)
    return ExitCode.INTERNAL if any(r["batch"]["status"] == StudentStatus.GRADER_ERROR for r in book.records.values()) else ExitCode.PASSED


def regrading(book: gradebook.Gradebook, todo: list[layouts.Entry], stems: list[str], seed: int, options: Options) -> dict[str, str]:
    """Why each student graded before is graded again (student -> why). Unless ``--dry-run``, the gradebook as it was
    is kept in history first, whenever a record is to be replaced, and only then does ``--force`` clear it."""
    reasons = {
        e.student: changes.why(book.previous[e.student], packing.key(packing.pack(e, stems), seed), options.force)
        for e in todo
        if e.student in book.previous
    }
    if options.dry_run:
        return reasons
    if reasons or (options.force and book.previous):
        said = _("Kept the gradebook as it was before this run in {folder}")
        say(said.format(folder=changes.keep(options.out, book.previous)))
    if options.force:
        book.reset()
    return reasons


def record_changes(book: gradebook.Gradebook, reasons: dict[str, str]) -> None:
    """After a run that graded anyone again, ``changes.csv``: whose points or checks moved, from what to what, and why."""
    if not reasons:
        return
    found = changes.compare(book.previous, book.records, reasons)
    said = ngettext(
        "{path}: {count} change in points or checks after regrading",
        "{path}: {count} changes in points or checks after regrading",
        len(found),
    )
    say(said.format(path=changes.write(book.out, found), count=len(found)))


def dry_run(todo: list[layouts.Entry], reasons: dict[str, str], out: Path) -> int:
    """``--dry-run``: who a run would grade, and why those graded before would be graded again, on stdout; no grading."""
    first = [e.student for e in todo if e.student not in reasons]
    lines = [
        ngettext(
            "Would grade {count} student: {first} for the first time, {again} again (nothing graded, {out} unchanged)",
            "Would grade {count} students: {first} for the first time, {again} again (nothing graded, {out} unchanged)",
            len(todo),
        ).format(count=len(todo), first=len(first), again=len(reasons), out=out)
    ]
    lines += [f"  {student}: {why}" for student, why in sorted(reasons.items())]
    if first:
        lines.append(_("  for the first time: {names}").format(names=some_of(first, 10)))
    click.echo("\n".join(lines))
    return ExitCode.PASSED


def start_reference(options: Options, seed: int, out: Path):
    """The reference run whose curves the report draws beside exercise 6's (:mod:`grader.course.reference_run`): started
    now, so that it trains while the students are graded, once per seed (kept in ``--out``); None without exercise 6.
    It trains on one thread, as ``grade`` does and as the students do with the default ``--jobs``: a rerun's workers
    may get other thread counts (fewer students left), and the run must keep the key it was cached under."""
    from grader.course import reference_run

    if not reference_run.wanted(options.exercises):
        return None
    from grader.judge import devices

    settings = options.settings.replace(submission=out, seed=seed, device=devices.resolve(options.settings.device), threads=None)
    return reference_run.Run(settings, out / reference_run.CACHE_NAME)


def finish(
    book: gradebook.Gradebook,
    layout: layouts.ClassLayout,
    stems: list[str],
    formats: tuple[str, ...],
    reference=None,
    run: tuple[float, int] | None = None,
) -> None:
    """Fill in what an earlier, interrupted run may have left out, then write the CSV, the summary and the report page.
    ``reference``: the reference run (:func:`start_reference`) whose curves the page shows; ``run``: this run's wall
    time and how many students it graded."""
    for student, record in book.records.items():
        if not (book.path(gradebook.FEEDBACK) / f"{student}.md").exists():
            book.write_feedback(record)
        for fmt in formats:
            if not gradebook.format_path(book.out, student, fmt).exists():
                gradebook.write_format(book.out, record, fmt)
    book.write_csv()
    sources = {}
    for entry in layout.entries:
        if entry.student in book.records:
            try:
                found = layouts.read_sources(entry, stems).files
            except layouts.BadInput:
                continue
            sources[entry.student] = {stem: data.decode("utf-8", "replace") for stem, data in found.items()}
    groups, matches = copies.scan(sources, stems)
    book.write_summary(summary.render(book.sorted_records(), groups, matches))
    if reference is not None and not reference.ready():
        say(_("Waiting for the reference run of exercise 6, whose training curves report.html draws beside the students' ..."))
    found = reference.result() if reference is not None else None
    problem = reference.problem if reference is not None else ""
    webpage.write(book.out, book.sorted_records(), groups, found, problem, matches, run)


def report(book: gradebook.Gradebook, out: Path, graded: int, seconds: float, jobs: int) -> None:
    """The class mean per exercise and where the files are, on stdout."""
    records = book.sorted_records()
    if not records:
        return
    stems = [part["exercise"] for part in records[0]["exercises"]]
    exercise, mean, most, total = _("exercise"), _("mean"), _("max"), _("total")
    width = max(len(s) for s in [*stems, exercise, total])
    mean_width, most_width = max(6, len(mean)), max(5, len(most))
    rows = [(stem, [p for r in records for p in r["exercises"] if p["exercise"] == stem]) for stem in stems]
    lines = [f"{exercise:<{width}}  {mean:>{mean_width}}  {most:>{most_width}}"]
    for stem, parts in rows:
        average = sum(p["score"] for p in parts) / len(parts)
        lines.append(f"{stem:<{width}}  {number(average, 2):>{mean_width}}  {number(parts[0]['max_score']):>{most_width}}")
    average = sum(r["score"] for r in records) / len(records)
    lines.append(f"{total:<{width}}  {number(average, 2):>{mean_width}}  {number(records[0]['max_score']):>{most_width}}")
    statuses = Counter(r["batch"]["status"] for r in records)
    if graded:
        said = ngettext(
            "{count} student, {graded} graded in this run in {time} ({each} s each, {jobs} at a time); seed {seed}",
            "{count} students, {graded} graded in this run in {time} ({each} s each, {jobs} at a time); seed {seed}",
            len(records),
        )
    else:
        said = ngettext(
            "{count} student, {graded} graded in this run in {time}; seed {seed}",
            "{count} students, {graded} graded in this run in {time}; seed {seed}",
            len(records),
        )
    counts = ", ".join(f"{n} {shown(s)}" for s, n in statuses.most_common())
    lines += [
        "",
        said.format(
            count=len(records),
            graded=graded,
            time=_clock(seconds),
            each=number(seconds / max(graded, 1), 1),
            jobs=jobs,
            seed=records[0]["seed"],
        ),
        _("status: {counts}").format(counts=counts),
        "",
    ]
    files = [
        (gradebook.GRADES, _("grades")),
        (gradebook.RESULTS, _("results")),
        (gradebook.FEEDBACK, _("feedback")),
        (gradebook.SUMMARY, _("summary")),
        (webpage.REPORT, _("report")),
    ]
    label_width = max(9, *(len(label) + 1 for _name, label in files))
    for name, label in files:
        lines.append(f"{label:<{label_width}} {out / name}{'/' if name == gradebook.FEEDBACK else ''}")
    click.echo("\n".join(lines))


def say(text: str) -> None:
    click.echo(text, err=True)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Students done / total, the time so far and an ETA, on stderr: one line redrawn on a terminal,
    a line per student elsewhere (a log, CI)."""

    def __init__(self, total: int, stream=None, counts=None):
        self.total, self.done, self.began = total, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self.counts = counts  # a callable giving more to show, e.g. "3 in flight · 1 retried · 0 failed"
        self.live = self.stream.isatty()
        self._draw("")

    def step(self, record: dict) -> None:
        self.done += 1
        batch = record["batch"]
        self._draw(f"{batch['student']}: {number(record['score'])}/{number(record['max_score'])} {shown(batch['status'])}")

    def _draw(self, last: str) -> None:
        elapsed = time.monotonic() - self.began
        eta = _clock(elapsed / self.done * (self.total - self.done)) if self.done else "?"
        width = len(str(self.total))
        said = ngettext(
            "{done}/{total} students · {elapsed} elapsed · ETA {eta}", "{done}/{total} students · {elapsed} elapsed · ETA {eta}", self.total
        )
        head = said.format(done=f"{self.done:>{width}}", total=self.total, elapsed=_clock(elapsed), eta=eta)
        if self.counts is not None:
            head += f" · {self.counts()}"
        if self.live:
            filled = 20 * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (20 - filled)}] {head}  {last[:40]:<40}")
        elif last:
            self.stream.write(f"{head} · {last}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
