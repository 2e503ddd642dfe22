"""The SSE latency baseline of `bench_proxy.py`: a mitmproxy script that only streams
text/event-stream responses (what pushscope's addon does, minus everything else)."""

from mitmproxy import http


class StreamOnly:
    """Set `flow.response.stream` for event streams, so mitmproxy relays them as they come."""

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        content_type = response.headers.get("content-type", "") if response else ""
        if response is not None and content_type.lower().startswith("text/event-stream"):
            response.stream = True


addons = [StreamOnly()]
