"""python -m infra.local run | token --role ROLE --scope CODE | redrive --aws URL"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the local stack with the demo province")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument("--province", default="guizhou")
    run.add_argument("--no-demo", action="store_true", help="start with an empty directory")
    token = commands.add_parser("token", help="print a bearer token for a person")
    token.add_argument("--role", required=True, choices=["department", "reviewer", "admin"])
    token.add_argument("--scope", default="", help="department code, or region code for a reviewer")
    token.add_argument("--hours", type=float, default=12)
    redrive = commands.add_parser("redrive", help="move dead letters back to their queues")
    redrive.add_argument("--aws", required=True, help="the embedded AWS's URL, as `run` prints its port")
    args = parser.parse_args(argv)
    if args.command == "token":
        return _token(args)
    if args.command == "redrive":
        from infra.local.faults import redrive as move_back

        print(move_back(args.aws))
        return 0
    return _run(args)


def _token(args: argparse.Namespace) -> int:
    from functions.core.domain.errors import Unauthenticated
    from functions.core.domain.scopes import person
    from infra.local.stack import local_identity

    try:
        # The same checks the authorizer makes: a token it would refuse is never printed.
        who = person(args.role, args.scope or None)
    except Unauthenticated as refused:
        print(f"python -m infra.local token: {refused.message} (got --scope {args.scope!r})", file=sys.stderr)
        return 2
    print(local_identity().token(who.role.value, who.scope, hours=args.hours))
    return 0


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines would drown the log
    from infra.local.stack import start

    # DIRECTORY=guizhou-full (or guizhou-10pct, guizhou-1pct): the generated directory of Guizhou's size
    # instead of the demo one, through the API's bulk import once the stack serves.
    directory = os.environ.get("DIRECTORY", "demo")
    generated = directory != "demo" and not args.no_demo
    if generated:
        from infra.local.directory_import import DIRECTORY_SIZES

        if directory not in DIRECTORY_SIZES:
            print(f"DIRECTORY must be demo or one of {', '.join(DIRECTORY_SIZES)}", file=sys.stderr)
            return 2
    stack = start(
        host=args.host, port=args.port, province=args.province, load_demo=not args.no_demo and not generated
    )
    if generated:
        _load_generated(stack.url, directory)
    print(
        f"haochaping local stack on {stack.url} (province {args.province}; embedded AWS on port "
        f"{stack.moto_port}).\nChannel key: x-api-key: {next(iter(stack.api_keys))}\n"
        "A person's token: .venv/bin/python -m infra.local token --role admin\n"
        "Data lives only as long as this process. Ctrl-C stops everything.",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("stopped", flush=True)
    return 0


def _load_generated(url: str, directory: str) -> None:
    from infra.local.directory_import import import_generated
    from infra.local.stack import local_identity

    def progress(state: object) -> None:
        print(f"directory {directory}: {getattr(state, 'rows_sent', 0):,} entries imported", flush=True)

    print(f"importing the {directory} directory through POST /v1/directory/import ...", flush=True)
    done = import_generated(url, local_identity().token("admin", None), directory, progress=progress)
    print(f"directory {directory}: {done.rows_sent:,} entries in {done.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
