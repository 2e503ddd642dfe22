"""The mitmproxy addon: hooks that copy flows into records (`live`, `adapter`), the analysis
they feed (`records`, `session`, `worker`), and mitmproxy inside another program (`embedded`).

Importing this package loads nothing of mitmproxy's.
"""

from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "pushscope.py"
"""The script to load in mitmproxy: `mitmdump -s "$(pushscope addon-path)"`."""
