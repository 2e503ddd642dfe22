"""A real ``mitmdump`` on 127.0.0.1, started and stopped cleanly: for recording captures,
the demo and the tests."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pushscope.addons import SCRIPT
from pushscope.demo.servers import HOST

MITMDUMP = Path(sys.executable).with_name("mitmdump")
START_TIMEOUT = 30.0  # mitmdump start-up (the first run also generates the CA in the confdir)
STOP_TIMEOUT = 15.0
LISTENING = re.compile(
    r"listening at .*?:(\d+)"
)  # "HTTP(S) proxy listening at", "reverse proxy to X listening at"


class Mitmdump:
    """A ``mitmdump`` subprocess on 127.0.0.1 with the given extra arguments; a context
    manager that yields the proxy URL and stops the process (SIGINT, then kill) on exit."""

    def __init__(
        self,
        arguments: list[str],
        confdir: Path,
        executable: Path = MITMDUMP,
        cwd: Path | None = None,
    ) -> None:
        # Port 0: the OS picks a free port and mitmdump logs which one.
        self.cmd = [str(executable), "--listen-host", HOST, "--listen-port", "0"]
        self.cwd = cwd
        self.cmd += ["--set", f"confdir={confdir}", "--set", "flow_detail=0", *arguments]
        self.log: list[str] = []
        self._port: int | None = None
        self._listening = threading.Event()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.log.append(line.rstrip())
            if self._port is None and (match := LISTENING.search(line)):
                self._port = int(match.group(1))
                self._listening.set()
        self._listening.set()  # process ended: wake up a waiting start()

    def start(self) -> str:
        """Start mitmdump and wait (bounded) until it accepts connections."""
        self._proc = subprocess.Popen(
            self.cmd,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a terminal Ctrl-C reaches only this script
        )
        self._reader = threading.Thread(target=self._read_output, name="mitmdump-log", daemon=True)
        self._reader.start()
        if not self._listening.wait(START_TIMEOUT) or self._port is None:
            raise RuntimeError("mitmdump did not start listening:\n" + "\n".join(self.log))
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection((HOST, self._port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return f"http://{HOST}:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> int | None:
        """Stop gracefully (SIGINT makes it write the HAR); kill it if that takes too long."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        return proc.returncode

    def __enter__(self) -> str:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        code = self.stop()
        if exc_type is None and code != 0:
            raise RuntimeError(f"mitmdump exited with {code}:\n" + "\n".join(self.log))


@dataclass(frozen=True)
class AddonRun:
    """Where a mitmdump running the pushscope addon writes: its live feed, its flow file (-w)
    and its report; `arguments` are the mitmdump arguments that make it so."""

    feed: Path
    flows: Path
    report: Path

    @classmethod
    def into(cls, directory: Path) -> AddonRun:
        return cls(directory / "feed.jsonl", directory / "flows.mitm", directory / "report.json")

    @property
    def arguments(self) -> list[str]:
        return [
            "-s",
            str(SCRIPT),
            "-w",
            str(self.flows),
            "--set",
            f"pushscope_feed={self.feed}",
            "--set",
            f"pushscope_report={self.report}",
        ]
