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

from grader import devices, formats, i18n, policy, registry
from grader.document import DocumentError
from grader.errors import ExitCode, KitError, UsageProblem
from grader.i18n import N_, _
from grader.sandbox.limits import DEFAULT_MEMORY, size

SIZE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
MIN_SCORE_HELP = N_("Exit 0 when the score reaches these points and 1 below them, whatever single checks did.")
MIN_PERCENT_HELP = N_("Exit 0 when the score reaches this percentage of the maximum and 1 below it.")
REQUIRE_HELP = N_(
    "Refuse to grade unless the sandbox has these layers, e.g. namespaces,landlock or all (for batch, Gradescope and CI). "
    "[env: GRADER_REQUIRE_ISOLATION]"
)
LANG_HELP = N_("The language of the report, the feedback and the messages: en or ru. [env: GRADER_LANG; default: the locale's, else en]")


def speak(ctx, param, value):
    """--lang, on the group and on every command: the language is chosen before anything is said or started.
    The group's (given or not) decides from GRADER_LANG and the locale; a command's, when given, overrides it."""
    if value is None and ctx.parent is not None:
        return value
    try:
        language = i18n.choose_and_use(value)
    except UsageProblem as exc:
        raise Refusal(exc) from None
    i18n.tell_click(language)
    return language


def split_lang(args: list[str]) -> tuple[str | None, list[str]]:
    """The value of the last ``--lang X`` or ``--lang=X`` in ``args`` (before ``--``; None without one), and ``args``
    without them: --lang is the one option the group and every command share."""
    asked, kept, rest = None, [], iter(args)
    for arg in rest:
        if arg == "--":
            kept += [arg, *rest]
        elif arg == "--lang":
            asked = next(rest, None)
        elif arg.startswith("--lang="):
            asked = arg.partition("=")[2]
        else:
            kept.append(arg)
    return asked, kept


def lang_option():
    """A fresh --lang option (click binds an option object to one command)."""
    return click.Option(["--lang"], callback=speak, is_eager=True, expose_value=False, metavar="[en|ru]", help=LANG_HELP)


class Speaking:
    """A command whose help is in the chosen language: its own help and its options' are source strings, translated when shown."""

    def parse_args(self, ctx, args):
        # Click handles eager options in the order they are typed, so `grade run --help --lang ru` would print the
        # help before --lang is seen: the language is chosen first, from the arguments as typed.
        if (asked := split_lang(args)[0]) is not None:
            speak(ctx, None, asked)
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        saved = [(self, self.help), *((p, p.help) for p in self.params if isinstance(p, click.Option))]
        try:
            for thing, text in saved:
                thing.help = _(text) if text else text
            return super().format_help(ctx, formatter)
        finally:
            for thing, text in saved:
                thing.help = text

    def get_short_help_str(self, limit: int = 45) -> str:
        saved = self.help
        self.help = _(saved) if saved else saved
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = saved


def parse_layers(ctx, param, value):
    """--require-isolation's layer names, checked by click (a usage error names the bad one)."""
    from grader.sandbox.layers import parse

    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


require_isolation = click.option(
    "--require-isolation", "require", envvar="GRADER_REQUIRE_ISOLATION", callback=parse_layers, help=REQUIRE_HELP
)


class Refusal(click.ClickException):
    """A KitError as click shows an error: one line, ``grade: ...``, and the error's own exit code."""

    def __init__(self, error: KitError):
        internal = not isinstance(error, UsageProblem)
        super().__init__(_("internal error: {error}").format(error=error) if internal else str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(_("grade: {problem}").format(problem=self.format_message()), err=True)


TEACHER_COMMANDS = ("batch", "worker", "gradescope-bundle", "generate", "notebooks", "release")  # in grader.teaching


class DefaultToRun(Speaking, click.Group):
    """``grade 3`` means ``grade run 3``: exercise names are the common case, subcommands the rare one.

    The teacher's commands (:mod:`grader.teaching`) are loaded when one is asked for; a student release has none,
    and says so. This is also the one place where the kit's own errors become exit codes (:mod:`grader.errors`)."""

    def parse_args(self, ctx, args):
        first = next(iter(split_lang(args)[1]), None)  # `grade --lang ru --help` asks for the group's help
        named = first in self.commands or first in TEACHER_COMMANDS
        if first is None or (not named and first not in ctx.help_option_names and first != "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def add_command(self, cmd, name=None):
        if not any(p.name == "lang" for p in cmd.params):  # --lang on every command, the teacher's included
            cmd.params.append(lang_option())
        super().add_command(cmd, name)

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *(() if in_release() else TEACHER_COMMANDS)})

    def get_command(self, ctx, name):
        if name in TEACHER_COMMANDS and name not in self.commands:
            if in_release():
                return refused_in_release(name)
            from grader import teaching

            for command in teaching.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KitError as exc:
            raise Refusal(exc) from None


def in_release() -> bool:
    from grader import expected

    return expected.in_release()


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


class BareContext(click.Context):
    """Usage lines say ``grade [OPTIONS] [EXERCISES]...``, as students type it, not ``grade run``."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class SpeakingCommand(Speaking, click.Command):
    pass


class RunCommand(SpeakingCommand):
    context_class = BareContext


class Size(click.ParamType):
    """``4G``, ``512M``, ``4GiB`` or a byte count, as bytes; ``none``, ``off`` or ``0`` lifts the limit (None)."""

    name = "size"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int):
            return value
        if value.strip().lower() in ("none", "0", "off"):
            return None
        match = SIZE_TEXT.match(value)
        if not match:
            self.fail(_("{value!r} is not a size; write it like 4G, 512M or 4GiB").format(value=value), param, ctx)
        number, unit = match.groups()
        return int(float(number) * 1024 ** "bkmgt".index(unit.lower() or "b"))


SIZE = Size()


def resolve_targets(words: tuple[str, ...]):
    if not words or any(w.lower() == "all" for w in words):
        return list(registry.EXERCISES)
    try:
        chosen = [registry.resolve(w) for w in words]
    except registry.UnknownExercise as exc:
        raise click.UsageError(_("{problem} (see 'grade list')").format(problem=exc)) from None
    return list(dict.fromkeys(chosen))


# click's own texts, which its catalog translates (grader/locale/click.pot); click's --version fixes them at import.
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


SUBMISSION_OPTION = click.option(
    "--submission",
    type=click.Path(path_type=Path),
    help=N_("Folder with exercises/<stem>.py or <stem>.py files. [default: the kit's exercises/]"),
)


SEED_OPTION = click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    help=N_("Replay a run: the inputs are drawn from this seed. [default: a fresh one, printed]"),
)


def grading_options(command):
    """The options of every grading, shared by ``grade run``, ``grade watch`` and ``grade batch``."""
    options = [
        click.option(
            "--device",
            type=click.Choice(devices.CHOICES),
            default="cpu",
            show_default=True,
            help=N_("Where the training checks run; auto takes CUDA when it is there."),
        ),
        click.option(
            "--timeout-scale",
            type=click.FloatRange(min=0.1, max=100),
            default=1.0,
            show_default=True,
            help=N_("Multiply every time limit, for slow machines."),
        ),
        click.option(
            "--memory-limit",
            "memory",
            type=SIZE,
            default=DEFAULT_MEMORY,
            show_default=size(DEFAULT_MEMORY),
            help=N_("Memory for student code per check, e.g. 4G or 512M; 'none' lifts it."),
        ),
        click.option(
            "--data-dir",
            type=click.Path(path_type=Path, file_okay=False),
            envvar="GRADER_DATA",
            help=N_("Folder holding the MNIST .gz files. [env: GRADER_DATA; default: the kit's data/]"),
        ),
        require_isolation,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def grading_settings(submission, seed, device, timeout_scale, memory, data_dir, require=()):
    """The Settings of a grading from its options; a missing folder is a usage error."""
    from grader import engine, expected
    from grader.settings import Settings

    submission = (submission or engine.default_submission()).resolve()
    if not submission.is_dir():
        raise click.BadParameter(
            _("folder {folder} does not exist; pass the folder with your exercises").format(folder=submission), param_hint="'--submission'"
        )
    return Settings(
        submission=submission,
        seed=expected.run_seed(seed),  # a SeedError for a seed a student release has no answers for
        device=devices.resolve(device),
        timeout_scale=timeout_scale,
        memory=memory,
        data_dir=data_dir.resolve() if data_dir else None,
        require=require,
        lang=i18n.current(),
    )


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
def run_command(exercises, submission, fmt, seed, device, timeout_scale, memory, data_dir, require, min_score, min_percent):
    chosen = resolve_targets(exercises)
    policy.check(min_score, min_percent)
    from grader import sandbox

    # The zygote imports torch in its own process while this one imports pytest and the checks.
    sandbox.start(preload=("grader.plugin", *(e.check_module for e in chosen)))
    from grader import engine, history  # imported here so that `grade list` and usage errors stay fast

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
    began = time.monotonic()
    training = start_reference(settings, chosen)
    try:
        doc, internal = engine.grade(settings, chosen)
        formats.emit(doc, fmt, seconds=time.monotonic() - began)
        if training is not None or in_release():
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
    """The reference run whose curves the picture of exercise 6 shows (:mod:`grader.reference_run`), started
    now so that it trains while the checks run; None when no exercise graded draws curves, or in a student release,
    which has no reference solution to train."""
    if in_release():
        return None
    from grader import own_files, reference_run
    from grader.registry import find_module

    if not reference_run.wanted(chosen) or find_module(settings.submission, reference_run.STEM) is None:
        return None
    return reference_run.Run(settings, settings.submission / own_files.FOLDER / reference_run.CACHE_NAME)


def show_curves(doc: dict, submission: Path, training, err: bool) -> None:
    """After grading exercise 6: its training curves' picture in the submission's ``.grade/``, and where it is
    (``training``: the reference run to draw beside it, None in a student release).
    The text report holds the summary already; other formats keep stdout for the document, so both lines go to stderr."""
    from grader import curves, own_files

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
    from grader.document import validate

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
    from grader import history, progress
    from grader.engine import collect, default_submission

    totals = progress.totals(collect(registry.EXERCISES))
    for line in progress.course_lines(totals, history.standings((submission or default_submission()).resolve())):
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

    sandbox.start(preload=("grader.plugin", *(e.check_module for e in registry.EXERCISES)))  # n moves on to any exercise
    settings = grading_settings(submission, seed, device, timeout_scale, memory, data_dir, require)
    from grader import watch

    start = named or watch.start_on(settings.submission)
    watch.Watch(settings, start, fixed_seed=seed is not None, keys=sys.stdin.isatty()).run()


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


if __name__ == "__main__":
    entry()
