"""A long read-only document (an exchange's detail) rendered once per width and drawn a line
at a time: only the lines on screen reach the compositor, however many messages it holds."""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Section = tuple[str, RenderableType]

TITLE_STYLE = Style(bold=True, color="bright_cyan")
RULE_STYLE = Style(color="grey42")


class Document(ScrollView, can_focus=True):
    """Titled sections, one after the other, scrolled as one."""

    DEFAULT_CSS = """
    Document { overflow-x: hidden; }
    """

    def __init__(self, sections: list[Section], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sections = sections
        self._lines: list[Strip] = []
        self._width = 0

    def update(self, sections: list[Section]) -> None:
        """New content (a streaming exchange grew): keep the scroll position."""
        self.sections = sections
        self._width = 0
        self.refresh()

    def _render_sections(self, width: int) -> None:
        console = self.app.console
        options = console.options.update(width=max(1, width - 2), height=None)
        lines: list[Strip] = []
        for title, body in self.sections:
            head = f"\u2500\u2500 {title} "
            lines.append(
                Strip(
                    [
                        Segment(head[:2], RULE_STYLE),
                        Segment(head[2:], TITLE_STYLE),
                        Segment("\u2500" * max(0, width - len(head)), RULE_STYLE),
                    ]
                )
            )
            renderable = body if not isinstance(body, str) else Text(body)
            for line in console.render_lines(renderable, options, pad=False):
                lines.append(Strip([Segment("  "), *line]))
            lines.append(Strip([]))
        self._lines = lines
        self._width = width
        self.virtual_size = Size(0, len(lines))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._render_sections(width)
        index = int(self.scroll_offset.y) + y
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        return self._lines[index].crop_extend(0, width, style).apply_style(style)

    @property
    def text(self) -> str:
        """The document as plain text (for tests and copying)."""
        if not self._lines:
            self._render_sections(max(40, self.size.width or 120))
        return "\n".join(line.text for line in self._lines)
