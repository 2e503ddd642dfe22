"""The core stays UI-free and proxy-free: only the flow-file reader may import mitmproxy."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "inspector.model",
    "inspector.events",
    "inspector.sse",
    "inspector.websocket",
    "inspector.classify",
    "inspector.frameworks",
    "inspector.bodies",
    "inspector.analysis",
    "inspector.endpoints",
    "inspector.redact",
    "inspector.readers",
    "inspector.readers.har",
    "inspector.readers.ahead",
    "inspector.readers.pcap",
    "inspector.pcap.capture",
    "inspector.pcap.connections",
    "inspector.pcap.http1",
    "inspector.pcap.tcp",
    "inspector.pcap.tls",
    "inspector.pcap.websocket_frames",
    "inspector.pcap.websocket_wsproto",
    "inspector.report.json_report",
    "inspector.report.markdown",
    "inspector.pipeline",
]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted({n.split('.')[0] for n in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(result.stdout.split())


def test_core_imports_neither_mitmproxy_nor_textual() -> None:
    loaded = _loaded_after_import(CORE)
    assert "mitmproxy" not in loaded
    assert "textual" not in loaded


def test_reading_a_har_does_not_load_mitmproxy() -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom inspector.pipeline import analyze_paths\n"
        "analyze_paths([Path('captures/demo-mix.har')])\n"
        "print('mitmproxy' in sys.modules, 'textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_the_addons_analysis_process_loads_neither_mitmproxy_nor_textual() -> None:
    loaded = _loaded_after_import(["addons.worker", "addons.session", "addons.records"])
    assert "mitmproxy" not in loaded
    assert "textual" not in loaded
