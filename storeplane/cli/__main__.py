"""`python -m storeplane.cli`: the same command as the `storeplane` script."""

import sys

from storeplane.cli import main

sys.exit(main())
