"""A list with a cursor that draws only the lines on screen (Textual's line API): the base of
the exchange table and the findings list, whatever their length."""

from __future__ import annotations

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class VirtualList(ScrollView, can_focus=True):
    """Subclasses say how many rows there are and draw one; `select` is called on enter."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Detail"),
    ]
    COMPONENT_CLASSES = {"virtual-list--cursor"}
    DEFAULT_CSS = """
    VirtualList { scrollbar-gutter: stable; overflow-x: hidden; }
    VirtualList > .virtual-list--cursor { background: $accent 40%; }
    VirtualList:focus > .virtual-list--cursor { background: $accent; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    following = False
    """Keep the cursor on the newest row while it is on the last one."""

    # -- what subclasses provide

    def row_count(self) -> int:
        raise NotImplementedError

    def render_row(self, index: int, width: int, style: Style) -> Strip:
        """Row `index`, `width` cells wide, over `style` (the cursor's, on the cursor row)."""
        raise NotImplementedError

    def select(self, index: int) -> None:
        """Enter (or a double click) on row `index`."""

    # -- rows

    def rows_changed(self) -> None:
        """Rows were added or changed: resize, follow the newest if the cursor was there."""
        count = self.row_count()
        at_end = self.cursor >= self.virtual_size.height - 1
        self.virtual_size = Size(0, count)
        if self.following and at_end and count:
            self.cursor = count - 1
        elif self.cursor >= count:
            self.cursor = max(0, count - 1)
        self.refresh()

    def reset(self) -> None:
        """The rows are new (a filter changed): start again at the top."""
        self.virtual_size = Size(0, self.row_count())
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    # -- cursor

    def watch_cursor(self, cursor: int) -> None:
        # After the refresh: the virtual size may have just grown, and scrolling is clamped to
        # the size the last layout saw.
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, self.row_count())
        self.call_after_refresh(self._scroll_to_cursor)

    def _scroll_to_cursor(self) -> None:
        # From `container_size`, which a resize updates at once (the content region may lag).
        height, top = self.container_size.height, int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, force=True)

    def action_cursor(self, step: int) -> None:
        self._move(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.container_size.height - 1))

    def action_jump(self, where: int) -> None:
        self._move(where if where >= 0 else self.row_count() - 1)

    def _move(self, index: int) -> None:
        self.cursor = max(0, min(index, self.row_count() - 1))

    def action_select(self) -> None:
        if 0 <= self.cursor < self.row_count():
            self.select(self.cursor)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < self.row_count():
            if event.chain >= 2 and index == self.cursor:
                self.select(index)
            self.cursor = index

    # -- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        style = self.rich_style
        if index >= self.row_count():
            return Strip.blank(width, style)
        if index == self.cursor:
            style = style + self.get_component_rich_style("virtual-list--cursor")
        return self.render_row(index, width, style).crop_extend(0, width, style)
