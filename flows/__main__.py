"""`python -m flows` runs the newsflow CLI."""

import sys

from flows.cli import main

sys.exit(main())
