"""`studio plan …` end to end on the demo catalogue and a real database."""

from __future__ import annotations

import json

import pytest

from studio.demo import DEMO_SHOW_ID


@pytest.fixture
def demo(run_cli):
    assert run_cli("init", "--demo").exit_code == 0


def test_demo_plan_fills_three_hours_and_passes_its_checks(run_cli, demo):
    result = run_cli("plan", "check", DEMO_SHOW_ID)
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.stdout
    sheet = json.loads(run_cli("plan", "show", DEMO_SHOW_ID, "--json").stdout)
    assert sheet["minutes"] == 180 and sheet["errors"] == 0
    assert sheet["end"] <= sheet["planned_end"]
    roles = {s["role"] for s in sheet["slots"]}
    assert {"traffic", "hero", "profit", "welfare"} <= roles


def test_new_arrange_check_json_and_exit_code(run_cli, demo, tmp_path):
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("sku,title,list_price,daily_price,live_price,cost,tags\n"
                     "NEW-1,新品 New,199.00,159.00,129.00,40.00,新品\n", encoding="utf-8")
    assert run_cli("catalog", "import", str(fresh)).exit_code == 0
    run_cli("show", "create", "周末专场 Weekend", "--start", "2026-12-05T19:00", "--duration", "60",
            "--id", "weekend")
    created = run_cli("plan", "new", "--show", "weekend",
                      "--skus", "BT-MASK-10,BT-SERUM-30,BT-SERUM-50,SN-MANGO-500,AP-SWTR-OAT-M,NEW-1")
    assert created.exit_code == 0, created.output
    assert created.stdout.strip() == "weekend"
    sheet = json.loads(run_cli("plan", "show", "weekend", "--json").stdout)
    serum = next(s for s in sheet["slots"] if s["id"] == "bt-serum")
    assert serum["skus"] == ["BT-SERUM-30", "BT-SERUM-50"]  # one slot per product
    assert serum["role"] == "hero" and serum["reason"]
    arranged = run_cli("plan", "arrange", "weekend")
    assert arranged.exit_code == 0 and "already arranged: no change" in arranged.stdout
    check = run_cli("plan", "check", "weekend", "--json")
    findings = json.loads(check.stdout)
    errors = [f for f in findings if f["severity"] == "error"]
    # NEW-1's prices arrived today: its 原价 ¥199 was never charged, so it is not backed
    assert [(f["code"], f["slot"]) for f in errors] == [("reference_not_backed", "new-1")]
    assert check.exit_code == 1
    assert all(set(f) == {"severity", "code", "slot", "message"} for f in findings)


def test_export_import_export_identical_and_versions(run_cli, demo, tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert run_cli("plan", "export", DEMO_SHOW_ID, str(first)).exit_code == 0
    same = run_cli("plan", "import", str(first))
    assert same.exit_code == 0 and "(unchanged)" in same.stdout
    assert run_cli("plan", "export", DEMO_SHOW_ID, str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    edited = first.read_text(encoding="utf-8").replace("title: 冬日好物节 Winter Goodies Night",
                                                       "title: 冬日好物节 改版")
    first.write_text(edited, encoding="utf-8")
    assert "version 2" in run_cli("plan", "import", str(first)).stdout


def test_bad_yaml_is_one_clear_error_and_saves_nothing(run_cli, demo, tmp_path):
    path = tmp_path / "bad.yaml"
    run_cli("plan", "export", DEMO_SHOW_ID, str(path))
    path.write_text(path.read_text(encoding="utf-8").replace("minutes: 5\n", "minutes: zero\n", 1),
                    encoding="utf-8")
    result = run_cli("plan", "import", str(path))
    assert result.exit_code == 1
    assert "bad.yaml: 1 problem(s) in the plan" in result.stderr
    assert "segments[0] (opening).minutes" in result.stderr
    versions = json.loads(run_cli("plan", "list", "--json").stdout)
    assert versions[0]["version"] == 1


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_render_run_sheets(run_cli, demo, tmp_path, fmt):
    out = tmp_path / f"sheet.{fmt}"
    result = run_cli("plan", "render", DEMO_SHOW_ID, "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
        from pypdf import PdfReader

        text = "".join(page.extract_text() for page in PdfReader(out).pages)
        assert "Winter Goodies Night" in text
        return
    text = data.decode("utf-8")
    assert "冬日好物节" in text and "烟酰胺焕亮精华液" in text and "¥159.00" in text
    if fmt == "html":
        assert "@page" in text and "<script" not in text
    else:
        assert text.startswith("# 冬日好物节") and "| 时间 |" in text


def test_render_a_run_sheet_in_english(run_cli, demo, tmp_path):
    out = tmp_path / "sheet.md"
    result = run_cli("plan", "render", DEMO_SHOW_ID, "--format", "md", "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "· Run sheet" in text and "| Time |" in text and "CN¥159.00" in text
    wrong = run_cli("plan", "render", DEMO_SHOW_ID, "--out", str(out), "--lang", "fr")
    assert wrong.exit_code == 1 and "use zh-CN or en" in wrong.stderr


def test_targets_show_the_arithmetic_and_apply(run_cli, demo):
    result = run_cli("plan", "targets", DEMO_SHOW_ID, "--gmv", "400000")
    assert result.exit_code == 0, result.output
    assert "show target ¥400,000.00 over" in result.stdout
    assert "viewers needed = ¥400,000.00 ÷ ¥5.0000 = 80,000" in result.stdout
    applied = run_cli("plan", "targets", DEMO_SHOW_ID, "--gmv", "400000", "--apply")
    assert "saved as version 2" in applied.stdout
    sheet = json.loads(run_cli("plan", "show", DEMO_SHOW_ID, "--json").stdout)
    assert sheet["gmv_target"] == "400000.00"


def test_unknown_plan_and_skus_are_clear(run_cli, demo):
    assert "no plan 'nope'" in run_cli("plan", "show", "nope").stderr
    bad = run_cli("plan", "new", "--show", DEMO_SHOW_ID, "--skus", "NOPE-1,BT-MASK-10")
    assert bad.exit_code == 1 and "not in the catalogue: NOPE-1" in bad.stderr
