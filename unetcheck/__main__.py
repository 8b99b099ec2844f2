"""`python -m unetcheck` runs the command line."""

import sys

from unetcheck.cli import main

sys.exit(main())
