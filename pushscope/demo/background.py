"""The demo traffic in the background of another program (the TUI): the demo servers and
every demo client, through a given proxy, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
from collections import Counter, deque
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pushscope.demo.app import run_until
from pushscope.demo.common import clients_trusting
from pushscope.demo.servers import run_servers

if TYPE_CHECKING:
    from pushscope.demo.tls import Certificate

LOG_LINES = 200
CAPTURED_LOGGERS = ("uvicorn", "websockets", "httpx", "httpcore", "pushscope.demo")
"""Loggers of the servers and clients whose warnings go to `DemoTraffic.log` while it runs."""


class _LogCapture(logging.Handler):
    def __init__(self, lines: deque[str]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)


class DemoTraffic:
    """Runs the demo servers and clients (REST, polling, SSE, WebSocket) through `proxy_url`
    in a thread with its own event loop, until `stop()`; loopback only, and silent: the
    servers' and clients' warnings go to `log`, not the terminal.

    With `tls` (the servers' certificate, and the CA the clients trust: the intercepting
    proxy's), the servers speak HTTPS with HTTP/2 and wss, and so do the clients."""

    def __init__(self, proxy_url: str, tls: tuple[Certificate, Path] | None = None) -> None:
        host = urlsplit(proxy_url).hostname or ""
        if not _is_loopback(host):
            raise ValueError(f"the demo sends traffic to a proxy on loopback only, not {host!r}")
        self.proxy_url = proxy_url
        self.tls = tls
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self._capture = _LogCapture(self.log)
        self._saved: list[tuple[logging.Logger, bool]] = []
        self._done: Counter[str] = Counter()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def counts(self) -> Counter[str]:
        """Runs finished per client so far (``"<client> (failed)"`` for runs that failed)."""
        # Copied in one C-level dict merge under the GIL, while the demo thread counts on.
        return Counter(dict(self._done))

    def start(self, timeout: float = 20.0) -> None:
        """Start the servers and the clients; return once the servers listen."""
        if self._thread is not None:
            raise RuntimeError("DemoTraffic starts once; create a new one to run again")
        self._redirect_logs()
        self._thread = threading.Thread(target=self._run, name="pushscope-demo", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            error = self._error
            with contextlib.suppress(RuntimeError):
                self.stop()
            raise RuntimeError("the demo servers did not start") from error

    def stop(self, timeout: float = 30.0) -> None:
        """Cancel the clients, stop the servers, join the thread (bounded). Idempotent."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the demo traffic did not stop within {timeout:g} s")

    def __enter__(self) -> DemoTraffic:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()
            self._restore_logs()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        # run_servers starts its own thread and waits for it: brief, before any client runs.
        certificate, ca = self.tls or (None, None)
        with (
            run_servers(certificate=certificate) as urls,
            clients_trusting(ca) if ca is not None else contextlib.nullcontext(),
        ):
            self._ready.set()
            await run_until(urls, self.proxy_url, self._stop_event.wait(), self._done)

    def _redirect_logs(self) -> None:
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.propagate))
            logger.addHandler(self._capture)
            logger.propagate = False

    def _restore_logs(self) -> None:
        for logger, propagate in self._saved:
            logger.removeHandler(self._capture)
            logger.propagate = propagate
        self._saved = []


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
