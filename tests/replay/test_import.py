"""`studio replay import`: every row checked, errors named, nothing half-imported, re-import a no-op."""

from __future__ import annotations

import pytest

from tests.replay.conftest import COMMENTS, METRICS, ORDER_HEADER, ORDERS


def test_import_all_three_and_again_without_double_counting(run_cli, show, write, summary,
                                                             session):
    from sqlalchemy import func, select

    from studio.replay.models import Comment

    files = ("--orders", str(write("orders.csv", ORDERS)), "--metrics",
             str(write("metrics.csv", METRICS)), "--comments", str(write("comments.csv", COMMENTS)))
    first = run_cli("replay", "import", show, *files)
    assert first.exit_code == 0, first.stderr
    assert "orders.csv: imported 7 orders rows of 7" in first.stdout
    assert "comments.csv: imported 2 comments rows of 2" in first.stdout
    before = summary(show)
    again = run_cli("replay", "import", show, *files)
    assert again.exit_code == 0
    assert summary(show) == before
    assert before["gmv"] == "667.90" and before["orders"] == 4
    assert session.scalar(select(func.count()).select_from(Comment)) == 2
    text = session.scalar(select(Comment.text).where(Comment.user_id == "u9"))
    assert text == "<b>多少钱</b>?"  # kept as the viewer typed it; pages escape it


def test_a_changed_line_is_updated_in_place(run_cli, show, write, summary):
    run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)))
    fixed = ORDERS.replace("A6,2026-12-10 20:02:40,2026-12-10 20:02:59.999,SKU-3,1,99.90,,paid",
                           "A6,2026-12-10 20:02:40,2026-12-10 20:02:59.999,SKU-3,1,99.90,99.90,refunded")
    result = run_cli("replay", "import", show, "--orders", str(write("fixed.csv", fixed)))
    assert result.exit_code == 0
    figures = summary(show)
    assert (figures["gmv"], figures["refund_amount"], figures["net_gmv"]) == \
        ("667.90", "308.90", "359.00")


def test_bad_rows_are_named_and_nothing_is_imported(run_cli, show, write, summary):
    bad = ORDER_HEADER + "\n" + "\n".join([
        "B1,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,12.345,,paid,u1",  # line 2
        "B2,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,10,,shipped,u1",  # line 3
        "B3,2026-12-10 20:00:00,,SKU-1,1,10,,paid,u1",  # line 4
        "B4,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,10,11,partially_refunded,u1",
        "B5,yesterday,2026-12-10 20:00:01,SKU-1,1,10,,paid,u1",  # line 6
        "B6,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,two,10,,paid,u1",  # line 7
        "B7,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,10,,paid,u1",  # line 8: fine
        "B7,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,10,,paid,u1",  # line 9: repeated
        "B8,2026-12-10 20:00:00,2026-12-10 20:00:01,SKU-1,1,1.5e3,,paid,u1",  # line 10
    ]) + "\n"
    result = run_cli("replay", "import", show, "--orders", str(write("bad.csv", bad)))
    assert result.exit_code == 1
    lines = result.stderr
    assert "bad.csv: 8 invalid row(s); nothing was imported" in lines
    for expected in ("row 2, column amount: '12.345' has more than 2 decimal places",
                     "row 3, column status: 'shipped' is not one of paid",
                     "row 4, column paid_at: is empty on a paid line",
                     "row 5, column refund_amount: 11 is more than the line's amount 10",
                     "row 6, column created_at: 'yesterday' is not a date and time",
                     "row 7, column quantity: 'two' is not a whole number",
                     "row 9, column order_id: the same order line as row 8",
                     "row 10, column amount: '1.5e3' is not an amount of money"):
        assert expected in lines, (expected, lines)
    assert summary(show)["orders"] == 0

    skipped = run_cli("replay", "import", show, "--orders", str(write("bad.csv", bad)),
                      "--skip-invalid")
    assert skipped.exit_code == 0 and "imported 1 orders rows of 9, 8 invalid skipped" in \
        skipped.stdout
    assert summary(show)["orders"] == 1


def test_one_bad_file_rolls_back_the_others(run_cli, show, write, summary):
    result = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                     "--metrics", str(write("metrics.csv", METRICS.replace("300,220", "lots,220"))))
    assert result.exit_code == 1 and "row 3, column online_viewers" in result.stderr
    assert summary(show)["orders"] == 0


def test_missing_columns_unknown_profile_and_dry_run(run_cli, show, write, summary):
    missing = run_cli("replay", "import", show, "--orders",
                      str(write("o.csv", "order_id,sku\nA,B\n")))
    assert missing.exit_code == 1
    assert "missing column(s) created_at, quantity, amount, status for orders" in missing.stderr
    profile = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                      "--profile", "amazon")
    assert profile.exit_code == 1 and "no profile 'amazon'" in profile.stderr
    dry = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                  "--dry-run")
    assert dry.exit_code == 0 and "would import 7 orders rows" in dry.stdout
    assert summary(show)["orders"] == 0
    nothing = run_cli("replay", "import", show)
    assert nothing.exit_code == 1 and "--orders" in nothing.stderr
    unknown = run_cli("replay", "import", "no-such-show", "--orders", str(write("o2.csv", ORDERS)))
    assert unknown.exit_code == 1 and "no show 'no-such-show'" in unknown.stderr


def test_naive_times_follow_tz(run_cli, show, write, summary):
    run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)), "--tz", "UTC")
    minutes = {m["minute"]: m["gmv"] for m in summary(show)["by_minute"] if m["orders"]}
    # A1 was naive 20:00:30 read as UTC: 04:00 the next morning in Shanghai
    assert minutes["2026-12-11T04:00:00+08:00"] == "259.00"
    assert minutes["2026-12-10T20:01:00+08:00"] == "309.00"  # offsets are honoured regardless
    bad = run_cli("replay", "import", show, "--orders", str(write("o.csv", ORDERS)), "--tz", "Mars/Base")
    assert bad.exit_code == 1 and "unknown time zone 'Mars/Base'" in bad.stderr


def test_douyin_profile_reads_chinese_headers(run_cli, show, write, summary):
    export = ("主订单编号,订单提交时间,支付完成时间,商家编码,商品数量,订单应付金额,退款金额,订单状态,用户ID\n"
              "D1,2026-12-10 20:00:10,2026-12-10 20:00:30,SKU-1,1,¥159.00,0,已完成,u1\n"
              "D2,2026-12-10 20:01:10,2026-12-10 20:01:30,SKU-2,2,\"¥1,200.00\",200.00,部分退款,u2\n"
              "D3,2026-12-10 20:01:10,,SKU-2,1,100.00,,已关闭,u3\n")
    result = run_cli("replay", "import", show, "--orders", str(write("douyin.csv", export)),
                     "--profile", "douyin")
    assert result.exit_code == 0, result.stderr
    figures = summary(show)
    assert (figures["gmv"], figures["refund_amount"], figures["orders"], figures["buyers"]) == \
        ("1359.00", "200.00", 2, 2)


@pytest.mark.parametrize("workers", [False, True], ids=["in-process", "worker-processes"])
def test_batches_give_the_same_answer_and_a_late_bad_row_undoes_them(
        run_cli, show, write, summary, monkeypatch, workers):
    """Files are validated and written a batch at a time (big ones in worker processes, one
    each): the figures are the same as in one go, and a bad row after batches were already
    written still leaves nothing behind."""
    from studio.replay import importer

    monkeypatch.setattr(importer, "BATCH_ROWS", 2)  # 7 order lines: 4 batches
    if workers:
        monkeypatch.setattr(importer, "PARALLEL_BYTES", 0)
        monkeypatch.setattr(importer.os, "cpu_count", lambda: 2)
    late_bad = ORDERS.replace("A6,2026-12-10 20:02:40", "A6,tonight")  # line 8, the last batch
    bad = run_cli("replay", "import", show, "--orders", str(write("orders.csv", late_bad)),
                  "--comments", str(write("comments.csv", COMMENTS)))
    assert bad.exit_code == 1 and "row 8, column created_at" in bad.stderr
    assert summary(show)["orders"] == 0
    skipped = run_cli("replay", "import", show, "--orders", str(write("orders.csv", late_bad)),
                      "--skip-invalid")
    assert "imported 6 orders rows of 7, 1 invalid skipped" in skipped.stdout
    assert summary(show)["orders"] == 3  # A1, A2, A3 paid; A4 cancelled, A5 pending, A6 bad
    bad_metrics = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                          "--metrics", str(write("metrics.csv",
                                                 METRICS.replace("300,220", "lots,220"))))
    assert bad_metrics.exit_code == 1 and "row 3, column online_viewers" in bad_metrics.stderr
    assert summary(show)["orders"] == 3  # as before the failed import
    good = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                   "--metrics", str(write("metrics.csv", METRICS)),
                   "--comments", str(write("comments.csv", COMMENTS)))
    assert good.exit_code == 0, good.stderr
    assert "orders.csv: imported 7 orders rows of 7" in good.stdout
    figures = summary(show)
    # orders and buyers are counted by first-line flags set across batches: A1's two lines
    # fall in one batch, u1's third line (A3) in the next
    assert (figures["gmv"], figures["orders"], figures["buyers"], figures["peak_online"]) == \
        ("667.90", 4, 3, 300)
    again = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)))
    assert again.exit_code == 0 and summary(show) == figures


def test_a_workers_failure_reaches_the_command_whole(run_cli, show, write, summary, monkeypatch):
    from studio.replay import importer

    monkeypatch.setattr(importer, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(importer.os, "cpu_count", lambda: 2)
    # the worker process meets the bad option; its error crosses back as the user would read it
    result = run_cli("replay", "import", show, "--orders", str(write("orders.csv", ORDERS)),
                     "--tz", "Mars/Olympus")
    assert result.exit_code == 1
    assert "--tz: unknown time zone 'Mars/Olympus'" in result.stderr
    assert summary(show)["orders"] == 0
