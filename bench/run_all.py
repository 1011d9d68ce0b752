"""`make bench`: every benchmark, each printing its figures beside a baseline measured in the
same run. A benchmark that fails is reported and the others still run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = [
    ("Teams endpoint (issue 2)", ["bench/bench_endpoint.py"]),
    ("Storage (issue 3)", ["bench/bench_store.py"]),
    ("Listening and X cost (issue 4)", ["bench/bench_listening.py"]),
    ("Local analysis (issue 5)", ["bench/bench_analysis.py"]),
    ("Themes (issue 5)", ["bench/bench_themes.py"]),
    ("Understanding questions (issue 16)", ["bench/bench_understanding.py"]),
    ("Answers and tokens (issue 6)", ["bench/bench_llm.py"]),
    ("First reaction in Teams (issue 6)", ["bench/bench_reaction.py"]),
    ("Drafting (issue 7)", ["bench/bench_drafting.py"]),
    ("Approvals (issue 8)", ["bench/bench_approvals.py"]),
    ("Briefings (issue 9)", ["bench/bench_briefing.py"]),
    ("Workers (issue 11)", ["bench/bench_workers.py"]),
    ("Content and publishing hardening (issue 22)", ["bench/bench_hardening.py"]),
    ("Signing keys with a hanging issuer (issue 22)", ["bench/bench_signing_keys.py"]),
    ("Conversations that let go (issue 16)", ["bench/bench_converse.py"]),
    ("Crisis alert cadence and X cost (issue 18)", ["bench/bench_alerts.py"]),
    ("One text module (issue 21)", ["bench/bench_text.py"]),
]


def main() -> int:
    only = sys.argv[1:]
    failed = []
    for title, args in BENCHES:
        if only and not any(o in args[0] for o in only):
            continue
        if not (ROOT / args[0]).exists():
            continue
        print(f"\n=== {title}: {args[0]} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, *args], cwd=ROOT)
        print(f"--- {time.monotonic() - started:.1f} s", flush=True)
        if code:
            failed.append(args[0])
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
