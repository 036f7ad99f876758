"""`python -m eval.learn`: see eval.learn.cli."""

import sys

from eval.learn.cli import main

sys.exit(main())
