"""The operator's bash scripts: upgrade.sh, rollback.sh and uninstall.sh (C-10).

Each plan step becomes one numbered step that runs exactly its argv. The
scripts are plain text built from the plan alone, so the same plan always gives
the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.plan.model import Plan, Step
from compiler.render.shellwords import shell_quote
from compiler.render.templating import render
from compiler.repo.layout import BASE_SECRETS_DIR_PLACEHOLDER, SECRETS_DIR_PLACEHOLDER

TEMPLATE = "script.sh.j2"
FINGERPRINT_CHARS = 12
# Inside single quotes these are data, but shellcheck warns about them (SC2016, SC1003).
SHELLCHECK_SUSPECTS = ("$", "`", "\\")
# What a live check that finds a region done skips: everything that changes it. Checks, verification and
# gates still run, so a rerun still proves the region healthy before the next one starts.
CHANGE_PHASES = frozenset({"backup", "scale", "maintenance", "upgrade", "restart", "uninstall", "restore"})


def render_scripts(plan: Plan) -> dict[str, str]:
    """File name → text of each script; uninstall.sh only when the plan removes a region."""
    scripts = {
        "upgrade.sh": _script(plan, "upgrade.sh", "upgrade", plan.steps),
        "rollback.sh": _script(plan, "rollback.sh", "rollback", plan.rollback),
    }
    if plan.uninstall:
        scripts["uninstall.sh"] = _script(plan, "uninstall.sh", "uninstall", plan.uninstall)
    return scripts


def _script(plan: Plan, script: str, kind: str, steps: Sequence[Step]) -> str:
    title = _one_line(f"{kind} plan of environment {plan.environment} (service {plan.service})")
    uninstalling = kind == "uninstall"
    guarded = [step.id for step in steps if step.guards_data]
    return render(
        TEMPLATE,
        script=script,
        title=title,
        fingerprint=_one_line(plan.fingerprint.removeprefix("sha256:")[:FINGERPRINT_CHARS]),
        steps=steps,
        commands=[_run_words(step.argv) if step.argv is not None else "" for step in steps],
        secrets_files=_secrets_files(steps),
        base_secrets_files=_secrets_files(steps, BASE_SECRETS_DIR_PLACEHOLDER),
        literal_steps=_literal_steps(steps),
        live_checks=live_checks(steps),
        skippable=skippable_steps(steps),
        help=_help(script, title, len(steps), guarded, secrets=_reads_secrets(steps), base=_reads_base_secrets(steps)),
        guarded=guarded,
        confirm_release=plan.env.release if uninstalling else None,
        data_loss=_data_loss_warning(plan, steps) if uninstalling else [],
    )


def live_checks(steps: Sequence[Step]) -> set[int]:
    """Numbers (1-based) of the steps that check a region's live release (``rollplan preflight``)."""
    return {n for n, step in enumerate(steps, start=1) if step.phase == "preflight" and _is_live_check(step)}


def skippable_steps(steps: Sequence[Step]) -> set[int]:
    """Numbers of the steps that change a region and follow its live check: skipped when it finds the region done.

    A step of the whole environment after live checks is skipped when every checked region was found done.
    """
    found: set[int] = set()
    checked: set[str] = set()
    for number, step in enumerate(steps, start=1):
        if step.region is None:
            # A step of the whole environment (a database restore) is done when every region checked is:
            # a rerun of a finished run must not restore the backup over the writes made since.
            if step.phase in CHANGE_PHASES and checked:
                found.add(number)
            continue
        if step.phase == "preflight" and _is_live_check(step):
            checked.add(step.region)
        elif step.phase in CHANGE_PHASES and step.region in checked:
            found.add(number)
    return found


def _is_live_check(step: Step) -> bool:
    return step.argv is not None and tuple(step.argv[:2]) == ("rollplan", "preflight")


def _run_words(argv: Sequence[str]) -> str:
    """``shell_join(argv)``, except that the secrets folder placeholders become the script's variables.

    The target's ``${ROLLPLAN_SECRETS_DIR}/e/r.yaml`` becomes ``"$secrets_dir"'/e/r.yaml'``; the base's
    ``${ROLLPLAN_BASE_SECRETS_DIR}/e/r.yaml`` becomes ``"$base_secrets_dir"'/e/r'"$base_secrets_ext"``, whose
    folder and ending (``.yaml`` or ``.base.yaml``) the script chooses before its first step.
    """
    words = []
    for word in argv:
        if word.startswith(SECRETS_DIR_PLACEHOLDER + "/"):
            words.append('"$secrets_dir"' + shell_quote(word.removeprefix(SECRETS_DIR_PLACEHOLDER)))
        elif word.startswith(BASE_SECRETS_DIR_PLACEHOLDER + "/") and word.endswith(".yaml"):
            stem = word.removeprefix(BASE_SECRETS_DIR_PLACEHOLDER).removesuffix(".yaml")
            words.append('"$base_secrets_dir"' + shell_quote(stem) + '"$base_secrets_ext"')
        else:
            words.append(shell_quote(word))
    return " ".join(words)


def _secrets_files(steps: Sequence[Step], placeholder: str = SECRETS_DIR_PLACEHOLDER) -> list[str]:
    """The secrets files the steps read, relative to the folder ``placeholder`` stands for (``/<env>/<region>``).

    The target's keep their ``.yaml``; the base's are given without it, since the script picks the ending.
    """
    found = {
        word.removeprefix(placeholder)
        for step in steps
        for word in step.argv or ()
        if word.startswith(placeholder + "/")
    }
    if placeholder == BASE_SECRETS_DIR_PLACEHOLDER:
        found = {file.removesuffix(".yaml") for file in found}
    return sorted(found)


def _reads_secrets(steps: Sequence[Step]) -> bool:
    return bool(_secrets_files(steps) or _secrets_files(steps, BASE_SECRETS_DIR_PLACEHOLDER))


def _reads_base_secrets(steps: Sequence[Step]) -> bool:
    return bool(_secrets_files(steps, BASE_SECRETS_DIR_PLACEHOLDER))


def _literal_steps(steps: Sequence[Step]) -> set[int]:
    """Numbers (1-based) of the steps with a word shellcheck would take for an expansion."""
    found: set[int] = set()
    for number, step in enumerate(steps, start=1):
        words = (*(step.argv or ()), step.description, step.risk or "")
        if any(char in word for word in words for char in SHELLCHECK_SUSPECTS):
            found.add(number)
    return found


def _help(script: str, title: str, total: int, guarded: list[str], *, secrets: bool, base: bool) -> list[str]:
    listed = ["", "Steps that guard data here (--confirm takes these ids):", *(f"  {i}" for i in guarded)]
    lines = [
        f"Usage: {script} [--yes] [--dry-run] [--from N] [--confirm STEP-ID]..."
        + (" [--secrets DIR]" if secrets else "")
        + (" [--base-secrets DIR]" if base else ""),
        "",
        f"Runs the {title}: {total} step(s), one at a time.",
        "Each step prints its command before running it; a failed or refused step",
        "stops the script, and --from N resumes at step N once the cause is fixed.",
        "",
        "Options:",
        "  -y, --yes      do not stop for confirmations (manual steps are still printed);",
        "                 a step that guards data (backup, restore, Redis maintenance,",
        "                 data loss) still needs an answer at a terminal or --confirm",
        "  -n, --dry-run  print every step and command, run nothing",
        f"  --from N       start at step N (1 to {max(total, 1)})",
        "  --confirm ID   confirm the step ID that guards data without asking (repeatable)",
    ]
    if secrets:
        lines += [
            "  --secrets DIR  folder of the secrets files <env>/<region>.yaml, kept outside the",
            "                 repository (default: the ROLLPLAN_SECRETS_DIR variable); helm reads each as its",
            "                 last -f. The script stops before its first step if one is missing.",
        ]
    if base:
        lines += [
            "  --base-secrets DIR",
            "                 folder of the secrets the base was deployed with, <env>/<region>.yaml",
            "                 (default: the ROLLPLAN_BASE_SECRETS_DIR variable). Without it the steps that",
            "                 apply the base release read <env>/<region>.base.yaml from the secrets folder, or,",
            "                 when there is none, the current <env>/<region>.yaml, with a warning first.",
        ]
    return [*lines, "  -h, --help     show this help", *(listed if guarded else [])]


def _data_loss_warning(plan: Plan, steps: Sequence[Step]) -> list[str]:
    regions = _uninstall_regions(steps)
    where = ", ".join(regions) if regions else f"environment {plan.environment}"
    return [
        f"WARNING: the next steps uninstall Helm release {plan.env.release} "
        f"(namespace {plan.env.namespace}) from: {where}.",
        "Data the release keeps there may be lost for good.",
    ]


def _uninstall_regions(steps: Sequence[Step]) -> list[str]:
    regions: list[str] = []
    for step in steps:
        if step.phase == "uninstall" and step.region and step.region not in regions:
            regions.append(step.region)
    return regions


def _one_line(text: str) -> str:
    """``text`` safe to put in a `#` comment: a line break would end the comment."""
    return " ".join(text.split())
