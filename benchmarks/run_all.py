"""Run every benchmark in turn: `python benchmarks/run_all.py [--smoke]`.

The quality benchmark (`quality.py`) is separate because it takes much
longer; run it on its own. ``--smoke`` runs each script on tiny sizes, to
check that it still runs (``tests/test_benchmarks.py`` does this in CI).
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
#: Each script with the arguments of its smoke run.
SCRIPTS = {
    "performance.py": ["--smoke"],
    "search_parallel.py": ["--smoke"],
    "embedding_cache.py": ["--smoke"],
    "repeated_fits.py": ["--fits", "2", "--warm-up", "2"],
    "partial_fit_overhead.py": ["--smoke"],
}


def main() -> int:
    failed = []
    start = time.perf_counter()
    smoke = "--smoke" in sys.argv[1:]
    for script, smoke_args in SCRIPTS.items():
        print(f"\n=== {script} ===", flush=True)
        began = time.perf_counter()
        args = [sys.executable, str(HERE / script), *(smoke_args if smoke else [])]
        if subprocess.run(args).returncode:
            failed.append(script)
        print(f"({script}: {(time.perf_counter() - began) / 60:.1f} min)")
    print(f"\nall: {(time.perf_counter() - start) / 60:.1f} min")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
