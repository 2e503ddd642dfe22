#!/usr/bin/env bash
# Set up pushscope in .venv (finding a Python >= 3.12 by itself) and run one job.
#
#   bash scripts/dev.sh demo     the main job: live demo traffic through mitmproxy, classified,
#                                in the viewer (headless with a report when there is no terminal)
#   bash scripts/dev.sh test     the whole test suite (what CI runs)
#   bash scripts/dev.sh setup    only set up .venv
#
# Set PUSHSCOPE_PYTHON=/path/to/python3.12 to choose the interpreter yourself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.pushscope-installed"

say() { printf 'pushscope setup: %s\n' "$*" >&2; }

is_suitable() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in "${PUSHSCOPE_PYTHON:-}" python3.12 python3.13 python3.14 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && is_suitable "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    # pyenv keeps other versions out of PATH unless selected: look in its versions directory
    # (oldest suitable first: 3.12 is what mitmproxy 12 and pushscope are tested on).
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    if command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root)"
    fi
    if [ -d "$pyenv_root/versions" ]; then
        for candidate in $(ls -d "$pyenv_root"/versions/3.* 2>/dev/null | sort -t. -k2,2n -k3,3n); do
            if [ -x "$candidate/bin/python3" ] && is_suitable "$candidate/bin/python3"; then
                echo "$candidate/bin/python3"
                return 0
            fi
        done
    fi
    return 1
}

setup() {
    if [ -x "$VENV/bin/python" ] && ! is_suitable "$VENV/bin/python"; then
        say "existing .venv uses Python < 3.12; recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        if ! python="$(find_python)"; then
            say "no Python 3.12 or newer found (mitmproxy 12 needs it)."
            say "Install one, e.g. 'pyenv install 3.12', 'apt-get install python3.12 python3.12-venv'"
            say "or from python.org, then run this again (or set PUSHSCOPE_PYTHON=/path/to/python3.12)."
            exit 1
        fi
        say "creating .venv with $python ($("$python" -c 'import sys; print(sys.version.split()[0])'))"
        "$python" -m venv "$VENV"
    fi
    local want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
        say "installing pushscope and its test dependencies into .venv"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test]"
        echo "$want" >"$STAMP"
    fi
}

cd "$ROOT"
case "${1:-}" in
    setup)
        setup
        ;;
    demo)
        setup
        shift
        if [ -t 0 ] && [ -t 1 ]; then
            exec "$VENV/bin/pushscope" demo "$@"
        fi
        say "no terminal for the viewer: running the demo headless for 20 s, then the report"
        exec "$VENV/bin/pushscope" demo --headless "$@"
        ;;
    test)
        setup
        shift
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/dev.sh {demo|test|setup} [args...]" >&2
        exit 2
        ;;
esac
