"""`python -m pipeline ...`: see pipeline.run.cli."""

import sys

from pipeline.run.cli import main

sys.exit(main())
