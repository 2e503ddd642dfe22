"""Packet capture of the proxy-to-server leg on loopback, with tcpdump or dumpcap if present.

`record.py` wraps a scenario in `PacketCapture` to save what mitmdump sent to the demo
servers as a pcap: the same exchanges as the flow file, seen from the wire.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

START_TIMEOUT = 10.0
SETTLE = 1.0  # let the last FINs reach the capture before it stops


def capture_tool() -> str | None:
    """The path of tcpdump or dumpcap, or None when neither is installed."""
    return shutil.which("tcpdump") or shutil.which("dumpcap")


def server_ports(*urls: str) -> list[int]:
    return sorted({urlsplit(url).port or 80 for url in urls})


class PacketCapture:
    """Capture TCP on loopback to and from `ports` into `path` while the block runs."""

    def __init__(self, tool: str, ports: list[int], path: Path) -> None:
        self.path = path
        expression = " or ".join(f"tcp port {port}" for port in ports)
        if Path(tool).name == "dumpcap":
            self.cmd = [tool, "-q", "-i", "lo", "-P", "-f", expression, "-w", str(path)]
        else:
            # Immediate mode: without it, packets wait in the kernel's ring buffer for a
            # block timeout and the last second of traffic is lost when the capture stops.
            self.cmd = [tool, "-i", "lo", "--immediate-mode", "-U", "-w", str(path), expression]
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PacketCapture:
        self._proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.path.exists() or self.path.stat().st_size == 0:  # the file header
            if self._proc.poll() is not None or time.monotonic() > deadline:
                error = self._proc.stderr.read().decode() if self._proc.stderr else ""
                self._stop()
                raise RuntimeError(f"{self.cmd[0]} did not start capturing: {error.strip()}")
            time.sleep(0.05)
        time.sleep(0.2)  # the file header is written just before the capture is live
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        time.sleep(SETTLE)
        self._stop()

    def _stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
