"""`python -m sandbox` is the same as the `sandbox` console script."""

from __future__ import annotations

import sys

from sandbox.cli import main

sys.exit(main())
