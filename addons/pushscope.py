"""pushscope as a mitmproxy script: `mitmdump -s addons/pushscope.py` (or, installed,
`mitmdump -s "$(pushscope addon-path)"`). Works in mitmdump, mitmweb and mitmproxy.

The addon itself lives in the installed package (`addons.live`); this file only hands it to
mitmproxy, which may reload it at any time.
"""

from addons.live import Pushscope

addons = [Pushscope()]
