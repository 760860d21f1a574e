"""`python -m tracker.cli` runs the `painauth` command."""

import sys

from tracker.cli import main

sys.exit(main())
