"""A footer line of keys for the detail screens: drawn from the screen's and the app's
bindings once, where Textual's Footer rebuilds its widgets on every screen switch (most of the
cost of going back from a detail to the table)."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    """

    def on_mount(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        bindings = [*self.screen.BINDINGS, *self.app.BINDINGS]
        for binding in bindings:
            if not isinstance(binding, tuple) and binding.show and binding.description:
                first = replace(binding, key=binding.key.split(",")[0])  # "escape,backspace"
                key = binding.key_display or self.app.get_key_display(first)
                text.append(f" {key} ", style="bold")
                text.append(f"{binding.description} ")
        self.update(text)
