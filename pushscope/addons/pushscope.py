"""pushscope as a mitmproxy script: `mitmdump -s "$(pushscope addon-path)"` (from a checkout,
`mitmdump -s addons/pushscope.py`). Works in mitmdump, mitmweb and mitmproxy.

The addon itself lives in the installed package (`pushscope.addons.live`); this file only hands
it to mitmproxy, which may reload it at any time.
"""

import os
import sys

# mitmproxy puts this script's folder first on sys.path while it loads the script, and there
# this file, named like the package, would be found in its place: look past the folder.
# (A checkout's `addons/pushscope.py` is a link to this file: its folder counts too.)
_folders = {os.path.realpath(os.path.dirname(os.path.abspath(__file__)))}
_folders.add(os.path.dirname(os.path.realpath(__file__)))
_path = sys.path[:]
sys.path[:] = [entry for entry in _path if os.path.realpath(entry or os.curdir) not in _folders]
try:
    from pushscope.addons.live import Pushscope
finally:
    sys.path[:] = _path

addons = [Pushscope()]
