"""pushscope's core: the traffic model, parsers, classification, readers and reports.

UI-free and proxy-free: only the mitmproxy flow-file reader touches mitmproxy.
"""
