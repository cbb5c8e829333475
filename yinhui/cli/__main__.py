"""`python -m yinhui.cli ...`, the same as the installed `yinhui` command."""

import sys

from yinhui.cli import main

sys.exit(main())
