"""`make bench`: run every bench/bench_*.py at the seed's scale, one after the other.

Each benchmark prints its figures beside a reference as a ratio; nothing here asserts a time.
Pass arguments through with BENCH_ARGS, e.g. `make bench BENCH_ARGS="--rows 20000"`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
