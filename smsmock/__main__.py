"""`python -m smsmock` runs the command line."""

import sys

from smsmock.cli import main

sys.exit(main())
