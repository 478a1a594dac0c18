"""The ``grade`` command: ``grade exercise3``, ``grade all --format json``, ``grade list``.

Exit codes: 0 every check passed, 1 a check failed, 2 a usage error, 3 the grader itself failed.
With --min-score or --min-percent, 0 and 1 say only whether the score reached that minimum.

Layer: the top. The student's commands live here, the teacher's in :mod:`.teaching`, and what both
share in :mod:`.options`; ``grade --help`` and ``grade list`` import neither torch nor NumPy.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import click

from grader import formats, i18n, registry
from grader.cli.options import (
    MIN_PERCENT_HELP,
    MIN_SCORE_HELP,
    SEED_OPTION,
    SUBMISSION_OPTION,
    Refusal,
    RunCommand,
    Speaking,
    SpeakingCommand,
    grading_options,
    grading_settings,
    lang_option,
    resolve_targets,
    split_lang,
)
from grader.errors import ExitCode, KitError, UsageProblem
from grader.formats.document import DocumentError
from grader.i18n import N_, _
from grader.judge import policy

STARTED = time.monotonic()  # the command's start: a format's grading time (Gradescope's execution_time) counts torch's import too

# What a student release answers, with a refusal, for the teacher's commands it has not (grader.cli.teaching is left
# out of it); in the teacher's kit the commands come from that module itself (teacher_commands), and a test keeps both.
RELEASE_REFUSES = ("batch", "export", "worker", "gradescope-bundle", "generate", "notebooks", "release")


def teacher_commands() -> dict[str, click.Command]:
    """The teacher's commands by name, from their own module; none in a student release."""
    if registry.in_release():
        return {}
    from grader.cli import teaching

    return {command.name: command for command in teaching.COMMANDS}


class DefaultToRun(Speaking, click.Group):
    """``grade 3`` means ``grade run 3``: exercise names are the common case, subcommands the rare one.

    The teacher's commands (:mod:`grader.cli.teaching`) are loaded when one is asked for; a student release has none,
    and says so. This is also the one place where the kit's own errors become exit codes (:mod:`grader.errors`)."""

    def parse_args(self, ctx, args):
        first = next(iter(split_lang(args)[1]), None)  # `grade --lang ru --help` asks for the group's help
        named = first in self.commands or first in teacher_commands() or (registry.in_release() and first in RELEASE_REFUSES)
        if first is None or (not named and first not in ctx.help_option_names and first != "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def add_command(self, cmd, name=None):
        if not any(p.name == "lang" for p in cmd.params):  # --lang on every command, the teacher's included
            cmd.params.append(lang_option())
        super().add_command(cmd, name)

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *teacher_commands()})

    def get_command(self, ctx, name):
        if name not in self.commands:
            if registry.in_release() and name in RELEASE_REFUSES:
                return refused_in_release(name)
            if name in (teaching := teacher_commands()):
                self.add_command(teaching[name])
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KitError as exc:
            raise Refusal(exc) from None


def refused_in_release(name: str) -> click.Command:
    def refuse():
        raise UsageProblem(
            _(
                "grade {name} is a teacher's command, and this is a student release (made by grade release): "
                "run it in the teacher's kit, which has the reference solutions"
            ).format(name=name)
        )

    return click.Command(name, callback=refuse, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                         help=N_("A teacher's command: not in a student release."), hidden=True)  # fmt: skip


VERSION_TEXT, VERSION_HELP = "%(prog)s, version %(version)s", "Show the version and exit."


def show_version(ctx, param, value):
    """--version, as click's own prints it, in the language chosen by the time it is shown."""
    if value and not ctx.resilient_parsing:
        from grader import __version__

        click.echo(_(VERSION_TEXT) % {"prog": "grade", "version": __version__})
        ctx.exit()


MAIN_HELP = N_(
    "Grade the PyTorch exercises: `grade 3`, `grade exercise3` and `grade autograd` are the same.\n\n"
    "`grade run --help` lists the grading options (--submission, --format, --seed, ...)."
)


@click.group(cls=DefaultToRun, context_settings={"help_option_names": ["-h", "--help"]}, help=MAIN_HELP)
@click.option("--version", is_flag=True, is_eager=True, expose_value=False, callback=show_version, help=VERSION_HELP)
def main():
    """The ``grade`` group; its help (MAIN_HELP) is given to click, translated when shown, as every command's is."""


main.params.append(lang_option())  # the group's --lang, as every command's (DefaultToRun.add_command)


@main.command("run", cls=RunCommand, help=N_("Grade EXERCISES (numbers, names or topics; 'all' or nothing for every one)."))
@click.argument("exercises", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.NAMES),
    default="text",
    show_default=True,
    help=N_("text for people; json, junit, github or gradescope for programs (only the document on stdout)."),
)
@SUBMISSION_OPTION
@SEED_OPTION
@grading_options
@click.option("--min-score", type=float, help=MIN_SCORE_HELP)
@click.option("--min-percent", type=float, help=MIN_PERCENT_HELP)
@click.option("--hints", is_flag=True, help=N_("Show each failing check's full hint, not only its nudge (what to look at)."))
def run_command(exercises, submission, fmt, seed, device, timeout_scale, memory, data_dir, require, min_score, min_percent, hints):
    chosen = resolve_targets(exercises)
    policy.check(min_score, min_percent)
    from grader import sandbox

    # The zygote imports torch in its own process while this one imports pytest and the checks.
    sandbox.start(preload=("grader.judge.plugin", *(e.check_module for e in chosen)))
    from grader.judge import engine  # imported here so that `grade list` and usage errors stay fast
    from grader.student import history, ticker  # imported here so that `grade list` and usage errors stay fast

    settings = grading_settings(submission, seed, device, timeout_scale, memory, data_dir, require)
    submission = settings.submission
    if fmt != "json":
        names = ", ".join(e.name for e in chosen)
        click.echo(
            _("Grading {exercises} of {submission} with seed {seed} ...").format(
                exercises=names, submission=submission, seed=settings.seed
            ),
            err=True,
        )
    training = start_reference(settings, chosen)
    try:
        with ticker.on_terminal(sys.stderr if fmt == "text" else None) as ticking:  # a training check's epochs, as it runs
            doc, internal = engine.grade(settings, chosen, progress=ticking)
        formats.emit(doc, fmt, seconds=time.monotonic() - STARTED, hints=hints)
        if training is not None or registry.in_release():
            show_curves(doc, submission, training, err=fmt != "text")
    finally:
        if training is not None:
            training.cancel()
    if fmt == "text" and (warning := history.record(submission, doc, by="grade")):  # the report for people: a student's own run
        click.echo(_("grade: {warning}").format(warning=warning), err=True)
    if internal:
        said = i18n.ngettext(
            "grade: {count} check failed inside the grader itself; please report this",
            "grade: {count} checks failed inside the grader itself; please report this",
            internal,
        )
        click.echo(said.format(count=internal), err=True)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(policy.exit_code(doc, min_score, min_percent))


def start_reference(settings, chosen):
    """The reference run whose curves the picture of exercise 6 shows (:mod:`grader.course.reference_run`), started
    now so that it trains while the checks run; None when no exercise graded draws curves, or in a student release,
    which has no reference solution to train."""
    if registry.in_release():
        return None
    from grader import own_files
    from grader.course import reference_run
    from grader.registry import find_module

    if not reference_run.wanted(chosen) or find_module(settings.submission, reference_run.STEM) is None:
        return None
    return reference_run.Run(settings, settings.submission / own_files.FOLDER / reference_run.CACHE_NAME)


def show_curves(doc: dict, submission: Path, training, err: bool) -> None:
    """After grading exercise 6: its training curves' picture in the submission's ``.grade/``, and where it is
    (``training``: the reference run to draw beside it, None in a student release).
    The text report holds the summary already; other formats keep stdout for the document, so both lines go to stderr."""
    from grader import own_files
    from grader.formats import curves

    found = curves.of(doc)
    if found is None:  # the module is missing, or its training never ran to an end
        return
    reference = training.result() if training is not None else None
    if err:
        click.echo(curves.summary(found), err=True)
    try:
        click.echo(_("Training curves: {path}").format(path=curves.write_picture(submission, found, reference)), err=err)
    except OSError as exc:
        said = _("grade: the training curves could not be written into {folder}: {problem}")
        click.echo(said.format(folder=submission / own_files.FOLDER, problem=exc.strerror or exc), err=True)
    if training is None:
        click.echo(_("The picture has no reference curve: a student release has no reference solution to train."), err=err)
    elif training.problem:
        click.echo(_("The picture has no reference curve: {problem}").format(problem=training.problem), err=err)


@main.command(
    "render",
    cls=SpeakingCommand,
    help=N_("Print a saved result DOCUMENT (from --format json; '-' reads stdin) in another format, without grading again."),
)
@click.argument("document", type=click.File("r", encoding="utf-8"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.NAMES),
    default="text",
    show_default=True,
    help=N_("The format to print the saved document in."),
)
@click.option("--min-score", type=float, help=MIN_SCORE_HELP)
@click.option("--min-percent", type=float, help=MIN_PERCENT_HELP)
def render_command(document, fmt, min_score, min_percent):
    from grader.formats.document import validate

    policy.check(min_score, min_percent)
    try:
        doc = json.load(document)
        validate(doc)
    except ValueError as exc:  # the JSON itself, or the document against the schema the kit ships
        raise DocumentError(
            _("{file} is not a result document of grade --format json ({problem})").format(file=document.name, problem=exc)
        ) from None
    formats.emit(doc, fmt)
    sys.exit(policy.exit_code(doc, min_score, min_percent))


@main.command(
    "list",
    cls=SpeakingCommand,
    help=N_("Show the exercises, their titles and points, and with a history of gradings each one's best and last score."),
)
@SUBMISSION_OPTION
def list_command(submission):
    from grader.judge.listing import listed
    from grader.student import history, progress

    totals = progress.totals(listed(registry.EXERCISES))
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None  # a pipe gets whole titles
    for line in progress.course_lines(totals, history.standings((submission or registry.default_submission()).resolve()), columns):
        click.echo(line)


@main.command(
    "watch",
    cls=SpeakingCommand,
    help=N_("Student: re-grade EXERCISE on every save of its file (the first without full marks when none is named)."),
)
@click.argument("exercise", required=False)
@SUBMISSION_OPTION
@SEED_OPTION
@grading_options
def watch_command(exercise, submission, seed, device, timeout_scale, memory, data_dir, require):
    try:
        named = registry.resolve(exercise) if exercise else None
    except registry.UnknownExercise as exc:
        raise click.UsageError(_("{problem} (see 'grade list')").format(problem=exc)) from None
    from grader import sandbox

    sandbox.start(preload=("grader.judge.plugin", *(e.check_module for e in registry.EXERCISES)))  # n moves on to any exercise
    settings = grading_settings(submission, seed, device, timeout_scale, memory, data_dir, require)
    from grader.student import watch

    start = named or watch.start_on(settings.submission)
    keys = sys.stdin.isatty() and sys.platform != "win32"  # a Windows console has no termios: Ctrl-C alone, no keys
    watch.Watch(settings, start, fixed_seed=seed is not None, keys=keys).run()


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
    """Run a command; every exception the kit raises on purpose becomes its exit code here, and only here."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo(_("Aborted."), err=True)
        return ExitCode.INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (ExitCode.PASSED if exc.code is None else ExitCode.FAILED)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a grader bug into exit 3
        click.echo(_("grade: internal error: {kind}: {problem}").format(kind=type(exc).__name__, problem=exc), err=True)
        return ExitCode.INTERNAL
    return ExitCode.PASSED
