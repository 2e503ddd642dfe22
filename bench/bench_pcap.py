"""Benchmark `pushscope analyze` on a large pcap against `tshark -Y websocket` on the same file.

Generates (and caches in `bench/out/`) a pcap of at least `--mb` megabytes (default 100): many
TCP connections on Ethernet, each carrying keep-alive REST exchanges, an SSE stream, or a
WebSocket session of many frames (masked client frames, pings and pongs, several frames per
packet at times, a close handshake). Then, in interleaved rounds, each in a fresh process:

    pushscope   `pushscope analyze FILE --format json --output /dev/null` (python -m pushscope)
    tshark      `tshark -r FILE -Y websocket` (every frame dissected and filtered), stdout
                to /dev/null

and prints the median wall time, CPU time (user + system) and peak memory (from the child's
`wait4`, the same method for both), the fastest run, and the ratios. Before timing, one
analysis is checked against what was generated (exchanges, WebSocket messages), which also
warms the page cache and leaves pushscope's modules compiled, as installed.

    .venv/bin/python bench/bench_pcap.py                 # 100 MB, 3 rounds
    .venv/bin/python bench/bench_pcap.py --mb 10 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT_DIR = HERE / "out"
GENERATOR_VERSION = 1
BASE_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SERVER = (bytes([10, 0, 0, 80]), 80)
ETHERNET = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
SYN, FIN, ACK, PSH = 0x02, 0x01, 0x10, 0x08
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@dataclass
class Manifest:
    """What was generated, to check the analysis against."""

    version: int
    mb: int
    seed: int
    packets: int = 0
    connections: int = 0
    exchanges: int = 0
    websocket_sessions: int = 0
    ws_messages: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})
    ws_frames: int = 0
    bytes: int = 0
    generation_seconds: float = 0.0


class Writer:
    """Packets of TCP conversations, written to a classic pcap as they are made."""

    def __init__(self, fp: BinaryIO, manifest: Manifest) -> None:
        self.fp = fp
        self.manifest = manifest
        self.time = BASE_TIME
        fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        manifest.bytes = 24

    def packet(
        self, src: tuple[bytes, int], dst: tuple[bytes, int], seq: int, ack: int, flags: int,
        payload: bytes,
    ) -> None:  # fmt: skip
        tcp = struct.pack(
            "!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
            65535, 0, 0,
        )  # fmt: skip
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src[0], dst[0]
        )
        frame = ETHERNET + ip + tcp + payload
        seconds = int(self.time)
        record = struct.pack(
            "<IIII", seconds, int((self.time - seconds) * 1e6), len(frame), len(frame)
        )
        self.fp.write(record + frame)
        self.manifest.packets += 1
        self.manifest.bytes += 16 + len(frame)


class Connection:
    """One TCP connection: sequence numbers each way, segments of at most 1448 bytes."""

    def __init__(
        self, writer: Writer, client: tuple[bytes, int], server: tuple[bytes, int] = SERVER
    ) -> None:
        self.w = writer
        self.client = client
        self.server = server
        self.seq = {"client": 1000, "server": 900_000}
        writer.manifest.connections += 1
        self._send("client", SYN, b"")
        self._send("server", SYN | ACK, b"")
        self._send("client", ACK, b"")

    def _send(self, side: str, flags: int, payload: bytes) -> None:
        src, dst = (self.client, self.server) if side == "client" else (self.server, self.client)
        other = "server" if side == "client" else "client"
        self.w.packet(src, dst, self.seq[side], self.seq[other], flags, payload)
        self.seq[side] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def send(self, side: str, data: bytes, gap: float = 0.0002) -> None:
        self.w.time += gap
        for start in range(0, len(data), 1448):
            self._send(side, ACK | PSH, data[start : start + 1448])

    def close(self) -> None:
        self.w.time += 0.0005
        self._send("client", FIN | ACK, b"")
        self._send("server", FIN | ACK, b"")


def ws_frame(opcode: int, payload: bytes, mask: bytes | None) -> bytes:
    length = len(payload)
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([bit | length])
    elif length < 65536:
        head += bytes([bit | 126]) + length.to_bytes(2)
    else:
        head += bytes([bit | 127]) + length.to_bytes(8)
    if mask is None:
        return head + payload
    key = (mask * (length // 4 + 1))[:length]
    return head + mask + (int.from_bytes(payload) ^ int.from_bytes(key)).to_bytes(length)


class Traffic:
    """The mix: ~45% REST connections, ~10% SSE streams, ~45% WebSocket sessions."""

    def __init__(self, writer: Writer, seed: int) -> None:
        self.w = writer
        self.rnd = random.Random(seed)
        self.m = writer.manifest
        self.count = 0

    def _client(self) -> tuple[bytes, int]:
        self.count += 1
        n = self.count
        return bytes([10, 1, (n >> 8) & 0xFF, n & 0xFF]), 20000 + n % 40000

    def _json(self, size: int) -> bytes:
        words = " ".join(self.rnd.choice(("alpha", "beta", "gamma", "delta")) for _ in range(4))
        return json.dumps(
            {"id": self.rnd.randrange(10**6), "text": words, "pad": "x" * size}
        ).encode()

    def rest(self) -> None:
        c = Connection(self.w, self._client())
        for _ in range(self.rnd.randint(1, 8)):
            path = f"/api/items/{self.rnd.randrange(1000)}"
            c.send(
                "client", f"GET {path} HTTP/1.1\r\nHost: bench.test\r\nAccept: */*\r\n\r\n".encode()
            )
            body = self._json(self.rnd.randint(50, 2000))
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            c.send("server", head.encode() + body, gap=0.002)
            self.m.exchanges += 1
            self.w.time += self.rnd.uniform(0.01, 0.5)
        c.close()

    def sse(self) -> None:
        c = Connection(self.w, self._client())
        c.send(
            "client",
            b"GET /events HTTP/1.1\r\nHost: bench.test\r\nAccept: text/event-stream\r\n\r\n",
        )
        c.send(
            "server",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
        )
        for n in range(self.rnd.randint(10, 100)):
            data = self._json(self.rnd.randint(20, 200)).decode()
            event = f"id: {n}\nevent: tick\ndata: {data}\n\n".encode()
            c.send("server", f"{len(event):x}\r\n".encode() + event + b"\r\n", gap=0.05)
        c.send("server", b"0\r\n\r\n")
        self.m.exchanges += 1
        c.close()

    def websocket(self) -> None:
        c = Connection(self.w, self._client())
        c.send(
            "client",
            (
                "GET /socket HTTP/1.1\r\nHost: bench.test\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode(),
        )
        c.send(
            "server",
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {WS_ACCEPT}\r\n\r\n"
            ).encode(),
        )
        self.m.exchanges += 1
        self.m.websocket_sessions += 1
        rnd = self.rnd
        for _ in range(rnd.randint(50, 400)):
            roll = rnd.random()
            if roll < 0.3:
                mask = rnd.randbytes(4)
                c.send("client", ws_frame(1, self._json(rnd.randint(10, 150)), mask), gap=0.01)
                self.m.ws_messages["client"] += 1
                self.m.ws_frames += 1
            elif roll < 0.33:
                c.send("server", ws_frame(9, b"hb", None), gap=0.01)
                c.send("client", ws_frame(10, b"hb", rnd.randbytes(4)))
                self.m.ws_frames += 2
            else:
                frames = rnd.choice((1, 1, 1, 2, 3))
                data = b"".join(
                    ws_frame(1, self._json(rnd.randint(20, 400)), None) for _ in range(frames)
                )
                c.send("server", data, gap=0.01)
                self.m.ws_messages["server"] += frames
                self.m.ws_frames += frames
        c.send("client", ws_frame(8, (1000).to_bytes(2), rnd.randbytes(4)))
        c.send("server", ws_frame(8, (1000).to_bytes(2), None))
        self.m.ws_frames += 2
        c.close()


def capture_paths(mb: int) -> tuple[Path, Path]:
    return OUT_DIR / f"mixed-{mb}mb.pcap", OUT_DIR / f"mixed-{mb}mb.json"


def generate(mb: int, seed: int) -> Manifest:
    path, manifest_path = capture_paths(mb)
    if path.exists() and manifest_path.exists():
        cached = Manifest(**json.loads(manifest_path.read_text()))
        if cached.version == GENERATOR_VERSION and cached.seed == seed:
            return cached
    OUT_DIR.mkdir(exist_ok=True)
    manifest = Manifest(GENERATOR_VERSION, mb, seed)
    start = time.perf_counter()
    with open(path, "wb") as fp:
        writer = Writer(fp, manifest)
        traffic = Traffic(writer, seed)
        while manifest.bytes < mb * 1_000_000:
            roll = traffic.rnd.random()
            if roll < 0.45:
                traffic.rest()
            elif roll < 0.55:
                traffic.sse()
            else:
                traffic.websocket()
    manifest.generation_seconds = time.perf_counter() - start
    manifest_path.write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


LAUNCHER = """
import os, sys, time
out = int(sys.argv[1])
os.set_inheritable(out, False)
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
os.write(out, f"{seconds} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}".encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs a command (fd, argv...) and writes its figures from `wait4` to fd. The command is forked
from this small process, not from the benchmark: Linux carries a parent's peak RSS into a
forked child's `ru_maxrss`, across `exec`, so a benchmark that has loaded a report would
otherwise show its own peak as the command's."""


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one command, output
    discarded, from `wait4` in a small launcher (`LAUNCHER`)."""
    read, write = os.pipe()
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(write), *cmd]
    proc = subprocess.Popen(
        launcher, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write,)
    )
    os.close(write)
    stderr = proc.communicate()[1].decode(errors="replace")
    with os.fdopen(read, "rb") as fp:
        figures = fp.read().decode()
    if proc.returncode != 0 or not figures:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {stderr[-2000:]}")
    seconds, cpu, kb = figures.split()
    return float(seconds), float(cpu), int(kb)


def pushscope_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "pushscope", "analyze", str(path), "--format", "json",
            "--output", os.devnull]  # fmt: skip


def tshark_cmd(path: Path) -> list[str]:
    return ["tshark", "-n", "-r", str(path), "-Y", "websocket"]


def verify(path: Path, manifest: Manifest) -> list[str]:
    """What the analysis gets wrong about the capture (nothing, one hopes). This run also
    leaves pushscope's modules compiled (`__pycache__`), as an installation has them (pip
    compiles them when it installs; a first run writes them), even when PYTHONDONTWRITEBYTECODE
    is set: without them every timed run would compile 30 modules from source, some 35 ms."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = pushscope_cmd(path)
        cmd[-1] = str(out)
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        report = json.loads(out.read_text())
    problems = []
    exchanges = report["exchanges"]
    if len(exchanges) != manifest.exchanges:
        problems.append(f"exchanges: {len(exchanges)} != {manifest.exchanges}")
    sessions = [e["websocket"] for e in exchanges if e["websocket"]]
    if len(sessions) != manifest.websocket_sessions:
        problems.append(f"websocket sessions: {len(sessions)} != {manifest.websocket_sessions}")
    for side in ("client", "server"):
        got = sum(s["messages"][side] for s in sessions)
        if got != manifest.ws_messages[side]:
            problems.append(f"{side} messages: {got} != {manifest.ws_messages[side]}")
    if report["sources"][0]["error_count"]:
        problems.append(f"problems reported: {report['sources'][0]['errors'][:3]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the generated pcap")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    manifest = generate(args.mb, args.seed)
    path, _ = capture_paths(args.mb)
    print(
        f"capture: {path.name}: {manifest.bytes / 1e6:.1f} MB, {manifest.packets:,} packets, "
        f"{manifest.connections:,} connections, {manifest.exchanges:,} exchanges, "
        f"{manifest.ws_frames:,} WebSocket frames "
        f"(generated in {manifest.generation_seconds:.1f} s)",
        file=sys.stderr,
    )
    problems = verify(path, manifest)
    if problems:
        print("analysis does not match the capture:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark is not installed (Debian: apt-get install tshark): only pushscope timed",
              file=sys.stderr)  # fmt: skip
    commands = {"pushscope": pushscope_cmd(path)}
    if tshark:
        commands["tshark"] = tshark_cmd(path)
    runs = time_rounds(commands, args.repeat)
    summary: dict[str, Any] = {"capture": asdict(manifest), "results": {}}
    for name, f in runs.items():
        summary["results"][name] = figures(f, manifest.bytes)
    summary.update(ratios(summary["results"]))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print_figures(summary)
    return 0


Runs = dict[str, list[float]]
"""One command's wall seconds (`s`), CPU seconds (`cpu`) and peak RSS KB (`kb`), per run."""


def time_rounds(commands: dict[str, list[str]], repeat: int) -> dict[str, Runs]:
    """Run each command `repeat` times, round by round, saying each run on stderr."""
    runs: dict[str, Runs] = {name: {"s": [], "cpu": [], "kb": []} for name in commands}
    for round_ in range(repeat):
        # Alternate the order, so neither always runs right after the other.
        for name, cmd in commands.items() if round_ % 2 == 0 else reversed(commands.items()):
            seconds, cpu, kb = run(cmd)
            runs[name]["s"].append(seconds)
            runs[name]["cpu"].append(cpu)
            runs[name]["kb"].append(kb)
            print(f"  round {round_ + 1}/{repeat}: {name:<10} {seconds:7.2f} s  "
                  f"cpu {cpu:6.2f} s  peak {kb / 1024:7.1f} MB", file=sys.stderr)  # fmt: skip
    return runs


def figures(runs: Runs, capture_bytes: int) -> dict[str, float]:
    """Median and best times, peak memory and throughput of one command's runs."""
    return {
        "median_s": statistics.median(runs["s"]),
        "median_cpu_s": statistics.median(runs["cpu"]),
        "min_s": min(runs["s"]),
        "min_cpu_s": min(runs["cpu"]),
        "peak_mb": max(runs["kb"]) / 1024,
        "mb_per_s": capture_bytes / 1e6 / statistics.median(runs["s"]),
    }


def ratios(results: dict[str, dict[str, float]]) -> dict[str, float]:
    """pushscope's figures over tshark's (none when tshark did not run)."""
    if "tshark" not in results:
        return {}
    ours, theirs = results["pushscope"], results["tshark"]
    return {
        "speed_ratio": ours["median_s"] / theirs["median_s"],
        "cpu_ratio": ours["median_cpu_s"] / theirs["median_cpu_s"],
        "best_ratio": ours["min_s"] / theirs["min_s"],
        "memory_ratio": ours["peak_mb"] / theirs["peak_mb"],
    }


def print_figures(summary: dict[str, Any]) -> None:
    """The table of `summary["results"]`, and pushscope against tshark where it ran."""
    print(f"{'':<10} {'median s':>9} {'cpu s':>7} {'best s':>7} {'MB/s':>7} {'peak MB':>8}")
    for name, r in summary["results"].items():
        print(f"{name:<10} {r['median_s']:9.2f} {r['median_cpu_s']:7.2f} {r['min_s']:7.2f} "
              f"{r['mb_per_s']:7.1f} {r['peak_mb']:8.1f}")  # fmt: skip
    if "speed_ratio" in summary:
        verdict = "met" if summary["speed_ratio"] <= 1.0 else "missed"
        print(
            f"pushscope / tshark: time {summary['speed_ratio']:.2f} (goal <= 1.0: {verdict}; "
            f"CPU time {summary['cpu_ratio']:.2f}, best runs {summary['best_ratio']:.2f}), "
            f"peak memory {summary['memory_ratio']:.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
