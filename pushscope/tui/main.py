"""`pushscope view`, `live` and `demo`: build the traffic source, run the viewer, save."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pushscope.inspector.pcap.keylog import KeyLogError, load_keylogs
from pushscope.tui.sources import CaptureSource, DemoSource, FollowSource, LiveSource, TrafficSource

EXIT_OK = 0
EXIT_UNUSABLE = 2


def _fail(message: str) -> int:
    print(f"pushscope: error: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def source_for(args: argparse.Namespace) -> TrafficSource | str:
    """The source the command asks for, or a one-line reason why there is none."""
    if args.command == "view":
        if args.follow is not None and args.paths:
            return "give captures or --follow FEED, not both"
        if args.follow is not None:
            return FollowSource(args.follow)
        if not args.paths:
            return "nothing to view: give one or more captures, or --follow FEED"
        missing = [str(p) for p in args.paths if not p.is_file()]
        if missing:
            return f"{missing[0]}: no such file"
        try:
            keylog = load_keylogs(args.keylog) if getattr(args, "keylog", None) else None
        except KeyLogError as e:
            return str(e)
        return CaptureSource(args.paths, keylog)
    try:
        if args.command == "demo":
            return DemoSource(save=args.save, https=args.https)
        return LiveSource(
            args.listen_host, args.listen_port, args.mode or ["regular"], args.save, args.confdir
        )
    except ImportError as e:
        return f"the {args.command} command cannot start: {e.name} is missing"


def run_viewer(args: argparse.Namespace) -> int:
    source = source_for(args)
    if isinstance(source, str):
        return _fail(source)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        other = "pushscope demo --headless" if args.command == "demo" else "pushscope analyze"
        return _fail(f"the viewer needs a terminal; without one, use `{other}`")
    if isinstance(source, LiveSource):
        from pushscope.addons.embedded import ProxyStartError

        try:
            source.start()  # before the screen opens: a port in use is a plain error
        except ProxyStartError as e:
            return _fail(str(e))
    from pushscope.tui.app import PushscopeApp

    app = PushscopeApp(source)
    try:
        app.run()
    finally:
        source.stop()
    if app.return_code:  # the app failed (Textual has shown why): nothing to save
        return app.return_code
    save = getattr(args, "save", None)
    if args.command == "view" and save is not None:
        _save_view(source, args.paths, save)
    elif save is not None:
        print(f"pushscope: saved flows.mitm and report.json in {save}", file=sys.stderr)
    return EXIT_OK


def _save_view(source: TrafficSource, paths: list[Path], directory: Path) -> None:
    """What `view --save` keeps: the report, and the flows of captures mitmproxy reads."""
    from pushscope.inspector.report.json_report import write_json

    directory.mkdir(parents=True, exist_ok=True)
    report = directory / "report.json"
    with open(report, "w", encoding="utf-8") as out:
        write_json(source.report(), out)
    print(f"pushscope: wrote {report}", file=sys.stderr)
    if paths:
        from pushscope.addons.flowfile import save_flows

        flows = directory / "flows.mitm"
        for note in save_flows(paths, flows):
            print(f"pushscope: {note}", file=sys.stderr)
        if flows.exists():
            print(f"pushscope: wrote {flows}", file=sys.stderr)
