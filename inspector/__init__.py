"""pushscope's core: the traffic model, parsers, classification, readers and reports.

UI-free and proxy-free: only the mitmproxy flow-file reader touches mitmproxy.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pushscope")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
