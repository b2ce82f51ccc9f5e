#!/usr/bin/env python
"""The runner from a source checkout: the same program as ``graphkit-run`` (see :mod:`graphkit.runner`).

    python benchmarks/run.py --model ncnc --dataset cora
"""

import sys

from graphkit.runner import main

if __name__ == "__main__":
    sys.exit(main())
