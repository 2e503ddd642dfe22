"""pushscope: a protocol inspector for real-time web APIs.

Subpackages, in layers (each imports only those below it; `pyproject.toml`'s import-linter
contracts hold them to it):

- `pushscope.cli`: the command line;
- `pushscope.tui` (the viewer) and `pushscope.demo` (the demo application);
- `pushscope.addons`: the mitmproxy addon;
- `pushscope.inspector`: the core, UI-free and sans-IO.
"""

__version__ = "0.1.0"
