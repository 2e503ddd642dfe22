"""Small modal screens: help, and exporting the report."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pushscope.tui.filters import HELP as FILTER_HELP

KEYS = """\
enter      open the exchange or finding under the cursor
/          filter the table            esc   back to the table
f          findings panel (enter opens a finding)
e          export the report (JSON or Markdown)
p          pause or resume following new traffic
up/down pgup/pgdn home/end (or j k g G)   move
ctrl+p     command palette             q     quit"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Keys", style="bold"))
            yield Static(Text(KEYS))
            yield Static(Text("\nFilter", style="bold"))
            yield Static(Text(FILTER_HELP))
            yield Static(Text("\nesc closes this help", style="dim"))


FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json"}


def export_format(path: Path) -> str:
    """`markdown` for .md files, `json` for anything else."""
    return FORMATS.get(path.suffix.lower(), "json")


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the report; the extension chooses the format."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export the report (.json, or .md for Markdown)")
            yield Input(str(self.default), id="path")
            with Horizontal(classes="buttons"):
                yield Button("JSON", id="json", variant="primary")
                yield Button("Markdown", id="markdown")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        path = Path(self.query_one("#path", Input).value.strip() or str(self.default))
        suffix = ".md" if event.button.id == "markdown" else ".json"
        self.dismiss(path.with_suffix(suffix))

    @on(Input.Submitted, "#path")
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(Path(event.value.strip() or str(self.default)))
