"""The `pushscope` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pushscope import __version__
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.model import Limits
from pushscope.inspector.pipeline import Progress, analyze_paths
from pushscope.inspector.report import Report

if TYPE_CHECKING:
    from rich.console import Console

    from pushscope.inspector.pcap.keylog import KeyLog
    from pushscope.inspector.report.compare import Diff, Recording

EXIT_OK = 0
EXIT_FINDINGS = 1
"""A finding at or above --fail-on."""
EXIT_UNUSABLE = 2
PROGRESS_MIN_BYTES = 8 << 20
"""Inputs at least this large get a progress bar (when stderr is a terminal)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pushscope",
        description="Classify web traffic as REST, SSE, WebSocket or streaming, from captures.",
    )
    parser.add_argument("--version", action="version", version=f"pushscope {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    analyze = commands.add_parser(
        "analyze",
        help="analyse captures (mitmproxy flow files, HAR, pcap/pcapng) and print a report",
        description="Analyse captures: mitmproxy flow files and HAR (compressed or not), "
        "pcap and pcapng packet captures, pushscope feeds. "
        "The format is recognised from the content.",
    )
    analyze.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    analyze.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    analyze.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here")
    analyze.add_argument(
        "--fail-on",
        type=_severity,
        metavar="SEVERITY",
        help="exit 1 when a finding is at or above this severity (info, low, medium, high)",
    )
    analyze.add_argument(
        "--baseline",
        type=Path,
        metavar="REPORT",
        help="a JSON report written earlier (--format json): --fail-on counts only findings "
        "it does not hold, or holds at a lower severity",
    )
    _keylog_option(analyze)
    analyze.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="show secrets (credential headers, token-like query parameters) in the report",
    )
    diff = commands.add_parser(
        "diff",
        help="compare two captures or reports: findings gone, new and changed, and the cost",
        description="Compare BEFORE with AFTER: findings gone, new and changed, and the totals "
        "(requests and bytes per hour spent polling, staleness, protocols). Each is a capture "
        "(anything `analyze` reads) or a JSON report from `analyze --format json`.",
    )
    diff.add_argument("before", type=Path, metavar="BEFORE")
    diff.add_argument("after", type=Path, metavar="AFTER")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    diff.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the diff here")
    diff.add_argument(
        "--fail-on",
        type=_severity,
        metavar="SEVERITY",
        help="exit 1 when a new finding, or one that got worse, is at or above this severity",
    )
    view = commands.add_parser(
        "view",
        help="open captures, or follow an addon's live feed, in the viewer",
        description="Open captures in the viewer (everything `analyze` reads), or follow the "
        "JSONL feed the addon writes in your own mitmproxy (--follow).",
    )
    view.add_argument("paths", nargs="*", type=Path, metavar="CAPTURE")
    view.add_argument("--follow", type=Path, metavar="FEED", help="tail a pushscope_feed file")
    view.add_argument("--save", type=Path, metavar="DIR", help="write the report here on exit")
    _keylog_option(view)
    live = commands.add_parser(
        "live",
        help="run mitmproxy inside the viewer and watch the traffic sent through it",
        description="Start mitmproxy with the pushscope addon inside the viewer; point your "
        "clients at it (the screen says how, and how to trust its certificate authority).",
    )
    live.add_argument("--listen-host", default="127.0.0.1", metavar="HOST")
    live.add_argument("--listen-port", type=int, default=8080, metavar="PORT")
    live.add_argument(
        "--mode",
        action="append",
        metavar="MODE",
        help="mitmproxy proxy mode (regular, reverse:URL, socks5, upstream:URL...); repeatable",
    )
    live.add_argument("--confdir", type=Path, metavar="DIR", help="mitmproxy's confdir (CA)")
    live.add_argument(
        "--save", type=Path, metavar="DIR", help="write flows.mitm and report.json here"
    )
    demo = commands.add_parser(
        "demo",
        help="watch the demo app's live traffic, classified, in the viewer",
        description="Start the demo servers and clients on 127.0.0.1 and send their traffic "
        "through mitmproxy with the pushscope addon: in the viewer, or with --headless through "
        "a real mitmdump for a fixed time, then print the report.",
    )
    demo.add_argument(
        "--headless", action="store_true", help="print the report instead of opening the viewer"
    )
    demo.add_argument(
        "--duration", type=float, default=20.0, metavar="SECONDS", help="with --headless"
    )
    demo.add_argument(
        "--https",
        action="store_true",
        help="the servers speak HTTPS with HTTP/2 and wss, the clients HTTP/2, and mitmproxy "
        "intercepts the TLS",
    )
    demo.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    demo.add_argument("--save", type=Path, metavar="DIR", help="keep the flow file and report")
    export = commands.add_parser(
        "export",
        help="convert captures to HAR 1.2, WebSocket messages and SSE events included",
        description="Convert captures (anything `analyze` reads) into one HAR 1.2 file that "
        "keeps the real-time messages: WebSocket messages as Chrome writes them "
        "(_webSocketMessages), SSE events as _eventSourceMessages, bodies decoded.",
    )
    export.add_argument("paths", nargs="+", type=Path, metavar="CAPTURE")
    export.add_argument(
        "--har", type=Path, required=True, metavar="OUT", help="write the HAR file here"
    )
    commands.add_parser(
        "addon-path",
        help="print the path of the mitmproxy addon script",
        description='Print the path of the addon script: mitmdump -s "$(pushscope addon-path)"',
    )
    return parser


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "analyze":
        return analyze(args)
    if args.command == "diff":
        return diff(args)
    if args.command == "demo":
        return demo(args) if args.headless else viewer(args)
    if args.command in ("view", "live"):
        return viewer(args)
    if args.command == "export":
        return export(args)
    if args.command == "addon-path":
        from pushscope.addons import SCRIPT

        print(SCRIPT)
        return EXIT_OK
    return EXIT_OK  # pragma: no cover - argparse requires a command


class _Errors:
    """Problem lines on stderr, through a Rich console made when first needed: importing Rich
    costs some 20 ms, and a JSON report with no problems and no progress bar never uses it."""

    def __init__(self) -> None:
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def print(self, text: str, style: str | None = None) -> None:
        self.console.print(text, markup=False, style=style)

    def may_be_terminal(self) -> bool:
        """False when the console, if made, would not be a terminal (Rich says yes only for
        TTY_COMPATIBLE=1, a non-empty FORCE_COLOR, or a stderr that is a tty)."""
        environ = os.environ
        return bool(
            self._console is not None
            or environ.get("TTY_COMPATIBLE") == "1"
            or environ.get("FORCE_COLOR")
            or sys.stderr.isatty()
        )


def _keylog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keylog",
        action="append",
        type=Path,
        metavar="FILE",
        help="TLS key log (SSLKEYLOGFILE format) to decrypt packet captures with; repeatable "
        "(pcapng files' own decryption secrets are read without it)",
    )


def analyze(args: argparse.Namespace) -> int:
    errors = _Errors()
    keylog: KeyLog | None = None
    if args.keylog:  # only packet captures need one: most runs never import it
        from pushscope.inspector.pcap.keylog import KeyLogError, load_keylogs

        try:
            keylog = load_keylogs(args.keylog)
        except KeyLogError as e:
            print(f"pushscope: error: {e}", file=sys.stderr)
            return EXIT_UNUSABLE
    baseline = _read_report(args.baseline, errors) if args.baseline is not None else None
    with _progress(args.paths, errors) as progress:
        report, fatal = analyze_paths(
            args.paths,
            limits=_limits(args.format),
            redact=args.redact,
            progress=progress,
            keylog=keylog,
        )
    _print_problems(_problems(report), fatal, errors)
    failing: list[Finding] = []  # what --fail-on counts
    if baseline is not None:
        from pushscope.inspector.report.compare import compare

        comparison = compare(baseline.findings, report.findings)
        report.baselined = comparison.known
        if args.fail_on is not None:
            failing = comparison.failing(args.fail_on)
    elif args.fail_on is not None:
        failing = [f for f in report.findings if f.severity >= args.fail_on]
    try:
        _write(report, args.format, args.output)
    except OSError as e:
        errors.print(f"pushscope: error: cannot write {args.output}: {e.strerror or e}")
        return EXIT_UNUSABLE
    if fatal or (args.baseline is not None and baseline is None):
        return EXIT_UNUSABLE
    return EXIT_FINDINGS if failing else EXIT_OK


def diff(args: argparse.Namespace) -> int:
    """`diff`: BEFORE and AFTER compared; exit 1 if AFTER brings a finding at --fail-on."""
    errors = _Errors()
    before = _recording(args.before, errors)
    after = _recording(args.after, errors)
    if before is None or after is None:
        return EXIT_UNUSABLE
    from pushscope.inspector.report.compare import Diff

    result = Diff.of(before, after)
    try:
        _write_diff(result, args.format, args.output)
    except OSError as e:
        errors.print(f"pushscope: error: cannot write {args.output}: {e.strerror or e}")
        return EXIT_UNUSABLE
    if args.fail_on is not None and result.comparison.failing(args.fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


def _read_report(path: Path, errors: _Errors) -> Recording | None:
    """A JSON report read back (the --baseline, or a side of diff); None, said on stderr, if
    it is not a usable report."""
    from pushscope.inspector.report.read_report import ReportError, read_report

    try:
        return read_report(path)
    except ReportError as e:
        errors.print(f"pushscope: error: {e}", style="red")
        return None


def _recording(path: Path, errors: _Errors) -> Recording | None:
    """A JSON report read back, or a capture analysed; None (said on stderr) if unusable."""
    from pushscope.inspector.report.compare import Recording
    from pushscope.inspector.report.read_report import looks_like_report

    if looks_like_report(path):
        return _read_report(path, errors)
    with _progress([path], errors) as progress:
        report, fatal = analyze_paths([path], progress=progress)
    _print_problems(_problems(report), fatal, errors)
    return None if fatal else Recording.of_report(report, str(path))


def _problems(report: Report) -> list[tuple[str, list[str], int]]:
    """Each source's path, the problems kept, and how many there were."""
    return [(s.path, s.errors, s.error_count) for s in report.sources]


def _print_problems(
    sources: Sequence[tuple[str, list[str], int]], fatal: list[str], errors: _Errors
) -> None:
    for path, problems, count in sources:
        for problem in problems:
            errors.print(f"pushscope: {path}: {problem}")
        if count > len(problems):
            errors.print(f"pushscope: {path}: and {count - len(problems)} more problems")
    for message in fatal:
        errors.print(f"pushscope: error: {message}", style="red")


def export(args: argparse.Namespace) -> int:
    """`export --har`: every capture into one HAR file; 2 if an input or the output is
    unusable (the usable inputs are still exported)."""
    from pushscope.inspector.export_har import export_paths

    errors = _Errors()
    try:
        with _progress(args.paths, errors) as progress:
            exported = export_paths(args.paths, args.har, progress=progress)
    except OSError as e:
        errors.print(f"pushscope: error: cannot write {args.har}: {e.strerror or e}", style="red")
        return EXIT_UNUSABLE
    _print_problems(exported.problems, exported.fatal, errors)
    return EXIT_UNUSABLE if exported.fatal else EXIT_OK


def viewer(args: argparse.Namespace) -> int:
    """`view`, `live` and `demo`: the Textual viewer over one traffic source."""
    from pushscope.tui.main import run_viewer

    return run_viewer(args)


def demo(args: argparse.Namespace) -> int:
    try:
        from pushscope.demo.headless import run_headless
    except ImportError as e:
        print(f"pushscope: the demo cannot start: {e.name} is missing", file=sys.stderr)
        return EXIT_UNUSABLE
    with run_headless(args.duration, args.save, https=args.https) as (feed, runs):
        print("pushscope demo: client runs finished: " + ", ".join(runs), file=sys.stderr)
        report, fatal = analyze_paths([feed], limits=_limits(args.format))
    _write(report, args.format, None)
    return EXIT_UNUSABLE if fatal else EXIT_OK


def _limits(fmt: str) -> Limits | None:
    """What the analysis keeps: only the HTML report draws messages and events over time."""
    if fmt != "html":
        return None
    from pushscope.inspector.report.html import KEPT_MESSAGES

    return Limits(
        ws_messages=KEPT_MESSAGES, sse_events=KEPT_MESSAGES, preview_bytes=0, headers=False
    )


def _write(report: Report, fmt: str, output: Path | None) -> None:
    out: TextIO
    with open(output, "w", encoding="utf-8") if output else _stdout() as out:
        if fmt == "json":
            from pushscope.inspector.report.json_report import write_json

            write_json(report, out)
        elif fmt == "html":
            from pushscope.inspector.report.html import render_html

            out.write(render_html(report))
        elif fmt == "markdown":
            from pushscope.inspector.report.markdown import render_markdown

            out.write(render_markdown(report))
        else:
            from rich.console import Console

            from pushscope.inspector.report.text import write_text

            console = Console(file=out, highlight=False) if output else Console(highlight=False)
            write_text(report, console)


def _write_diff(result: Diff, fmt: str, output: Path | None) -> None:
    out: TextIO
    with open(output, "w", encoding="utf-8") if output else _stdout() as out:
        if fmt == "json":
            import json

            json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif fmt == "markdown":
            from pushscope.inspector.report.diff_markdown import render_diff_markdown

            out.write(render_diff_markdown(result) + "\n")
        else:
            from rich.console import Console

            from pushscope.inspector.report.diff_text import write_diff_text

            console = Console(file=out, highlight=False) if output else Console(highlight=False)
            write_diff_text(result, console)


@contextmanager
def _stdout() -> Iterator[TextIO]:
    yield sys.stdout


@contextmanager
def _progress(paths: Sequence[Path], errors: _Errors) -> Iterator[Progress | None]:
    total = sum(p.stat().st_size for p in paths if p.is_file())
    if total < PROGRESS_MIN_BYTES or not errors.may_be_terminal() or not errors.console.is_terminal:
        yield None
        return
    console = errors.console
    from rich.progress import BarColumn, DownloadColumn, TextColumn
    from rich.progress import Progress as Bar

    # Refreshed from `update`, not by Rich's own thread: a process with no other thread may
    # fork a reader (`inspector.readers.ahead`).
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        console=console,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("reading", total=total)
        done: dict[str, int] = {}
        shown = [0.0]

        def update(path: str, position: int, size: int) -> None:
            done[path] = min(position, size)
            bar.update(task, completed=sum(done.values()), description=Path(path).name)
            if (now := time.monotonic()) - shown[0] >= 0.1:
                shown[0] = now
                bar.refresh()

        yield update


if __name__ == "__main__":
    sys.exit(main())
