"""`python -m unetcheck` runs the command line."""

import sys

from unetcheck.job.cli import main

sys.exit(main())
