"""`python -m newsflow` runs the newsflow CLI."""

import sys

from newsflow.cli import main

sys.exit(main())
