"""The ``grade`` command: ``grade exercise3``, ``grade all --format json``, ``grade list``.

Exit codes: 0 every check passed, 1 a check failed, 2 a usage error, 3 the grader itself failed.
With --min-score or --min-percent, 0 and 1 say only whether the score reached that minimum.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import click

from grader import formats, policy, registry

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
MIN_SCORE_HELP = "Exit 0 when the score reaches these points and 1 below them, whatever single checks did."
MIN_PERCENT_HELP = "Exit 0 when the score reaches this percentage of the maximum and 1 below it."


class DefaultToRun(click.Group):
    """``grade 3`` means ``grade run 3``: exercise names are the common case, subcommands the rare one."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names and args[0] != "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


class BareContext(click.Context):
    """Usage lines say ``grade [OPTIONS] [EXERCISES]...``, as students type it, not ``grade run``."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class RunCommand(click.Command):
    context_class = BareContext


def parse_size(text: str) -> int | None:
    """``4G``, ``512M``, ``4GiB`` or a byte count; ``none`` or ``0`` lifts the limit."""
    if text.strip().lower() in ("none", "0", "off"):
        return None
    match = SIZE.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a size; write it like 4G, 512M or 4GiB")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "bkmgt".index(unit.lower() or "b"))


def resolve_targets(words: tuple[str, ...]):
    if not words or any(w.lower() == "all" for w in words):
        return list(registry.EXERCISES)
    try:
        chosen = [registry.resolve(w) for w in words]
    except registry.UnknownExercise as exc:
        raise click.UsageError(f"{exc} (see 'grade list')") from None
    return list(dict.fromkeys(chosen))


@click.group(cls=DefaultToRun, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pytorch-exercise-kit", prog_name="grade")
def main():
    """Grade the PyTorch exercises: `grade 3`, `grade exercise3` and `grade autograd` are the same.

    `grade run --help` lists the grading options (--submission, --format, --seed, ...).
    """


@main.command("run", cls=RunCommand)
@click.argument("exercises", nargs=-1)
@click.option(
    "--submission",
    type=click.Path(path_type=Path),
    help="Folder with exercises/<stem>.py or <stem>.py files. [default: the kit's exercises/]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.NAMES),
    default="text",
    show_default=True,
    help="text for people; json, junit, github or gradescope for programs (only the document on stdout).",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), help="Replay a run: the inputs are drawn from this seed. [default: a fresh one, printed]"
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="cpu",
    show_default=True,
    help="Where the training checks run; auto takes CUDA when it is there.",
)
@click.option(
    "--timeout-scale",
    type=click.FloatRange(min=0.1, max=100),
    default=1.0,
    show_default=True,
    help="Multiply every time limit, for slow machines.",
)
@click.option(
    "--memory-limit", default="4G", show_default=True, help="Memory for student code per check, e.g. 4G or 512M; 'none' lifts it."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="GRADER_DATA",
    help="Folder holding the MNIST .gz files. [env: GRADER_DATA; default: the kit's data/]",
)
@click.option("--min-score", type=float, help=MIN_SCORE_HELP)
@click.option("--min-percent", type=float, help=MIN_PERCENT_HELP)
def run_command(exercises, submission, fmt, seed, device, timeout_scale, memory_limit, data_dir, min_score, min_percent):
    """Grade EXERCISES (numbers, names or topics; 'all' or nothing for every one)."""
    chosen = resolve_targets(exercises)
    check_policy(min_score, min_percent)
    from grader import sandbox

    # The forkserver imports torch in its own process while this one imports pytest and the checks.
    sandbox.start(preload=("grader.plugin", *(e.check_module for e in chosen)))
    from grader import engine  # imported here so that `grade list` and usage errors stay fast

    submission = (submission or engine.default_submission()).resolve()
    if not submission.is_dir():
        raise click.UsageError(f"submission folder {submission} does not exist; pass --submission DIR with your exercises")
    try:
        memory = parse_size(memory_limit)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint="'--memory-limit'") from None
    from grader.plugin import Settings

    settings = Settings(
        submission=submission,
        seed=engine.new_seed() if seed is None else seed,
        device=resolve_device(device),
        timeout_scale=timeout_scale,
        memory=memory,
        data_dir=data_dir.resolve() if data_dir else None,
    )
    if fmt != "json":
        click.echo(f"Grading {', '.join(e.name for e in chosen)} of {submission} with seed {settings.seed} ...", err=True)
    began = time.monotonic()
    try:
        doc, internal = engine.grade(settings, chosen)
    except engine.GraderError as exc:
        click.echo(f"grade: internal error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    formats.emit(doc, fmt, seconds=time.monotonic() - began)
    if internal:
        click.echo(f"grade: {internal} check(s) failed inside the grader itself; please report this", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(policy.exit_code(doc, min_score, min_percent))


def check_policy(min_score, min_percent) -> None:
    try:
        policy.check(min_score, min_percent)
    except policy.PolicyError as exc:
        raise click.UsageError(str(exc)) from None


@main.command("render")
@click.argument("document", type=click.File("r", encoding="utf-8"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.NAMES),
    default="text",
    show_default=True,
    help="The format to print the saved document in.",
)
@click.option("--min-score", type=float, help=MIN_SCORE_HELP)
@click.option("--min-percent", type=float, help=MIN_PERCENT_HELP)
def render_command(document, fmt, min_score, min_percent):
    """Print a saved result DOCUMENT (from --format json; '-' reads stdin) in another format, without grading again."""
    check_policy(min_score, min_percent)
    try:
        doc = json.load(document)
        if doc.get("schema") != 1:
            raise ValueError(f"its schema is {doc.get('schema')!r}, not 1")
        missing = {"submission", "seed", "device", "score", "max_score", "exercises"} - doc.keys()
        if missing:
            raise ValueError(f"it has no {', '.join(sorted(missing))}")
    except (ValueError, AttributeError) as exc:
        raise click.UsageError(f"{document.name} is not a result document of grade --format json ({exc})") from None
    formats.emit(doc, fmt)
    sys.exit(policy.exit_code(doc, min_score, min_percent))


@main.command("gradescope-bundle")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("exercises", nargs=-1)
@click.option("--timeout-scale", type=click.FloatRange(min=0.1, max=100), help="Multiply every time limit on Gradescope's machines.")
@click.option("--memory-limit", help="Memory for student code per check on Gradescope, e.g. 2G.")
def gradescope_bundle_command(out, exercises, timeout_scale, memory_limit):
    """Write OUT (a .zip) for a Gradescope programming assignment grading EXERCISES (all when none)."""
    from grader import gradescope_bundle

    chosen = resolve_targets(exercises) if exercises else []
    options = ["--timeout-scale", repr(timeout_scale)] if timeout_scale else []
    if memory_limit:
        parse_size(memory_limit)
        options += ["--memory-limit", memory_limit]
    try:
        gradescope_bundle.build(out, chosen, tuple(options))
    except gradescope_bundle.BundleError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Wrote {out}: upload it as the autograder of a Gradescope programming assignment.", err=True)


@main.command("batch")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("grades"),
    show_default=True,
    help="Folder for grades.csv, results.jsonl, feedback/ and summary.md; a rerun resumes there.",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Submissions graded at once. [default: the CPU count, fewer when memory is short]")
@click.option(
    "--cluster",
    "cluster_text",
    metavar="WHERE",
    help="Grade on Dask instead: local:N starts N workers here; tcp://HOST:PORT or scheduler-file:PATH uses a running scheduler.",
)
@click.option(
    "--exercises", "words", default="all", show_default=True, help="Exercises by number, name or topic, separated by commas, e.g. 1,3,6."
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    help="Replay a batch: every student's inputs are drawn from this seed. [default: the one in --out, else a fresh one]",
)
@click.option(
    "--force",
    is_flag=True,
    help="Regrade every student, replacing the results in --out (also when they are of another seed or exercise set).",
)
@click.option(
    "--format",
    "fmts",
    multiple=True,
    type=click.Choice(formats.NAMES),
    help="Also write OUT/FORMAT/<student> files in this format; repeatable. results.jsonl is always written.",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="cpu",
    show_default=True,
    help="Where the training checks run; auto takes CUDA when it is there.",
)
@click.option(
    "--timeout-scale",
    type=click.FloatRange(min=0.1, max=100),
    default=1.0,
    show_default=True,
    help="Multiply every time limit, for slow machines.",
)
@click.option(
    "--memory-limit", default="4G", show_default=True, help="Memory for student code per check, e.g. 4G or 512M; 'none' lifts it."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="GRADER_DATA",
    help="Folder holding the MNIST .gz files. [env: GRADER_DATA; default: the kit's data/]",
)
def batch_command(submissions, out, jobs, cluster_text, words, seed, force, fmts, device, timeout_scale, memory_limit, data_dir):
    """Teacher: grade every student in SUBMISSIONS (a folder or .zip per student, or nbgrader's submitted/) into --out."""
    from grader.batch import gradebook, layouts, runner

    chosen = resolve_targets(tuple(w for w in words.split(",") if w.strip()))
    if cluster_text and jobs:
        raise click.UsageError("--jobs and --cluster cannot be combined: with --cluster, local:N says how many workers to start")
    spec = parse_cluster(cluster_text, "'--cluster'") if cluster_text else None
    try:
        memory = parse_size(memory_limit)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint="'--memory-limit'") from None
    options = runner.Options(
        submissions=submissions.resolve(),
        out=out.resolve(),
        exercises=chosen,
        jobs=jobs,
        seed=seed,
        device=device,
        force=force,
        formats=tuple(dict.fromkeys(fmts)),
        timeout_scale=timeout_scale,
        memory=memory,
        data_dir=data_dir.resolve() if data_dir else None,
        cluster=spec,
    )
    try:
        code = runner.run(options)
    except (layouts.LayoutError, gradebook.Refused) as exc:
        raise click.UsageError(str(exc)) from None
    sys.exit(code)


def parse_cluster(text: str, hint: str, local: bool = True):
    """A Dask cluster's address (grader.batch.cluster.Spec); Dask is imported only now, and its absence is a usage error."""
    try:
        from grader.batch import cluster
    except ImportError as exc:
        raise click.UsageError(f"{hint} needs Dask, which is not installed ({exc}); install it with pip install -e '.[cluster]'") from None
    try:
        return cluster.parse(text, local=local)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None


@main.command("worker")
@click.argument("address", envvar="DASK_SCHEDULER_ADDRESS")
@click.option(
    "--nworkers",
    type=click.IntRange(min=1),
    help="Dask workers to start, each grading one student at a time. [default: the CPU count, fewer when memory is short]",
)
@click.option("--gpu", is_flag=True, help="The workers offer the resource GPU=1, which a batch with --device cuda asks for.")
@click.option(
    "--name",
    envvar="DASK_WORKER_NAME",
    help="The workers' name for the scheduler (NAME-0, NAME-1, ... for several). [env: DASK_WORKER_NAME, set by Dask's operator]",
)
def worker_command(address, nworkers, gpu, name):
    """Teacher: serve the Dask scheduler at ADDRESS (tcp://HOST:PORT, scheduler-file:PATH, or $DASK_SCHEDULER_ADDRESS) until Ctrl-C."""
    spec = parse_cluster(address, "'ADDRESS'", local=False)
    from grader.batch import daskworker, runner

    nworkers = nworkers or runner.default_jobs()
    threads = max(1, runner.cpu_count() // nworkers)
    if gpu:
        click.echo(f"Starting {nworkers} Dask worker(s) for {spec}, each offering GPU=1 and using {threads} torch thread(s) ...", err=True)
    else:
        click.echo(f"Starting {nworkers} Dask worker(s) for {spec}, each using {threads} torch thread(s) ...", err=True)
    daskworker.serve(spec.address, spec.scheduler_file, nworkers, gpu, threads, name)


def resolve_device(choice: str) -> str:
    """Decide the device in a sandbox child, so this process never initialises CUDA."""
    if choice == "cpu":
        return "cpu"
    from grader import sandbox
    from grader.plugin import cuda_available

    outcome = sandbox.run(cuda_available, limits=sandbox.Limits(timeout=60, memory=None))
    available = outcome.status == "ok" and outcome.value is True
    if choice == "cuda" and not available:
        raise click.UsageError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    return "cuda" if available else "cpu"


@main.command("list")
def list_command():
    """Show the exercises, their titles and their maximum points."""
    from grader.engine import collect

    checks = collect(registry.EXERCISES)
    for exercise in registry.EXERCISES:
        total = sum(points for stem, _, points, _ in checks if stem == exercise.stem)
        click.echo(f"{exercise.number}  {exercise.name:<10} {exercise.topics[0]:<9} {exercise.title}  ({total:g} points)")


class BadInput(click.ClickException):
    """A teacher's file the kit cannot use (unpaired solution markers): one line, exit code 2."""

    exit_code = EXIT_USAGE


@main.command("generate")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when a stub differs from its solution.")
def generate_command(check_only):
    """Teacher: write exercises/ from solutions/ (each solution region becomes raise NotImplementedError())."""
    from grader import generate

    solutions, exercises = registry.KIT_ROOT / "solutions", registry.KIT_ROOT / "exercises"
    stems = [e.stem for e in registry.EXERCISES]
    absent = [str(solutions / f"{stem}.py") for stem in stems if not (solutions / f"{stem}.py").is_file()]
    if absent:
        raise BadInput(f"no solution file {absent[0]}: grade generate writes the stubs from the kit's solutions/")
    try:
        if check_only:
            stale = generate.outdated(solutions, exercises, stems)
            for path in stale:
                click.echo(f"out of date: {path} (run grade generate)")
            if stale:
                sys.exit(EXIT_FAILED)
            click.echo(f"{exercises}: all {len(stems)} stubs match their solutions")
            return
        exercises.mkdir(exist_ok=True)
        changed = generate.generate(solutions, exercises, stems)
    except generate.MarkerError as exc:
        raise BadInput(str(exc)) from None
    for path in changed:
        click.echo(f"wrote {path}")
    click.echo(f"{exercises}: {len(changed)} of {len(stems)} stubs written, the others were up to date")


@main.command("notebooks")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("exercises", nargs=-1)
def notebooks_command(out, exercises):
    """Teacher: write an nbgrader course's source/ tree into OUT, one assignment per exercise (EXERCISES, all when none)."""
    from grader import generate, notebooks

    chosen = resolve_targets(exercises)
    try:
        written = notebooks.write_course(out, chosen)
    except generate.MarkerError as exc:
        raise BadInput(str(exc)) from None
    except OSError as exc:
        raise BadInput(f"cannot write the course into {out}: {exc.strerror or exc}") from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {out} && nbgrader generate_assignment {chosen[0].stem}  (see the README's Jupyter section)")


def entry():
    """The console script: click handles usage errors (exit 2); anything unexpected is the grader's fault (exit 3)."""
    code = _main()
    # Skip the interpreter's teardown of torch (~0.5 s): everything worth keeping is written and flushed,
    # and the one child left, the spare, is stopped here rather than left to notice that we are gone.
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if "grader.sandbox" in sys.modules:
        sys.modules["grader.sandbox"].shutdown()
    os._exit(code)


def _main() -> int:
    from grader.data import DataError

    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except DataError as exc:
        click.echo(f"grade: {exc}", err=True)
        return EXIT_USAGE
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a grader bug into exit 3
        click.echo(f"grade: internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_INTERNAL
    return EXIT_PASSED


if __name__ == "__main__":
    entry()
