"""The reference reader of WebSocket frames, for tests: wsproto's own decoder, wrapped to the
API of `websocket_frames.FrameReader`, which is what captures are read with.

The tests feed both the same streams and require the same frames, messages and errors. Here,
wsproto's `FrameDecoder` does the parsing (header, lengths, masking, control-frame rules) in
the role of the receiver: the client's bytes are read as a server reads them (masked frames
required) and the server's as a client does. A small wsproto `Extension` sees every frame
header as it is parsed, so the wire view Zeek and Suricata report (fin, rsv, opcode, mask key,
payload length before decompression) is kept beside the messages, and inflates
permessage-deflate with a cap: a message that would expand past it is an error, not an outage.
Garbage never raises: it becomes a `FrameError` and the direction stops being parsed.
"""

from __future__ import annotations

import zlib

from wsproto.extensions import Extension
from wsproto.frame_protocol import (
    CloseReason,
    FrameDecoder,
    Opcode,
    ParseFailed,
    RsvBits,
    XorMaskerSimple,
)

from pushscope.inspector.model import Direction
from pushscope.inspector.pcap.websocket_frames import (
    KEEP,
    MAX_MESSAGE,
    FrameError,
    FrameEvent,
    FrameNote,
    Message,
    WireFrame,
)


class _WireView(Extension):
    """Sees each frame header as wsproto parses it; inflates permessage-deflate, capped."""

    name = "permessage-deflate"

    def __init__(self, deflate: bool, max_message: int) -> None:
        self.deflate = deflate
        self.max_message = max_message
        self.header: tuple[Opcode, RsvBits, int] | None = None
        self.compressed = False
        self.inflated = 0
        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS) if deflate else None
        self.too_big = False

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool | str:  # only ever reads: nothing is negotiated here
        return False

    def frame_inbound_header(
        self, proto: FrameDecoder | object, opcode: Opcode, rsv: RsvBits, payload_length: int
    ) -> CloseReason | RsvBits:
        self.header = (opcode, rsv, payload_length)
        if not self.deflate:
            return RsvBits(False, False, False)
        if opcode.iscontrol():
            return RsvBits(False, False, False)
        if opcode is not Opcode.CONTINUATION:
            self.compressed = rsv.rsv1
            self.inflated = 0
        elif rsv.rsv1:
            return CloseReason.PROTOCOL_ERROR
        return RsvBits(self.compressed, False, False)

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | object, data: bytes
    ) -> bytes | CloseReason:
        if not self.compressed or self.header is None or self.header[0].iscontrol():
            return data
        return self._inflated(data)

    def frame_inbound_complete(
        self, proto: FrameDecoder | object, fin: bool
    ) -> bytes | CloseReason | None:
        if not fin or not self.compressed or self.header is None or self.header[0].iscontrol():
            return None
        return self._inflated(b"\x00\x00\xff\xff")

    def _inflated(self, data: bytes) -> bytes | CloseReason:
        assert self._inflate is not None
        room = self.max_message - self.inflated
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self.inflated += len(out)
        if self.inflated > self.max_message or self._inflate.unconsumed_tail:
            self.too_big = True
            return CloseReason.MESSAGE_TOO_BIG
        return out


class _Decoder(FrameDecoder):
    """wsproto's decoder, noting each frame's header, mask key and offset as it is parsed."""

    def __init__(self, client: bool, extensions: list[Extension]) -> None:
        super().__init__(client, extensions)
        self.fed = 0
        self.unexpected_mask: int | None = None
        """Offset of the first frame masked (or not) against the sender's role."""
        self.started: tuple[bool, RsvBits, int, int | None, int, int] | None = None
        """fin, rsv, opcode, mask, payload length, offset of the frame being read."""

    def receive_bytes(self, data: bytes) -> None:
        self.fed += len(data)
        super().receive_bytes(data)

    def parse_extended_payload_length(self, opcode: Opcode, payload_len: int) -> int | None:
        if opcode.iscontrol() and payload_len > 125:
            buffer, used = self.buffer.buffer, self.buffer.bytes_used
            width = 2 if payload_len == 126 else 8 if payload_len == 127 else 0
            declared = int.from_bytes(buffer[used : used + width]) if width else payload_len
            size = str(declared) if width and len(buffer) >= used + width else "over 125"
            if declared <= 125 and len(buffer) >= used + width:
                raise ParseFailed(f"{opcode.name.lower()} frame length in an extended field")
            raise ParseFailed(
                f"{opcode.name.lower()} frame with a {size}-byte payload "
                "(a control frame carries at most 125)"
            )
        return super().parse_extended_payload_length(opcode, payload_len)

    def parse_header(self) -> bool:
        offset = self.fed - len(self.buffer)
        buffer = self.buffer.buffer
        if len(buffer) >= 2:
            # RFC 6455 wants client frames masked and server frames not; some clients
            # (wstunnel, old libraries) do not mask. Noted once, and the frames still read.
            masked = bool(buffer[1] & 0x80)
            if masked == self.client and self.unexpected_mask is None:
                self.unexpected_mask = offset
            self.client = not masked
        if not super().parse_header():
            return False
        header = self.header
        assert header is not None
        masker = self.masker
        mask = int.from_bytes(masker._masking_key) if isinstance(masker, XorMaskerSimple) else None
        self.started = (
            header.fin,
            header.rsv,
            int(header.opcode),
            mask,
            header.payload_len,
            offset,
        )
        return True


class WsprotoFrameReader:
    """The frames and messages one side sends, read by wsproto. `sender` wrote the bytes."""

    def __init__(
        self,
        sender: Direction,
        deflate: bool = False,
        max_message: int = MAX_MESSAGE,
        keep: int = KEEP,
    ) -> None:
        self.sender = sender
        self._view = _WireView(deflate, max_message)
        # The receiver's role: a server reads the client's frames, and the other way round.
        self._decoder = _Decoder(client=sender == "server", extensions=[self._view])
        self._keep = keep
        self._pieces: list[bytes] = []
        self._message: tuple[int, bool] | None = None  # opcode, compressed
        self._message_parts: list[bytes] = []
        self._message_kept = 0
        self._message_size = 0
        self._message_frames = 0
        self.broken: FrameError | None = None
        self._noted = False

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Frames and messages completed by `data` (an error ends the direction)."""
        if self.broken is not None or not data:
            return []
        out: list[FrameEvent] = []
        decoder = self._decoder
        decoder.receive_bytes(data)
        try:
            self._parse(out)
        except ParseFailed as e:
            started = self._decoder.started
            offset = started[5] if started is not None else 0
            if self._view.too_big:
                text = f"message larger than {self._view.max_message} bytes once inflated"
            elif e.code is CloseReason.INVALID_FRAME_PAYLOAD_DATA:
                text = "compressed payload is not valid deflate data"
            else:
                text = str(e)
            self.broken = FrameError(f"invalid frame: {text}", offset)
            out.append(self.broken)
        if decoder.unexpected_mask is not None and not self._noted:
            self._noted = True
            masked = "unmasked" if self.sender == "client" else "masked"
            out.append(
                FrameNote(f"{masked} frames from the {self.sender}", decoder.unexpected_mask)
            )
        return out

    def _parse(self, out: list[FrameEvent]) -> None:
        decoder = self._decoder
        pieces = self._pieces
        while True:
            frame = decoder.process_buffer()
            if frame is None:
                return
            payload = frame.payload
            assert isinstance(payload, bytes)  # the decoder's frames always carry bytes
            pieces.append(payload)
            if frame.frame_finished:
                payload = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                pieces.clear()
                self._frame_done(payload, out)

    def _frame_done(self, payload: bytes, out: list[FrameEvent]) -> None:
        started = self._decoder.started
        assert started is not None
        fin, rsv, code, mask, length, offset = started
        rsv_bits = rsv.rsv1 << 2 | rsv.rsv2 << 1 | rsv.rsv3
        out.append(WireFrame(fin, rsv_bits, code, mask, length, offset, payload[: self._keep]))
        if code >= Opcode.CLOSE:
            if code == Opcode.CLOSE and len(payload) == 1:
                raise ParseFailed("close frame with a 1-byte payload")
            out.append(Message(code, len(payload), payload, False, 1))
            return
        if code == Opcode.CONTINUATION:
            if self._message is None:
                raise ParseFailed("continuation frame without a message to continue")
        else:
            if self._message is not None:
                raise ParseFailed(
                    f"new {Opcode(code).name.lower()} message before the last one ended"
                )
            self._message = (code, rsv.rsv1)
        self._message_size += len(payload)
        self._message_frames += 1
        if self._message_kept < self._keep:
            part = payload[: self._keep - self._message_kept]
            self._message_parts.append(bytes(part))
            self._message_kept += len(part)
        if fin:
            message_opcode, compressed = self._message
            out.append(
                Message(
                    message_opcode,
                    self._message_size,
                    b"".join(self._message_parts),
                    compressed,
                    self._message_frames,
                )
            )
            self._message = None
            self._message_parts = []
            self._message_kept = self._message_size = self._message_frames = 0
