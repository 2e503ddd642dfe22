"""The core stays UI-free and proxy-free: only the flow-file reader may import mitmproxy."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "pushscope.inspector.model",
    "pushscope.inspector.events",
    "pushscope.inspector.sse",
    "pushscope.inspector.websocket",
    "pushscope.inspector.classify",
    "pushscope.inspector.frameworks",
    "pushscope.inspector.bodies",
    "pushscope.inspector.analysis",
    "pushscope.inspector.endpoints",
    "pushscope.inspector.redact",
    "pushscope.inspector.readers",
    "pushscope.inspector.readers.har",
    "pushscope.inspector.readers.ahead",
    "pushscope.inspector.readers.pcap",
    "pushscope.inspector.pcap.capture",
    "pushscope.inspector.pcap.connections",
    "pushscope.inspector.pcap.h11_reader",
    "pushscope.inspector.pcap.http1",
    "pushscope.inspector.pcap.tcp",
    "pushscope.inspector.pcap.tls",
    "pushscope.inspector.pcap.websocket_frames",
    "pushscope.inspector.report.json_report",
    "pushscope.inspector.report.markdown",
    "pushscope.inspector.report.html",
    "pushscope.inspector.export_har",
    "pushscope.inspector.text",
    "pushscope.inspector.pipeline",
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
        "import sys\nfrom pathlib import Path\n"
        "from pushscope.inspector.pipeline import analyze_paths\n"
        "analyze_paths([Path('captures/demo-mix.har')])\n"
        "print('mitmproxy' in sys.modules, 'textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_the_addons_analysis_process_loads_neither_mitmproxy_nor_textual() -> None:
    loaded = _loaded_after_import(
        ["pushscope.addons.worker", "pushscope.addons.session", "pushscope.addons.records"]
    )
    assert "mitmproxy" not in loaded
    assert "textual" not in loaded
