"""The click pieces every command of ``grade`` shares: --lang, the translated help, the grading options, SIZE.

Both the student's commands (:mod:`grader.cli`) and the teacher's (:mod:`grader.cli.teaching`) import them from
here, so neither imports the other. Imports click, the base modules and, when a grading starts, the judge.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from grader import i18n, registry
from grader.errors import KitError, UsageProblem
from grader.i18n import N_, _
from grader.judge import devices
from grader.sandbox.limits import size
from grader.settings import DEFAULT_MEMORY

SIZE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
MIN_SCORE_HELP = N_("Exit 0 when the score reaches these points and 1 below them, whatever single checks did.")
MIN_PERCENT_HELP = N_("Exit 0 when the score reaches this percentage of the maximum and 1 below it.")
REQUIRE_HELP = N_("Refuse to grade unless the sandbox has these layers, e.g. namespaces,landlock or all (for batch, Gradescope and CI).")
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
        # Click handles eager options in the order they are typed, and a typed one before one left out: `grade --help`
        # would print the help before the group's --lang (absent: GRADER_LANG, the locale) had chosen, and `grade run
        # --help --lang ru` before --lang is seen. So the language is chosen first, from the arguments as typed and,
        # for the group, from the environment.
        if (asked := split_lang(args)[0]) is not None or ctx.parent is None:
            speak(ctx, None, asked)
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        options = [p for p in self.params if isinstance(p, click.Option)]
        saved = [(self, self.help), *((p, p.help) for p in options)]
        defaults = [(p, p.show_default) for p in options if isinstance(p.show_default, str)]  # a default in words
        try:
            for thing, text in saved:
                thing.help = _(text) if text else text
            for option, text in defaults:
                option.show_default = _(text)
            return super().format_help(ctx, formatter)
        finally:
            for thing, text in saved:
                thing.help = text
            for option, text in defaults:
                option.show_default = text

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
    "--require-isolation", "require", envvar="GRADER_REQUIRE_ISOLATION", show_envvar=True, callback=parse_layers, help=REQUIRE_HELP
)


class Refusal(click.ClickException):
    """A KitError as click shows an error: one line, ``grade: ...``, and the error's own exit code."""

    def __init__(self, error: KitError):
        internal = not isinstance(error, UsageProblem)
        super().__init__(_("internal error: {error}").format(error=error) if internal else str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(_("grade: {problem}").format(problem=self.format_message()), err=True)


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
            show_envvar=True,
            show_default=N_("the kit's data/"),
            help=N_("Folder holding the MNIST .gz files."),
        ),
        require_isolation,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def grading_settings(submission, seed, device, timeout_scale, memory, data_dir, require=()):
    """The Settings of a grading from its options; a missing folder is a usage error."""
    from grader.judge import expected
    from grader.settings import Settings

    submission = (submission or registry.default_submission()).resolve()
    if submission.is_file():  # the exercise's file itself, a common first try: say what to pass instead
        raise click.BadParameter(
            _("{file} is a file; pass the folder that holds it: --submission {folder}").format(file=submission, folder=submission.parent),
            param_hint="'--submission'",
        )
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
