"""`studio show create/list` from the command line."""

from __future__ import annotations

import json


def test_create_prints_the_id_and_list_shows_it(run_cli):
    result = run_cli("show", "create", "年货节 New Year Goods", "--start", "2027-01-20T19:30",
                     "--duration", "150", "--platform", "Kuaishou")
    assert result.exit_code == 0, result.output
    show_id = result.stdout.strip()
    assert show_id == "2027-01-20-nian-huo-jie-new-year-goods"
    listed = json.loads(run_cli("show", "list", "--json").stdout)
    assert listed["total"] == 1
    show = listed["items"][0]
    assert (show["id"], show["platform"], show["scheduled_start"], show["timezone"]) == (
        show_id, "kuaishou", "2027-01-20T19:30:00+08:00", "Asia/Shanghai")
    table = run_cli("show", "list").stdout
    assert "2027-01-20 19:30 Asia/Shanghai" in table


def test_other_timezone_and_explicit_offset(run_cli):
    run_cli("show", "create", "LA drop", "--start", "2026-12-01T10:00-08:00", "--duration", "60",
            "--tz", "America/Los_Angeles", "--platform", "tiktok")
    show = json.loads(run_cli("show", "list", "--json").stdout)["items"][0]
    assert show["scheduled_start"] == "2026-12-01T10:00:00-08:00"


def test_bad_arguments_are_one_line_errors(run_cli):
    bad_time = run_cli("show", "create", "X", "--start", "tomorrow", "--duration", "60")
    assert bad_time.exit_code == 1
    assert bad_time.stderr.strip().startswith("error: --start 'tomorrow' is not an ISO 8601 time")
    bad_tz = run_cli("show", "create", "X", "--start", "2026-12-01T20:00", "--duration", "60",
                     "--tz", "Asia/Beijing")
    assert bad_tz.exit_code == 1 and "unknown timezone 'Asia/Beijing'" in bad_tz.stderr
    assert len(bad_tz.stderr.strip().splitlines()) <= 2
    bad_duration = run_cli("show", "create", "X", "--start", "2026-12-01T20:00", "--duration", "0")
    assert bad_duration.exit_code == 2  # usage error from the argument parser
    assert "Traceback" not in bad_time.output + bad_tz.output + bad_duration.output


def test_titles_with_brackets_are_printed_as_text(run_cli, tmp_path):
    run_cli("show", "create", "[限定] 礼盒专场 [/b]", "--start", "2026-12-01T20:00", "--duration", "30")
    listed = run_cli("show", "list")
    assert listed.exit_code == 0 and "[限定] 礼盒专场 [/b]" in listed.stdout
    (tmp_path / "c.csv").write_text("sku,title,live_price\nB1,[限定] 礼盒 [/],9.90\n", encoding="utf-8")
    assert run_cli("catalog", "import", str(tmp_path / "c.csv")).exit_code == 0
    catalogue = run_cli("catalog", "list")
    assert catalogue.exit_code == 0 and "[限定] 礼盒 [/]" in catalogue.stdout
