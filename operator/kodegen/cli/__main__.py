"""`python -m kodegen.cli ...`: the `kodegen` command without the console script."""

import sys

from kodegen.cli import main

sys.exit(main())
