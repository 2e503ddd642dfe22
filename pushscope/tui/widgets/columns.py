"""Fixed-width text columns for the line-drawn tables: layout to a width, cells, title line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

NARROW = 100
"""Tables narrower than this take each column's `narrow` width."""


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int
    right: bool = False
    flex: bool = False
    """Takes the width the other columns leave."""
    hide_below: int = 0
    """Left out of tables narrower than this."""
    narrow: int = 0
    """The width in a table narrower than `NARROW` (0: the same)."""


def fit(columns: Sequence[Column], width: int) -> list[Column]:
    """The columns for a table `width` cells wide, one per value of a row (a left-out column
    has width 0): the flexible one takes what the others leave."""
    fitted = [
        replace(c, width=0)
        if width < c.hide_below
        else replace(c, width=c.narrow)
        if c.narrow and width < NARROW
        else c
        for c in columns
    ]
    used = sum(c.width + 1 for c in fitted if c.width and not c.flex)
    return [replace(c, width=max(c.width, width - used - 1)) if c.flex else c for c in fitted]


def cell(text: str, column: Column) -> str:
    """`text` cut (with an ellipsis) or padded to the column's width."""
    if cell_len(text) > column.width:
        return set_cell_size(text, column.width - 1) + "\u2026" if column.width > 1 else ""
    pad = " " * (column.width - cell_len(text))
    return pad + text if column.right else text + pad


Accent = Callable[[Column, str], Style | None]
"""The style a cell adds to its row's, if any."""


def row_strip(
    columns: Sequence[Column], values: Sequence[str], style: Style, accent: Accent
) -> Strip:
    segments: list[Segment] = []
    for column, value in zip(columns, values, strict=True):
        if not column.width:
            continue
        extra = accent(column, value)
        segments.append(Segment(cell(value, column), style + extra if extra else style))
        segments.append(Segment(" ", style))
    return Strip(segments)


class ColumnTitles(Widget):
    """A table's column titles, aligned with its columns (the table keeps a scrollbar gutter:
    the same room is left on the right)."""

    DEFAULT_CSS = """
    ColumnTitles { height: 1; color: $text-muted; text-style: bold; }
    """

    def __init__(self, columns: Sequence[Column], *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.columns = columns

    def render_line(self, y: int) -> Strip:
        width, style = self.size.width, self.rich_style
        titles = " ".join(cell(c.title, c) for c in fit(self.columns, max(0, width - 2)) if c.width)
        return Strip([Segment(titles, style)]).crop_extend(0, width, style)
