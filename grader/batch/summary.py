"""``summary.md``: what the class did, for the teacher.

Per exercise the score distribution; per check the pass rate, hardest first; the students whose
code hit errors or timeouts or whose files could not be graded; and the copy groups.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from grader.batch.copies import Group, Match
from grader.i18n import N_, _, ngettext, number, percent, worth
from grader.sandbox.layers import notes
from grader.status import TROUBLE, CheckStatus, ExerciseStatus, shown

BANDS = ("0", "< 25%", "25–50%", "50–75%", "75–99%", N_("full"))  # the keys; the headers are translated
RATES_NOTE = N_("Pass rates among the students who handed the exercise in (a check skipped on this machine counts for none).")
COPIES_NOTE = N_(
    "Flagged for a person to look at; nothing was deducted. Code is compared after dropping comments, "
    "docstrings and layout and renaming identifiers; functions identical to the stub or to the reference "
    "solution are left out, since matching on them proves nothing."
)
REFERENCE_NOTE = N_(
    "Functions identical to the reference solution after the same normalisation (a leaked answer key, copied as it is "
    "or renamed). Short functions that anyone might write alike are left out. A flag for a person to look at; nothing "
    "was deducted."
)


def band(score: float, maximum: float) -> str:
    if maximum <= 0 or score <= 0:
        return "0" if score <= 0 < maximum else "full"
    share = score / maximum
    if share >= 1:
        return "full"
    return BANDS[1 + min(int(share * 4), 3)]


def render(records: list[dict], groups: list[Group], matches: list[Match] = ()) -> str:
    if not records:
        return _("# Batch summary") + "\n\n" + _("No student has been graded yet.") + "\n"
    stems = [part["exercise"] for part in records[0]["exercises"]]
    seeds = sorted({r["seed"] for r in records})
    lines = [
        _("# Batch summary"),
        "",
        ngettext(
            "{count} student · seed {seeds} · exercises {exercises} · {points} in all",
            "{count} students · seed {seeds} · exercises {exercises} · {points} in all",
            len(records),
        ).format(count=len(records), seeds=", ".join(map(str, seeds)), exercises=", ".join(stems), points=worth(records[0]["max_score"])),
        "",
        _("Sandbox: {layers} (the layers of isolation that held for student code; see the README's sandbox section)").format(
            layers=", ".join(records[0].get("isolation") or [_("not recorded")])
        ),
        *notes(records[0]),
        "",
    ]
    lines += [*_distribution(records, stems), "", *_checks(records), "", *_troubled(records), ""]
    lines += [*_reference(matches), "", *_copies(groups)]
    return "\n".join(lines) + "\n"


def band_headers() -> list[str]:
    """The bands' column headers (:data:`BANDS` are their keys), percentages in the language's style: «< 25 %»."""
    ranges = (f"{low}–{percent(high, 0)}" for low, high in ((25, 50), (50, 75), (75, 99)))
    return [BANDS[0], "< " + percent(25, 0), *ranges, _(BANDS[-1])]


def _distribution(records: list[dict], stems: list[str]) -> list[str]:
    lines = [
        _("## Scores per exercise"),
        "",
        _("| exercise | max | mean | median | lowest | highest |") + " " + " | ".join(band_headers()) + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(BANDS),
    ]
    rows = [(stem, [(p["score"], p["max_score"]) for r in records for p in r["exercises"] if p["exercise"] == stem]) for stem in stems]
    rows.append((_("**total**"), [(r["score"], r["max_score"]) for r in records]))
    for name, pairs in rows:
        scores = [s for s, _ in pairs]
        maximum = max(m for _, m in pairs)
        bands = [sum(band(s, m) == b for s, m in pairs) for b in BANDS]
        lines.append(
            f"| {name} | {number(maximum)} | {number(statistics.fmean(scores), 2)} | {number(statistics.median(scores))} | "
            f"{number(min(scores))} | {number(max(scores))} | " + " | ".join(map(str, bands)) + " |"
        )
    lines += ["", _("The band columns count students by their share of the exercise's points.")]
    return lines


@dataclass(frozen=True)
class Rate:
    """One check's pass rate among the students who handed its exercise in (a check skipped on this machine counts for none)."""

    name: str  # "stem::check"
    points: float
    hint: str
    passed: int
    handed_in: int
    other: dict[str, int]  # status -> how many students' checks ended so, besides passed

    @property
    def rate(self) -> float | None:
        return self.passed / self.handed_in if self.handed_in else None


def pass_rates(records: list[dict]) -> list[Rate]:
    """Every check's pass rate, hardest first (the checks nobody handed in last)."""
    table: dict[str, dict] = {}
    for record in records:
        for part in record["exercises"]:
            for item in part["checks"]:
                row = table.setdefault(
                    f"{part['exercise']}::{item['name']}",
                    {"points": item["max_score"], "hint": item["hint"], "handed_in": 0, "passed": 0, "other": {}},
                )
                row["hint"] = row["hint"] or item["hint"]  # an exercise that is missing or does not import gives its checks none
                if part["status"] == ExerciseStatus.MISSING:
                    continue
                if item["status"] != CheckStatus.SKIPPED:  # a check that could not run here (CUDA on a CPU) is no one's failure
                    row["handed_in"] += 1
                if item["status"] == CheckStatus.PASSED:
                    row["passed"] += 1
                else:
                    row["other"][item["status"]] = row["other"].get(item["status"], 0) + 1
    rates = [Rate(name, **row) for name, row in table.items()]
    return sorted(rates, key=lambda r: (r.rate is None, r.rate or 0.0, r.name))


def other_outcomes(rate: Rate) -> str:
    """``2 failed, 1 error``: the statuses besides passed, commonest first."""
    return ", ".join(f"{count} {shown(status)}" for status, count in sorted(rate.other.items(), key=lambda kv: (-kv[1], kv[0])))


def _checks(records: list[dict]) -> list[str]:
    lines = [
        _("## Checks, hardest first"),
        "",
        _(RATES_NOTE),
        "",
        _("| check | points | passed | pass rate | other outcomes |"),
        "|---|---:|---:|---:|---|",
    ]
    for rate in pass_rates(records):
        shown = "–" if rate.rate is None else percent(100 * rate.rate, 0)
        lines.append(f"| {rate.name} | {number(rate.points)} | {rate.passed}/{rate.handed_in} | {shown} | {other_outcomes(rate)} |")
    return lines


def _troubled(records: list[dict]) -> list[str]:
    lines = [_("## Students with errors or timeouts"), ""]
    troubled = [r for r in records if r["batch"]["status"] not in ("graded", "missing") or _has_trouble(r)]
    if not troubled:
        return [*lines, _("None: every submission was read and every check ran to an answer.")]
    lines += [_("| student | status | what happened |"), "|---|---|---|"]
    for record in troubled:
        batch = record["batch"]
        lines.append(f"| {_escape(batch['student'])} | {shown(batch['status'])} | {_escape(batch['note'])} |")
    return lines


def _has_trouble(record: dict) -> bool:
    return any(item["status"] in TROUBLE for part in record["exercises"] for item in part["checks"])


def functions_of(match: Match) -> str:
    """``exercise1_tensors: matmul, matmul_by_hand``: one exercise's functions that match the reference."""
    return f"{match.exercise}: {', '.join(match.functions)}"


def _reference(matches: list[Match]) -> list[str]:
    lines = [_("## Matches the reference solution"), "", _(REFERENCE_NOTE), ""]
    if not matches:
        return [*lines, _("None found.")]
    lines += [_("| student | exercise | functions |"), "|---|---|---|"]
    lines += [f"| {_escape(m.student)} | {m.exercise} | {', '.join(m.functions)} |" for m in matches]
    return lines


def _copies(groups: list[Group]) -> list[str]:
    lines = [
        _("## Possible copies"),
        "",
        _(COPIES_NOTE),
        "",
    ]
    if not groups:
        return [*lines, _("None found.")]
    lines += [_("| exercise | students | how close |"), "|---|---|---|"]
    for group in groups:
        close = _("identical") if group.identical else _("{percent} similar").format(percent=percent(100 * group.similarity, 0))
        lines.append(f"| {group.exercise} | {', '.join(map(_escape, group.students))} | {close} |")
    return lines


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
