"""The teacher's commands of ``grade``: batch, export, worker, gradescope-bundle, generate, notebooks and release.

The ``grade`` group adds :data:`COMMANDS` when one of them is asked for (:class:`grader.cli.DefaultToRun`), and a
student release has neither this module nor what it drives (``grade release`` leaves them out).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader import formats, i18n, registry
from grader.cli.options import SIZE, SpeakingCommand, grading_options, resolve_targets
from grader.errors import ExitCode, UsageProblem
from grader.formats import visibility
from grader.i18n import N_, _, ngettext, number


@click.command(
    "gradescope-bundle",
    cls=SpeakingCommand,
    help=N_("Teacher: write OUT (a .zip) for a Gradescope programming assignment grading EXERCISES (all when none)."),
)
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("exercises", nargs=-1)
@click.option("--timeout-scale", type=click.FloatRange(min=0.1, max=100), help=N_("Multiply every time limit on Gradescope's machines."))
@click.option("--memory-limit", "memory", type=SIZE, help=N_("Memory for student code per check on Gradescope, e.g. 2G."))
@click.option(
    "--reveal-after",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=N_("Show students what the hidden checks tried, and what came back, only after this day (YYYY-MM-DD). [default: never]"),
)
def gradescope_bundle_command(out, exercises, timeout_scale, memory, reveal_after):
    from grader.course import gradescope_bundle

    chosen = resolve_targets(exercises) if exercises else []
    options = ["--timeout-scale", repr(timeout_scale)] if timeout_scale else []
    if memory is not None:
        options += ["--memory-limit", str(memory)]
    # The course's language (grade gradescope-bundle --lang ru): Gradescope's image has no locale of its own.
    if i18n.current() != i18n.SOURCE:
        options += ["--lang", i18n.current()]
    reveal = {visibility.ENV: reveal_after.date().isoformat()} if reveal_after else {}
    gradescope_bundle.build(out, chosen, tuple(options), environment=reveal)
    click.echo(_("Wrote {out}: upload it as the autograder of a Gradescope programming assignment.").format(out=out), err=True)


@click.command(
    "batch",
    cls=SpeakingCommand,
    help=N_("Teacher: grade every student in SUBMISSIONS (a folder or .zip per student, or nbgrader's submitted/) into --out."),
)
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("grades"),
    show_default=True,
    help=N_("Folder for grades.csv, results.jsonl, feedback/ and summary.md; a rerun resumes there."),
)
@click.option(
    "--jobs", type=click.IntRange(min=1), help=N_("Submissions graded at once. [default: the CPU count, fewer when memory is short]")
)
@click.option(
    "--cluster",
    "cluster_text",
    metavar="WHERE",
    help=N_("Grade on Dask instead: local:N starts N workers here; tcp://HOST:PORT or scheduler-file:PATH uses a running scheduler."),
)
@click.option(
    "--exercises",
    "words",
    default="all",
    show_default=True,
    help=N_("Exercises by number, name or topic, separated by commas, e.g. 1,3,6."),
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    help=N_("Replay a batch: every student's inputs are drawn from this seed. [default: the one in --out, else a fresh one]"),
)
@click.option(
    "--force",
    is_flag=True,
    help=N_("Regrade every student, replacing the results in --out (also when they are of another seed or exercise set)."),
)
@click.option(
    "--dry-run",
    is_flag=True,
    help=N_("Say who would be graded, and why those graded before would be graded again; grade no one, write nothing."),
)
@click.option(
    "--format",
    "fmts",
    multiple=True,
    type=click.Choice(formats.NAMES),
    help=N_("Also write OUT/FORMAT/<student> files in this format; repeatable. results.jsonl is always written."),
)
@grading_options
def batch_command(
    submissions, out, jobs, cluster_text, words, seed, force, dry_run, fmts, device, timeout_scale, memory, data_dir, require
):
    from grader.batch import runner

    chosen = resolve_targets(tuple(w for w in words.split(",") if w.strip()))
    visibility.reveal_date()  # a bad GRADER_REVEAL_AFTER stops here, not at the first student's feedback
    if cluster_text and jobs:
        raise click.UsageError(_("--jobs and --cluster cannot be combined: with --cluster, local:N says how many workers to start"))
    spec = parse_cluster(cluster_text, "'--cluster'") if cluster_text else None
    from grader.settings import Settings

    data_dir = data_dir.resolve() if data_dir else None
    # the seed: the gradebook's
    settings = Settings(submissions.resolve(), 0, device, timeout_scale, memory, data_dir, require=require, lang=i18n.current())
    options = runner.Options(
        submissions=submissions.resolve(),
        out=out.resolve(),
        exercises=chosen,
        settings=settings,
        jobs=jobs,
        seed=seed,
        force=force,
        dry_run=dry_run,
        formats=tuple(dict.fromkeys(fmts)),
        cluster=spec,
    )
    sys.exit(runner.run(options))


@click.command(
    "export",
    cls=SpeakingCommand,
    help=N_("Teacher: turn GRADES (grade batch's grades.csv or its --out) into the file Canvas or Moodle imports."),
)
@click.argument("grades", type=click.Path(exists=True, path_type=Path))
@click.option("--lms", type=click.Choice(["canvas", "moodle"]), required=True, help=N_("The LMS whose gradebook export --roster is."))
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help=N_("The LMS's own gradebook export (CSV), as downloaded: its students are matched to the batch's."),
)
@click.option("--column", required=True, help=N_("The grade column to fill, as the LMS names it (a new name creates one)."))
@click.option(
    "--match",
    help=N_(
        "The roster field that holds the batch's student ids: login, email, sis (Canvas: id too). "
        "[default: the first of login, email and sis that matches every student]"
    ),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write the import file. [default: <lms>-import.csv beside GRADES]"),
)
def export_command(grades, lms, roster, column, match, out):
    from grader.batch import lms as platforms

    done = platforms.export(grades, lms, roster, column, match, out)
    for line in done.problems:
        click.echo(line, err=True)
    said = ngettext(
        "{path}: {count} grade in {column}, students matched by {field}; import it into {lms} as it is",
        "{path}: {count} grades in {column}, students matched by {field}; import it into {lms} as it is",
        done.filled,
    )
    click.echo(said.format(path=done.path, count=done.filled, column=column, field=done.field, lms=lms.title()))
    sys.exit(ExitCode.FAILED if done.problems else ExitCode.PASSED)


def parse_cluster(text: str, hint: str, local: bool = True):
    """A Dask cluster's address (grader.batch.cluster.Spec); Dask is imported only now, and its absence is a usage error."""
    try:
        from grader.batch import cluster
    except ImportError as exc:
        said = _("{option} needs Dask, which is not installed ({problem}); install it with pip install -e '.[cluster]'")
        raise click.UsageError(said.format(option=hint, problem=exc)) from None
    try:
        return cluster.parse(text, local=local)
    except cluster.ClusterError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


@click.command(
    "worker",
    cls=SpeakingCommand,
    help=N_(
        "Teacher: serve the Dask scheduler at ADDRESS (tcp://HOST:PORT, scheduler-file:PATH, or $DASK_SCHEDULER_ADDRESS) until Ctrl-C."
    ),
)
@click.argument("address", envvar="DASK_SCHEDULER_ADDRESS")
@click.option(
    "--nworkers",
    type=click.IntRange(min=1),
    help=N_("Dask workers to start, each grading one student at a time. [default: the CPU count, fewer when memory is short]"),
)
@click.option("--gpu", is_flag=True, help=N_("The workers offer the resource GPU=1, which a batch with --device cuda asks for."))
@click.option(
    "--name",
    envvar="DASK_WORKER_NAME",
    show_envvar=True,
    help=N_("The workers' name for the scheduler (NAME-0, NAME-1, ... for several); Dask's operator sets the variable."),
)
def worker_command(address, nworkers, gpu, name):
    spec = parse_cluster(address, "'ADDRESS'", local=False)
    from grader.batch import daskworker, runner

    nworkers = nworkers or runner.default_jobs()
    threads = max(1, runner.cpu_count() // nworkers)
    if gpu:
        said = ngettext(
            "Starting {count} Dask worker for {address}, offering GPU=1 and using {threads} torch thread(s) ...",
            "Starting {count} Dask workers for {address}, each offering GPU=1 and using {threads} torch thread(s) ...",
            nworkers,
        )
    else:
        said = ngettext(
            "Starting {count} Dask worker for {address}, using {threads} torch thread(s) ...",
            "Starting {count} Dask workers for {address}, each using {threads} torch thread(s) ...",
            nworkers,
        )
    click.echo(said.format(count=nworkers, address=spec, threads=threads), err=True)
    daskworker.serve(spec.address, spec.scheduler_file, nworkers, gpu, threads, name)


@click.command(
    "generate",
    cls=SpeakingCommand,
    help=N_("Teacher: write exercises/ from solutions/ (each solution region becomes raise NotImplementedError())."),
)
@click.option("--check", "check_only", is_flag=True, help=N_("Write nothing; exit 1 when a stub differs from its solution."))
def generate_command(check_only):
    from grader.course import generate

    solutions, exercises = registry.REFERENCE_DIR, registry.STUBS_DIR
    stems = [e.stem for e in registry.EXERCISES]
    absent = [str(solutions / f"{stem}.py") for stem in stems if not (solutions / f"{stem}.py").is_file()]
    if absent:
        raise UsageProblem(_("no solution file {file}: grade generate writes the stubs from the kit's solutions/").format(file=absent[0]))
    if check_only:
        stale = generate.outdated(solutions, exercises, stems)
        for path in stale:
            click.echo(_("out of date: {file} (run grade generate)").format(file=path))
        if stale:
            sys.exit(ExitCode.FAILED)
        said = ngettext("{folder}: the {count} stub matches its solution", "{folder}: all {count} stubs match their solutions", len(stems))
        click.echo(said.format(folder=exercises, count=len(stems)))
        return
    exercises.mkdir(exist_ok=True)
    changed = generate.generate(solutions, exercises, stems)
    for path in changed:
        click.echo(_("wrote {file}").format(file=path))
    said = ngettext(
        "{folder}: {written} of {count} stub written, the others were up to date",
        "{folder}: {written} of {count} stubs written, the others were up to date",
        len(stems),
    )
    click.echo(said.format(folder=exercises, written=len(changed), count=len(stems)))


@click.command(
    "notebooks",
    cls=SpeakingCommand,
    help=N_("Teacher: write an nbgrader course's source/ tree into OUT, one assignment per exercise (EXERCISES, all when none)."),
)
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("exercises", nargs=-1)
def notebooks_command(out, exercises):
    from grader.course import notebooks

    chosen = resolve_targets(exercises)
    try:
        written = notebooks.write_course(out, chosen)
    except OSError as exc:
        raise UsageProblem(_("cannot write the course into {folder}: {problem}").format(folder=out, problem=exc.strerror or exc)) from None
    for path in written:
        click.echo(_("wrote {file}").format(file=path))
    said = _("next: {command}  (see the README's Jupyter section)")
    click.echo(said.format(command=f"cd {out} && nbgrader generate_assignment {chosen[0].stem}"))


@click.command(
    "release",
    cls=SpeakingCommand,
    help=N_(
        "Teacher: write OUT, the students' kit without the reference solutions, grading EXERCISES (all when none) against answers "
        "recorded on public seeds; the teacher's grade uses fresh seeds and the hidden checks too."
    ),
)
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("exercises", nargs=-1)
@click.option(
    "--seeds",
    "count",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help=N_("Public seeds to record the expected answers for."),
)
@click.option("--force", is_flag=True, help=N_("Replace OUT when it is not empty (a release written before, say)."))
def release_command(out, exercises, count, force):
    from grader.course import release

    chosen = resolve_targets(exercises)
    made = release.write(out, chosen, count, force=force, progress=lambda line: click.echo(line, err=True))
    said = ngettext(
        "Wrote {folder}: {count} exercise, public seeds {seeds}, {megabytes} MB of recorded answers. "
        "Give it to your students (a course repository, say).",
        "Wrote {folder}: {count} exercises, public seeds {seeds}, {megabytes} MB of recorded answers. "
        "Give it to your students (a course repository, say).",
        len(chosen),
    )
    click.echo(
        said.format(
            folder=made.folder, count=len(chosen), seeds=", ".join(map(str, made.seeds)), megabytes=number(made.answer_bytes / 1e6, 2)
        )
    )


COMMANDS = (
    gradescope_bundle_command,
    batch_command,
    export_command,
    worker_command,
    generate_command,
    notebooks_command,
    release_command,
)
