"""`python -m pushscope`: the command line."""

import sys

from pushscope.cli import main

sys.exit(main())
