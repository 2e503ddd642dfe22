"""A `bench_proxy.py` reference: a mitmproxy script with pushscope's hooks, each doing
nothing, so the cost of mitmproxy calling a script's hooks shows apart from pushscope's work."""

from mitmproxy import http


class Noop:
    """The hooks pushscope's addon implements, empty."""

    def request(self, flow: http.HTTPFlow) -> None:
        pass

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        pass

    def response(self, flow: http.HTTPFlow) -> None:
        pass

    def error(self, flow: http.HTTPFlow) -> None:
        pass

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        pass

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        pass


addons = [Noop()]
