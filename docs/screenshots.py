"""Regenerate the docs' screenshots of every page, in both languages: `make screenshots`.

Runs the browser tests (tests/e2e: a real server and Debian's Chromium) with STUDIO_SCREENSHOTS
set, so each test saves its pages as `<name>-zh.png` and `<name>-en.png`, then lists what it
wrote. The pictures are not committed (docs/screenshots/ is in .gitignore): run this to look at
the UI, or before publishing the docs.

    python docs/screenshots.py                  # into docs/screenshots/
    python docs/screenshots.py --out /tmp/shots -- -k catalog   # then pytest's own options
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "screenshots"
# Pages the docs show; each must come out in both languages.
EXPECTED = ("catalogue-list", "catalogue-edit", "shows-list", "planner", "host-screen", "console",
            "overlay-card", "clips", "replay-dashboard", "replay-compare")
LANGUAGES = ("zh", "en")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNGs go")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (-n), or 0")
    parser.add_argument("pytest_args", nargs="*", help="more pytest options, after --")
    args = parser.parse_args(argv)

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:  # the last run's pictures: only what this run makes stays
        for old in out.glob(f"*-{language}.png"):
            old.unlink()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e",
               "-n", args.workers, *args.pytest_args]
    env = {**os.environ, "STUDIO_SCREENSHOTS": str(out)}
    print("$ STUDIO_SCREENSHOTS=" + str(out), " ".join(command[1:]), flush=True)
    started = time.monotonic()
    tests = subprocess.run(command, cwd=ROOT, env=env, check=False)

    written = sorted(out.glob("*.png"))
    print(f"\n{len(written)} screenshots in {out} ({time.monotonic() - started:.0f} s):")
    for path in written:
        print(f"  {path.name:<48} {path.stat().st_size // 1024:>6} KiB")
    names = {path.stem for path in written}
    missing = [f"{name}-{lang}" for name in EXPECTED for lang in LANGUAGES
               if f"{name}-{lang}" not in names]
    if missing and not args.pytest_args:  # a narrowed run is not expected to make them all
        print("missing: " + ", ".join(missing), file=sys.stderr)
        return tests.returncode or 1
    if tests.returncode:
        print(f"the browser tests failed (pytest exit code {tests.returncode})", file=sys.stderr)
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
