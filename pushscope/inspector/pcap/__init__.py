"""Packet captures read without IO: link layers, TCP reassembly, HTTP/1.1, WebSocket frames."""
