"""Run every benchmark in turn: `python benchmarks/run_all.py`.

The quality benchmark (`quality.py`) is separate because it takes much
longer; run it on its own.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = [
    "performance.py",
    "search_parallel.py",
    "embedding_cache.py",
    "repeated_fits.py",
]


def main() -> int:
    failed = []
    start = time.perf_counter()
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        began = time.perf_counter()
        if subprocess.run([sys.executable, str(HERE / script)]).returncode:
            failed.append(script)
        print(f"({script}: {(time.perf_counter() - began) / 60:.1f} min)")
    print(f"\nall: {(time.perf_counter() - start) / 60:.1f} min")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
