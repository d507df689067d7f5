"""`studio demo --no-serve` and `studio rehearse` end to end, through the command line."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from studio.demo import DEMO_SHOW_ID
from tests.rehearsal.conftest import MINI

COPY = f"{DEMO_SHOW_ID}-rehearsal-1"


@pytest.mark.slow
def test_demo_without_serving_ends_with_clips_on_disk_and_gmv_in_replay(run_cli, settings):
    # the first six show minutes: the opening, then the first product on screen for a minute
    result = run_cli("demo", "--no-serve", "--speed", "600", "--minutes", "6", "--seed", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label, path in (("operator console 中控台", f"/live/{COPY}/console?token="),
                        ("host screen 主播屏", f"/plans/{COPY}/host?token="),
                        ("overlay: product card", f"/live/{COPY}/overlay/card?token="),
                        ("clips 切片", f"/clips/{COPY}"), ("replay 复盘", f"/replay/{COPY}"),
                        ("compare 对比", f"/replay/{COPY}/vs/{DEMO_SHOW_ID}")):
        assert re.search(rf"{re.escape(label)}\s+http://127\.0\.0\.1:8000{re.escape(path)}", out)
    assert "op_" not in out  # tokens only to a terminal
    last = out.strip().splitlines()[-1]
    gmv, orders, folder = re.fullmatch(
        r"GMV ¥([\d,.]+) from ([\d,]+) orders .* — \d+ clips in (.+)", last).groups()

    summary = run_cli("replay", "summary", COPY, "--json")
    figures = json.loads(summary.stdout)
    assert figures["rehearsal"] is True and figures["rehearsal_of"] == DEMO_SHOW_ID
    assert Decimal(figures["gmv"]) == Decimal(gmv.replace(",", "")) > 0
    assert figures["orders"] == int(orders.replace(",", ""))
    assert f"the simulated audience's ¥{gmv}" in last  # replay's GMV is the audience's, exactly
    clips = sorted(Path(folder).glob("*.mp4"))
    assert clips and all(c.stat().st_size > 10_000 for c in clips)
    assert (settings.home / "recordings" / f"{COPY}.mp4").is_file()
    assert (settings.home / "rehearsals" / COPY / "orders.csv").is_file()


def test_rehearse_against_a_running_server(run_cli, live_server, mini_show):
    # one show minute: the opening only, so nothing to cut, but the whole loop runs
    result = run_cli("rehearse", MINI, "--url", live_server, "--speed", "240", "--minutes", "1")
    assert result.exit_code == 0, result.output
    assert f"rehearsal {MINI}-rehearsal-1 of {MINI}: 1 show minutes at ×240" in result.stdout
    assert "no product card was on screen: no clips to cut" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("— no clips")
    assert f"{live_server}/replay/{MINI}-rehearsal-1/vs/{MINI}" in result.stdout


def test_rehearse_names_what_is_wrong(run_cli, show):
    missing = run_cli("rehearse", "no-such-show")
    assert missing.exit_code == 1 and "no show 'no-such-show'" in missing.stderr
    too_fast = run_cli("rehearse", DEMO_SHOW_ID, "--speed", "5000")
    assert too_fast.exit_code == 2 and "--speed" in too_fast.output  # above the 3,600 at most
