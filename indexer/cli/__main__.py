"""`python -m indexer.cli`: the zhengce command."""

import sys

from indexer.cli import main

sys.exit(main())
