"""The command line: argv in, exit code out. The one error boundary (C-14).

Exit codes: 0 success; 1 invalid input or a plan blocked by policy;
2 command-line usage; 3 `check` found stale output; 4 internal error (a bug).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

from compiler import console
from compiler.errors import CommandLineError, RollplanError, UsageError

EXIT_INTERNAL = 4

DESCRIPTION = """\
Compile safe, reviewable multi-region plans for a Helm-deployed service.

rollplan reads environments/<env>/ specs and release-notes/ from the working
tree (the target) and from git at --base (what is deployed), and writes
generated/<env>/: plan.md, plan.json, upgrade.sh, rollback.sh, values/,
argocd/, flux/ and alerts.yaml.
"""

EPILOG = """\
examples:
  rollplan init gitops --env prod --regions eastus,westus2
                                          scaffold a working repository
  rollplan demo /tmp/rollplan-demo        build the worked example with a pending change
  rollplan validate                       check every spec, report all problems at once
  rollplan compile                        write generated/ for every environment
  rollplan compile --env prod --base origin/main
  rollplan check                          in CI: exit 3 when generated/ is stale
  rollplan diff --env prod                the redacted values diff per region
  rollplan drift --env prod               read-only: does every cluster run the plan's base?
  rollplan promote --env prod --commit    staged rollout: the next region, after the last one's gate

exit codes: 0 ok, 1 invalid input or blocked plan, 2 usage, 3 stale output or live drift, 4 internal error
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandLineError(self.prog, message, self.format_usage())


def _common(parser: argparse.ArgumentParser, *, base: bool = True, envs: bool = True) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (default: current directory)")
    if envs:
        parser.add_argument(
            "--env", action="append", default=[], metavar="NAME", help="only this environment (repeatable; default all)"
        )
    if base:
        parser.add_argument(
            "--base", metavar="REV", help="git revision holding the deployed state "
            "(default: the merge-base of HEAD and the deployed branch, see rollplan.yaml)"
        )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def _jobs_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return count


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs", type=_jobs_count, default=None, metavar="N",
        help="environments compiled at once, in separate processes (default: the machine's cores)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rollplan", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"rollplan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _common(sub.add_parser("validate", help="run every check compile runs, report all problems at once"))
    compile_parser = sub.add_parser("compile", help="plan and write generated/<env>/")
    _common(compile_parser)
    compile_parser.add_argument(
        "--commit", action="store_true", help="commit generated/ on a new branch (never pushes)"
    )
    compile_parser.add_argument(
        "--branch", metavar="NAME", help="branch for --commit (default rollplan/<env>-<version>)"
    )
    compile_parser.add_argument(
        "--onto-deployed-branch", action="store_true", help="let --commit commit on the deployed branch itself"
    )
    loudness = compile_parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="list every file written")
    loudness.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors and warnings")
    compile_parser.add_argument(
        "--force", action="store_true", help="replace or remove files under generated/ that rollplan did not write"
    )
    _jobs(compile_parser)
    check_parser = sub.add_parser("check", help="exit 3 when generated/ does not match a fresh compile")
    _common(check_parser)
    _jobs(check_parser)
    diff = sub.add_parser("diff", help="print the redacted values diff per region")
    _common(diff)
    diff.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes (like git diff)")
    _common(sub.add_parser("drift", help="compare each region's live release with the plan's base (exit 3 on drift)"))
    _preflight_parser(sub.add_parser("preflight", help="check one region's live release (run by the scripts)"))
    _promote_parser(sub.add_parser("promote", help="move a staged rollout one region on (gitops.promotion: staged)"))
    schema = sub.add_parser("schema", help="write schemas/*.schema.json from the spec models")
    _common(schema, base=False, envs=False)
    schema.add_argument("--check", action="store_true", help="exit 3 when the schema files are out of date")
    demo = sub.add_parser("demo", help="build the worked example as a git repository in DIR")
    demo.add_argument("dir", type=Path, metavar="DIR", help="a new or empty directory")
    demo.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    demo.add_argument("--format", choices=("text",), default="text", help=argparse.SUPPRESS)
    from compiler.commands.init import add_parser as add_init

    add_init(sub)
    return parser


def _preflight_parser(parser: argparse.ArgumentParser) -> None:
    from compiler.live.verdict import MODES

    parser.add_argument("--region", required=True, help="region the check guards")
    parser.add_argument("--mode", choices=MODES, default="forward", help="the script's direction")
    parser.add_argument("--base", required=True, metavar="CHART@SHA256", help="the base fingerprint, or none")
    parser.add_argument("--target", required=True, metavar="CHART@SHA256", help="the target fingerprint, or none")
    parser.add_argument("--secret-words", default="", metavar="W,W", help="key words that make a value secret")
    parser.add_argument("--secret-path", action="append", default=[], metavar="PATH", help="a secret values path")
    parser.add_argument("--resume", metavar="SCRIPT:N", help="the plan's script that stops regions, and its restore")
    parser.add_argument("query", nargs=argparse.REMAINDER,
                        help="-- helm get metadata ... -- helm get values ... [-- kubectl ... get WORKLOAD ...]")
    parser.add_argument("--format", choices=("text",), default="text", help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def _promote_parser(promote: argparse.ArgumentParser) -> None:
    _common(promote, base=False, envs=False)
    promote.add_argument("--env", required=True, metavar="NAME", help="the environment whose rollout moves")
    promote.add_argument("--rollback", action="store_true", help="move the last promoted region back instead")
    promote.add_argument("--confirm", action="store_true", help="the previous region's gate passed: do not ask")
    promote.add_argument("--commit", action="store_true", help="commit generated/<env>/ on the current branch")


def _jobs_or_cores(jobs: int | None) -> int:
    from compiler.parallel import default_jobs

    return default_jobs() if jobs is None else jobs


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rollplan")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    as_json = _wants_json(args_list)  # before parsing, so that usage errors come as JSON too
    try:
        args = _parse(args_list)
        if args is None:
            return 0
        as_json = args.format == "json"
        return _dispatch(args, as_json)
    except RollplanError as err:
        _report(err, as_json)
        return err.exit_code
    except KeyboardInterrupt:
        console.progress("interrupted")
        return 130
    except Exception as exc:
        console.internal_error(exc, debug)
        if as_json:
            message = f"internal error: {type(exc).__name__}: {exc}"
            console.document({"ok": False, "exit_code": EXIT_INTERNAL, "message": message})
        return EXIT_INTERNAL


def _report(err: RollplanError, as_json: bool) -> None:
    if as_json:
        try:
            console.document(console.error_document(err))
            return
        except RollplanError:  # stdout is gone: say it on stderr
            pass
    console.error(err)


def _wants_json(args_list: list[str]) -> bool:
    pairs = itertools.pairwise(args_list)
    return "--format=json" in args_list or any(a == "--format" and b == "json" for a, b in pairs)


def _parse(args_list: list[str]) -> argparse.Namespace | None:
    """The parsed command line; None when argparse already answered (--help, --version).

    argparse ends those with SystemExit(0); turning that into a return keeps
    ``main()`` an argv-in, exit-code-out function that embedders can call.
    """
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(args_list)
        if extra:  # told by the subcommand, with its usage: `rollplan compile: error: …`
            _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
        return args
    except SystemExit as done:
        if done.code not in (0, None):
            raise
        return None


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    actions = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = next(actions).choices[command]
    return found


def _dispatch(args: argparse.Namespace, as_json: bool) -> int:
    command: str = args.command
    if command == "demo":
        from compiler.commands import demo

        return demo.run(args.dir)
    if command == "preflight":
        from compiler.commands import preflight

        secrets = preflight.secret_rules(args.secret_path, args.secret_words)
        return preflight.run(args.region, args.mode, args.base, args.target, secrets, args.query, args.resume)

    if command == "init":
        from compiler.commands import init

        return init.run(args.dir, env=args.env, regions=args.regions, service=args.service, version=args.version,
                        branch=args.deployed_branch, force=args.force, repo_url=args.repo_url)  # fmt: skip
    root: Path = args.root
    if not root.is_dir():
        raise UsageError(f"--root {root}: not a directory")
    if command == "schema":
        from compiler.commands import schema

        return schema.run(root, check=args.check, as_json=as_json)
    if command == "validate":
        from compiler.commands import validate

        return validate.run(root, args.env, args.base, as_json=as_json)
    if command == "compile":
        from compiler.commands import compile as compile_command

        loudness = -1 if args.quiet else int(args.verbose)
        return compile_command.run(
            root,
            args.env,
            args.base,
            as_json=as_json,
            commit=args.commit,
            branch=args.branch,
            verbosity=loudness,
            force=args.force,
            jobs=_jobs_or_cores(args.jobs),
            onto_deployed=args.onto_deployed_branch,
        )
    if command == "promote":
        from compiler.commands import promote

        return promote.run(root, args.env, rollback=args.rollback, confirm=args.confirm, commit=args.commit,
                           as_json=as_json)  # fmt: skip
    if command == "check":
        from compiler.commands import check

        return check.run(root, args.env, args.base, as_json=as_json, jobs=_jobs_or_cores(args.jobs))
    if command == "drift":
        from compiler.commands import drift

        return drift.run(root, args.env, args.base, as_json=as_json)
    from compiler.commands import diff

    return diff.run(root, args.env, args.base, as_json=as_json, exit_code=args.exit_code)
