"""mitmproxy with the pushscope addon inside another program (the TUI): no terminal output,
started and stopped from ordinary code, in a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from mitmproxy import addons as mitmproxy_addons
from mitmproxy import exceptions, options
from mitmproxy.addons.script import ScriptLoader
from mitmproxy.log import MitmFormatter
from mitmproxy.master import Master
from mitmproxy.proxy import mode_specs

from pushscope.addons.live import Pushscope
from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.model import Limits

LOG_LINES = 1000
"""Recent log lines an `EmbeddedProxy` keeps."""

CAPTURED_LOGGERS = ("mitmproxy", "pushscope")
"""Loggers whose records go to `EmbeddedProxy.log` (and nowhere else) while it runs."""

STOP_GRACE = 5.0
"""Seconds connections still open at shutdown get to finish being cancelled."""

_one_at_a_time = threading.Lock()
"""mitmproxy keeps its master and options in process-wide globals (`mitmproxy.ctx`)."""


class ProxyStartError(Exception):
    """The proxy could not start; the message is one line a user can act on."""


class _LogCapture(logging.Handler):
    """Keeps formatted records in a bounded deque, and the errors logged during start-up."""

    def __init__(self, lines: deque[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines
        self.starting = True
        self.startup_errors: list[str] = []
        self.setFormatter(MitmFormatter(colorize=False))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
            if self.starting and record.levelno >= logging.ERROR:
                self.startup_errors.append(record.getMessage())
        except Exception:
            self.handleError(record)


class _Redirect:
    """Sends the captured loggers to one handler only, and puts them back as they were."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler
        self.saved: list[tuple[logging.Logger, int, bool]] = []

    def install(self) -> None:
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.level, logger.propagate))
            logger.addHandler(self.handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False  # the host's root handlers (a stderr stream) never see them

    def restore(self) -> None:
        for logger, level, propagate in self.saved:
            logger.removeHandler(self.handler)
            logger.setLevel(level)
            logger.propagate = propagate
        self.saved = []


class _StartupCheck:
    """The last addon in the chain: at `running`, tells the starting thread whether every
    proxy server listens, and where."""

    def __init__(self, proxy: EmbeddedProxy) -> None:
        self.proxy = proxy

    def running(self) -> None:
        self.proxy._servers_up()


class EmbeddedProxy:
    """A mitmproxy master running the pushscope addon in a dedicated thread with its own
    asyncio event loop, silent: its log lines go to `log`, never to the terminal.

    Why a thread and loop of its own: while it runs, mitmproxy's master installs an eager task
    factory and its own exception handler on the loop it runs in; they must not leak into the
    host's loop (the Textual app's). mitmproxy also keeps its master in process-wide globals,
    so one `EmbeddedProxy` runs at a time per process; run one after another as often as
    needed. An instance is started once.

    `ssl_insecure` accepts any upstream certificate (the demo's self-signed servers).

    `observers` are called on the PROXY thread, from mitmproxy's hooks: return quickly and
    hand over to the host's thread (e.g. `App.call_from_thread`, or a queue drained in
    batches). `analyzer` (the addon's) is likewise updated on the proxy thread.
    """

    def __init__(
        self,
        observers: Sequence[Observer] = (),
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 8080,
        mode: Sequence[str] = ("regular",),
        confdir: Path | None = None,
        save_flows: Path | None = None,
        report: Path | None = None,
        feed: Path | None = None,
        limits: Limits | None = None,
        ssl_insecure: bool = False,
    ) -> None:
        self.addon = Pushscope(observers=observers, limits=limits)
        self.ssl_insecure = ssl_insecure
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.mode = list(mode)
        self.confdir = Path(confdir or options.CONF_DIR).expanduser()
        self.save_flows = save_flows
        self.report = report
        self.feed = feed
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self._capture = _LogCapture(self.log)
        self._redirect = _Redirect(self._capture)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: Master | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self._port: int | None = None
        self._holds_lock = False

    # -- the interface

    def start(self, timeout: float = 30.0) -> None:
        """Start and return once the proxy listens (the first run in a confdir also creates
        the CA). Raises `ProxyStartError` with a one-line reason when it cannot."""
        if self._thread is not None:
            raise RuntimeError("an EmbeddedProxy starts once; create a new one to run again")
        for spec in self.mode:
            try:
                mode_specs.ProxyMode.parse(spec)
            except ValueError as exc:
                raise ProxyStartError(f"invalid proxy mode {spec!r}: {exc}") from None
        if not _one_at_a_time.acquire(blocking=False):
            raise ProxyStartError("another embedded proxy is already running in this process")
        self._holds_lock = True
        self._redirect.install()
        self._thread = threading.Thread(target=self._run, name="pushscope-proxy", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            self._released()
            raise
        if not self._ready.wait(timeout):
            self._error = f"the proxy did not start within {timeout:g} s"
        if self._error is not None:
            error = self._error
            with contextlib.suppress(RuntimeError):
                self.stop()
            raise ProxyStartError(error)

    def stop(self, timeout: float = 15.0) -> None:
        """Shut down gracefully, as mitmdump does on Ctrl-C: the addon writes the report, the
        flow file is closed, open connections are cancelled, the thread is joined. Idempotent;
        raises `RuntimeError` if the thread is still alive after `timeout` seconds."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        if self._master is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._master.shutdown()
        if thread is threading.current_thread():
            return  # asked from an observer: shutting down, cannot wait for itself
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the embedded proxy did not stop within {timeout:g} s")

    @property
    def url(self) -> str:
        """The proxy's URL, e.g. ``http://127.0.0.1:8080`` (the actual port when asked for 0)."""
        if self._port is None:
            raise RuntimeError("the proxy is not listening (start it first)")
        host = self.listen_host or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port}"

    @property
    def ca_cert(self) -> Path:
        """mitmproxy's CA certificate (PEM), created in the confdir at the first start."""
        return self.confdir / "mitmproxy-ca-cert.pem"

    @property
    def analyzer(self) -> Analyzer:
        """The addon's analyzer: every exchange seen so far (updated on the proxy thread)."""
        if self.addon.analyzer is None:
            raise RuntimeError("the proxy has not been started")
        return self.addon.analyzer

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._port is not None

    def trust_hint(self) -> list[str]:
        """A few lines telling a user how to send a client's traffic through the proxy."""
        url, ca = self.url, self.ca_cert
        if self.mode != ["regular"]:
            return [
                f"Proxy listening at {url} (mode {', '.join(self.mode)}).",
                f"For HTTPS, clients must trust mitmproxy's CA: {ca}",
                "Modes: https://docs.mitmproxy.org/stable/concepts-modes/",
            ]
        return [
            f"Send a client through the proxy: curl --proxy {url} --cacert {ca} https://example.com",
            f"Most tools honour HTTP_PROXY={url} HTTPS_PROXY={url} (and NO_PROXY, which may "
            "exclude localhost).",
            f"For HTTPS, trust the CA {ca}: SSL_CERT_FILE or REQUESTS_CA_BUNDLE for Python, "
            "NODE_EXTRA_CA_CERTS for Node.",
            "Or open http://mitm.it in a browser that uses the proxy to install the CA.",
        ]

    def __enter__(self) -> EmbeddedProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the proxy thread

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            if not self._ready.is_set():
                self._error = _one_line(exc)
            else:
                logging.getLogger(__name__).error("pushscope: the proxy failed: %s", exc)
        finally:
            if self._error is None and not self._ready.is_set():
                self._error = "the proxy stopped while starting; see its log"
            self._ready.set()
            self._released()

    def _released(self) -> None:
        self._capture.starting = False
        self._redirect.restore()
        if self._holds_lock:
            self._holds_lock = False
            _one_at_a_time.release()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        # mitmproxy's handler covers only `Master.run`; connections cancelled at shutdown
        # report to the loop afterwards, which by default would print to stderr.
        self._loop.set_exception_handler(_loop_exception)
        opts = options.Options(
            confdir=str(self.confdir),
            listen_host=self.listen_host,
            listen_port=self.listen_port,
        )
        master = Master(opts, event_loop=self._loop)  # no termlog: nothing printed
        master.addons.add(*self._chain(), _StartupCheck(self))
        try:
            opts.update(**self._options())
        except exceptions.OptionsError as exc:
            self._error = _one_line(exc)
            await master.done()  # uninstalls the root log handler the master added
            return
        self._master = master
        try:
            await master.run()
        finally:
            await self._close_servers(master)

    def _chain(self) -> list[Any]:
        """mitmproxy's default addons with pushscope where `-s` scripts run: right after the
        script loader, so its hooks run before `save` writes a flow (an SSE body streamed
        past mitmproxy is put back into the flow at `response`, before it is saved)."""
        chain: list[Any] = mitmproxy_addons.default_addons()
        at = next(i for i, addon in enumerate(chain) if isinstance(addon, ScriptLoader)) + 1
        chain.insert(at, self.addon)
        return chain

    def _options(self) -> dict[str, Any]:
        def path(value: Path | None) -> str:
            return str(value) if value is not None else ""

        return {
            "mode": self.mode,
            "command_history": False,
            "save_stream_file": path(self.save_flows),
            "pushscope_report": path(self.report),
            "pushscope_feed": path(self.feed),
            "ssl_insecure": self.ssl_insecure,
        }

    def _servers_up(self) -> None:
        """At mitmproxy's `running` hook: note the port, or why a server did not start."""
        assert self._master is not None
        proxyserver: Any = self._master.addons.get("proxyserver")
        servers = list(proxyserver.servers)
        for server in servers:
            if not server.is_running:
                self._error = _server_error(server.last_exception, self.listen_host)
        if self._error is None and self._capture.startup_errors:
            self._error = self._capture.startup_errors[0].splitlines()[0]
        if self._error is None:
            ports = [addr[1] for server in servers for addr in server.listen_addrs]
            if ports:
                self._port = ports[0]
            else:
                self._error = "the proxy started but listens nowhere"
        self._capture.starting = False
        if self._error is not None:
            self._master.shutdown()
        self._ready.set()

    @staticmethod
    async def _close_servers(master: Master) -> None:
        """Stop listening, then give open connections a bounded time to be cancelled (so that
        `asyncio.run` has nothing left that could make it wait without bound)."""
        proxyserver: Any = master.addons.get("proxyserver")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proxyserver.servers.update([]), STOP_GRACE)
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=STOP_GRACE)


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The proxy loop's exception handler outside `Master.run`: to the log, not stderr."""
    exc = context.get("exception")
    if isinstance(exc, asyncio.CancelledError):
        return  # a connection cancelled at shutdown (asyncio.streams in Python 3.12.1 says so)
    logging.getLogger(__name__).error(
        "pushscope: %s",
        context.get("message", "unhandled error in the proxy loop"),
        exc_info=exc if isinstance(exc, BaseException) else None,
    )


def _server_error(exc: BaseException | None, host: str) -> str:
    """A one-line reason a proxy server failed to listen."""
    if isinstance(exc, OSError):
        where = _listen_address(exc, host)
        if exc.errno == errno.EADDRINUSE:
            return f"cannot listen on {where}: the port is already in use (choose another port)"
        if exc.errno == errno.EACCES:
            return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"cannot listen on {where}: that address is not on this machine"
    return _one_line(exc) if exc is not None else "a proxy server did not start; see its log"


def _listen_address(exc: OSError, host: str) -> str:
    # mitmproxy's message: "<mode> failed to listen on HOST:PORT with ..."
    text = str(exc)
    marker = "failed to listen on "
    if marker in text:
        return text.split(marker, 1)[1].split(" ", 1)[0]
    return host or "*"


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
