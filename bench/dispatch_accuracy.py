"""Accuracy of the suggested 承办单位 on the labelled requests (tests/data/dispatch_labelled.yaml), against
routing by category alone in the same run. Same as `hotline dispatch evaluate`.

    .venv/bin/python bench/dispatch_accuracy.py [LABELLED.yaml]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.dispatch.evaluate import LABELLED, report  # noqa: E402

if __name__ == "__main__":
    text, _ = report(sys.argv[1] if len(sys.argv) > 1 else LABELLED)
    print(text)
