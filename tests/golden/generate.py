"""Regenerate the golden outputs (only on a deliberate, documented change of semantics).

    .venv/bin/python tests/golden/generate.py

The golden-run test (tests/test_golden.py) runs the same commands and compares every
value of these files, so a change of the model's semantics made identically in both
engines (which the engine-equality test cannot see) shows up there.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from golden_cases import CASES, produce  # noqa: E402

if __name__ == "__main__":
    for case in CASES:
        target = HERE / "expected" / case
        tmp = produce(case, HERE / "inputs", Path("/tmp") / f"golden-{case}")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in CASES[case]:
            shutil.copyfile(tmp / name, target / name)
        print(f"{case}: {', '.join(CASES[case])}")
