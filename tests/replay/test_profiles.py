"""TikTok Shop and Shopify export profiles: exports as sellers download them → exact canonical rows."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from studio.errors import ValidationFailed
from studio.replay.formats import get_profile
from studio.replay.importer import convert_rows
from studio.tabular import read_table

TIKTOK = get_profile("tiktok")
SHOPIFY = get_profile("shopify")


def read(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_table(path)


def line(order_id, created_at, paid_at, sku, quantity, amount, refund_amount, status, buyer_id):
    return {"order_id": order_id, "created_at": created_at, "paid_at": paid_at, "sku": sku,
            "quantity": quantity, "amount": amount, "refund_amount": refund_amount,
            "status": status, "buyer_id": buyer_id}


# ---- TikTok Shop -------------------------------------------------------------------------------------

TIKTOK_HEADER = ("Order ID,Order Status,Order Substatus,Cancelation/Return Type,SKU ID,Seller SKU,"
                 "Product Name,Quantity,SKU Subtotal After Discount,Order Amount,Order Refund Amount,"
                 "Created Time,Paid Time,Buyer Username,Buyer Nickname")
TIKTOK_DESCRIPTION = ("Platform unique order ID.,Current order status.,Order substatus.,"
                      "The field to explain the order is in cancellation or in return/refund.,"
                      "Platform SKU ID.,Seller sku input by the seller in the product system.,"
                      "Platform product name.,SKU sold quantity in the order.,"
                      "\"SKU subtotal after seller and platform discounts.\",Total order amount.,"
                      "Total refund amount of the order.,Order created time.,Order paid time.,"
                      "Buyer's username.,Buyer's nickname.")
# Line 3–4: two lines, $100 refunded; 5: SKU ID and nickname stand in, 24-hour times, an ID with
# the tab TikTok adds; 6: cancelled before shipping; 7: unpaid; 8–9: returned (shown Cancelled
# with Return/Refund) and refunded with shipping; 10–11: delivered, refunded, with a free gift.
TIKTOK_ORDERS = f"""{TIKTOK_HEADER}
{TIKTOK_DESCRIPTION}
576900000000000001,Completed,Completed,,1729000000000000011,AP-DOWN-BLK-M,Down Jacket,1,"$1,299.00",\
"$1,348.90",$100.00,10/23/2026 8:15:32 PM,10/23/2026 8:16:05 PM,amy_shops,Amy
576900000000000001,Completed,Completed,,1729000000000000033,SC-SILK-01,Silk Scarf,2,$49.90,\
"$1,348.90",$100.00,10/23/2026 8:15:32 PM,10/23/2026 8:16:05 PM,amy_shops,Amy
"576900000000000002\t",Awaiting Shipment,Awaiting shipment,,1729000000000000022,,Wool Socks,1,$19.90,\
$19.90,$0.00,10/23/2026 20:31:00,10/23/2026 20:31:40,,Lily W
576900000000000003,Cancelled,Cancelled,Cancel,1729000000000000011,AP-DOWN-BLK-M,Down Jacket,1,\
"$1,299.00","$1,299.00","$1,299.00",10/23/2026 8:40:00 PM,10/23/2026 8:40:30 PM,ben_b,Ben
576900000000000004,Unpaid,Unpaid,,1729000000000000033,SC-SILK-01,Silk Scarf,3,$149.70,$149.70,,\
10/23/2026 9:02:11 PM,,cara.c,Cara
576900000000000005,Cancelled,Cancelled,Return/Refund,1729000000000000011,AP-DOWN-BLK-M,Down Jacket,1,\
"$1,299.00","$1,359.37","$1,359.37",10/23/2026 9:10:00 PM,10/23/2026 9:10:12 PM,dan_d,Dan
576900000000000005,Cancelled,Cancelled,Return/Refund,1729000000000000033,SC-SILK-01,Silk Scarf,1,\
$49.90,"$1,359.37","$1,359.37",10/23/2026 9:10:00 PM,10/23/2026 9:10:12 PM,dan_d,Dan
576900000000000006,Delivered,Delivered,Return/Refund,1729000000000000011,AP-DOWN-BLK-M,Down Jacket,1,\
"$1,299.00","$1,299.00","$1,299.00",10/24/2026 12:05:09 AM,10/24/2026 12:06:00 AM,eve_e,Eve
576900000000000006,Delivered,Delivered,Return/Refund,1729000000000000044,GIFT-POUCH,Gift Pouch,1,\
$0.00,"$1,299.00","$1,299.00",10/24/2026 12:05:09 AM,10/24/2026 12:06:00 AM,eve_e,Eve
"""

TIKTOK_EXPECTED = [
    (3, line("576900000000000001", "2026-10-23T20:15:32", "2026-10-23T20:16:05", "AP-DOWN-BLK-M", "1",
             "1299.00", "96.30", "partially_refunded", "amy_shops")),
    (4, line("576900000000000001", "2026-10-23T20:15:32", "2026-10-23T20:16:05", "SC-SILK-01", "2",
             "49.90", "3.70", "partially_refunded", "amy_shops")),
    (5, line("576900000000000002", "2026-10-23T20:31:00", "2026-10-23T20:31:40", "1729000000000000022",
             "1", "19.90", "0.00", "paid", "Lily W")),
    (6, line("576900000000000003", "2026-10-23T20:40:00", "2026-10-23T20:40:30", "AP-DOWN-BLK-M", "1",
             "1299.00", "1299.00", "cancelled", "ben_b")),
    (7, line("576900000000000004", "2026-10-23T21:02:11", "", "SC-SILK-01", "3", "149.70", "0.00",
             "pending", "cara.c")),
    (8, line("576900000000000005", "2026-10-23T21:10:00", "2026-10-23T21:10:12", "AP-DOWN-BLK-M", "1",
             "1299.00", "1299.00", "refunded", "dan_d")),
    (9, line("576900000000000005", "2026-10-23T21:10:00", "2026-10-23T21:10:12", "SC-SILK-01", "1",
             "49.90", "49.90", "refunded", "dan_d")),
    (10, line("576900000000000006", "2026-10-24T00:05:09", "2026-10-24T00:06:00", "AP-DOWN-BLK-M", "1",
              "1299.00", "1299.00", "refunded", "eve_e")),
    (11, line("576900000000000006", "2026-10-24T00:05:09", "2026-10-24T00:06:00", "GIFT-POUCH", "1",
              "0.00", "0.00", "paid", "eve_e")),
]


def test_tiktok_orders_map_to_exact_canonical_rows(tmp_path):
    rows = TIKTOK.orders(read(tmp_path, "tiktok-orders.csv", TIKTOK_ORDERS), "tiktok-orders.csv")
    assert rows == TIKTOK_EXPECTED


def test_tiktok_split_refunds_add_up_to_the_order_refund(tmp_path):
    rows = TIKTOK.orders(read(tmp_path, "tiktok-orders.csv", TIKTOK_ORDERS), "tiktok-orders.csv")
    refunds: dict[str, float] = {}
    for _, row in rows:
        refunds[row["order_id"]] = refunds.get(row["order_id"], 0) + int(
            row["refund_amount"].replace(".", ""))
    # $100.00 exactly; the returned order counts what its lines paid, not the $9.47 shipping/tax.
    assert refunds["576900000000000001"] == 10000
    assert refunds["576900000000000005"] == 134890


def test_tiktok_rows_pass_the_importers_validation(tmp_path):
    rows = TIKTOK.orders(read(tmp_path, "tiktok-orders.csv", TIKTOK_ORDERS), "tiktok-orders.csv")
    good, errors, invalid = convert_rows("orders", rows, "show-1", ZoneInfo("America/Los_Angeles"))
    assert (errors, invalid, len(good)) == ([], 0, 9)


def test_tiktok_reads_xlsx_with_number_cells_and_loose_headers(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["order id", "ORDER STATUS", "Seller  SKU", " Quantity ", "sku subtotal after discount",
                  "Order Refund Amount", "Created Time", "Paid Time", "Buyer Username"])
    sheet.append(["Platform unique order ID.", "Current order status.", "Seller sku input by the seller.",
                  "SKU sold quantity in the order.", "SKU subtotal after discounts.",
                  "Total refund amount of the order.", "Order created time.", "Order paid time.",
                  "Buyer's username."])
    sheet.append(["576900000000000007", "Shipped", "AP-DOWN-BLK-M", 1, 1299.0, 0, "10/23/2026 8:15:32 PM",
                  "10/23/2026 8:16:05 PM", "fay_f"])
    sheet.append([])  # a blank row: skipped, and the line after it keeps its number
    sheet.append(["576900000000000007", "Shipped", "SC-SILK-01", 2, 49.9, 0, "10/23/2026 8:15:32 PM",
                  "10/23/2026 8:16:05 PM", "fay_f"])
    path = tmp_path / "tiktok-orders.xlsx"
    workbook.save(path)
    rows = TIKTOK.orders(read_table(path), path.name)
    assert rows == [
        (3, line("576900000000000007", "2026-10-23T20:15:32", "2026-10-23T20:16:05", "AP-DOWN-BLK-M",
                 "1", "1299.00", "0.00", "paid", "fay_f")),
        (5, line("576900000000000007", "2026-10-23T20:15:32", "2026-10-23T20:16:05", "SC-SILK-01",
                 "2", "49.90", "0.00", "paid", "fay_f")),
    ]


def test_tiktok_unreadable_values_go_through_for_the_importer_to_name(tmp_path):
    text = f"""{TIKTOK_HEADER}
{TIKTOK_DESCRIPTION}
576900000000000008,Frozen,,,1,SKU-A,A,1,$10.00,$10.00,,10/23/2026 8:00:00 PM,10/23/2026 8:00:09 PM,u1,
576900000000000009,Completed,,,2,SKU-B,B,1,N/A,$12.50,$2.00,10/23/2026 8:01:00 PM,10/23/2026 8:01:09 PM,u2,
576900000000000010,Completed,,,3,SKU-C,C,1,$5.00,$5.00,5 dollars,23/10/2026 8:02 PM,10/23/2026 8:02:09 PM,u3,
"""
    rows = TIKTOK.orders(read(tmp_path, "bad.csv", text), "bad.csv")
    assert [(n, r["status"], r["amount"], r["refund_amount"], r["created_at"]) for n, r in rows] == [
        (3, "Frozen", "10.00", "0.00", "2026-10-23T20:00:00"),
        (4, "paid", "N/A", "", "2026-10-23T20:01:00"),  # no split without the line's amount
        (5, "paid", "5.00", "5 dollars", "23/10/2026 8:02 PM"),
    ]
    _, errors, invalid = convert_rows("orders", rows, "show-1", ZoneInfo("America/Los_Angeles"))
    assert invalid == 3
    assert [(e.row, e.field) for e in errors] == [(3, "status"), (4, "amount"), (5, "refund_amount")]


def test_tiktok_missing_columns_are_named(tmp_path):
    text = TIKTOK_ORDERS.replace(",Order Refund Amount,", ",Refund,").replace("SKU ID,Seller SKU,",
                                                                               "Sku Code,Seller Code,")
    with pytest.raises(ValidationFailed) as caught:
        TIKTOK.orders(read(tmp_path, "orders.csv", text), "orders.csv")
    assert caught.value.message.startswith(
        "orders.csv: line 1: missing column(s) Seller SKU or SKU ID, Order Refund Amount; "
        "this is not a TikTok Shop order export")
    assert [(d.row, d.field) for d in caught.value.details] == [
        (1, "Seller SKU or SKU ID"), (1, "Order Refund Amount")]


def test_tiktok_without_its_description_row_is_refused(tmp_path):
    text = TIKTOK_ORDERS.replace(TIKTOK_DESCRIPTION + "\n", "")
    with pytest.raises(ValidationFailed) as caught:
        TIKTOK.orders(read(tmp_path, "orders.csv", text), "orders.csv")
    assert caught.value.message.startswith(
        "orders.csv: line 2, column Order ID: expected TikTok's description row under the header")
    assert "'576900000000000001'" in caught.value.message
    with pytest.raises(ValidationFailed, match=r"^orders\.csv: line 2: no description row"):
        TIKTOK.orders(read(tmp_path, "orders.csv", TIKTOK_HEADER + "\n"), "orders.csv")


def test_tiktok_lines_of_one_order_must_agree_on_its_refund(tmp_path):
    text = TIKTOK_ORDERS.replace('2,$49.90,"$1,348.90",$100.00', '2,$49.90,"$1,348.90",$90.00')
    with pytest.raises(ValidationFailed) as caught:
        TIKTOK.orders(read(tmp_path, "orders.csv", text), "orders.csv")
    assert caught.value.message.startswith(
        "orders.csv: line 4, column Order Refund Amount: '$90.00' differs from '$100.00' on line 3")


def test_tiktok_minute_data_and_comments_in_english_columns(tmp_path):
    metrics = read(tmp_path, "live.csv", "Time,Viewers,Views,Product Clicks,New  Followers\n"
                   "10/23/2026 8:15 PM,1203,5400,88,12\n10/23/2026 8:16 PM,1250,5610,91,3\n")
    assert TIKTOK.metrics(metrics, "live.csv") == [
        (2, {"minute": "2026-10-23T20:15:00", "online_viewers": "1203", "views": "5400",
             "product_clicks": "88", "new_followers": "12"}),
        (3, {"minute": "2026-10-23T20:16:00", "online_viewers": "1250", "views": "5610",
             "product_clicks": "91", "new_followers": "3"}),
    ]
    canonical = read(tmp_path, "minutes.csv", "minute,online_viewers\n2026-10-23T20:15:00-07:00,5\n")
    assert TIKTOK.metrics(canonical, "minutes.csv") == [
        (2, {"minute": "2026-10-23T20:15:00-07:00", "online_viewers": "5"})]
    comments = read(tmp_path, "comments.csv", "Comment Time,Username,Nickname,Comment\n"
                    "10/23/2026 8:15:07 PM,amy_shops,Amy,\"Is the black one in M, please?\"\n")
    assert TIKTOK.comments(comments, "comments.csv") == [
        (2, {"time": "2026-10-23T20:15:07", "user_id": "amy_shops", "nickname": "Amy",
             "text": "Is the black one in M, please?", "platform": "tiktok"})]


# ---- Shopify -----------------------------------------------------------------------------------------

SHOPIFY_HEADER = ("Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Total,"
                  "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
                  "Lineitem sku,Cancelled at,Payment Method,Refunded Amount,Vendor,Id,Lineitem discount")
# #1001: a second line item on a continuation row, with a $10 line discount; #1002: partially
# refunded over three lines (one free, one without SKU); #1003 voided and cancelled; #1004 only
# authorised; #1005 refunded in full, shipping included.
SHOPIFY_ORDERS = f"""{SHOPIFY_HEADER}
#1001,amy@example.com,paid,2026-12-10 20:16:40 +0800,fulfilled,USD,139.70,5.00,144.70,\
2026-12-10 20:15:02 +0800,1,Down Jacket - Black / M,89.90,129.00,AP-DOWN-BLK-M,,Shopify Payments,0.00,\
Beiyu,5512345678901,0.00
#1001,amy@example.com,,,,,,,,,2,Silk Scarf,29.90,,SC-SILK-01,,,,Beiyu,,10.00
#1002,ben@example.com,partially_refunded,2026-12-10 20:22:13 +0800,fulfilled,USD,179.60,0.00,179.60,\
2026-12-10 20:21:40 +0800,1,Down Jacket - Black / L,89.90,129.00,AP-DOWN-BLK-L,,Shopify Payments,10.00,\
Beiyu,5512345678902,0.00
#1002,,,,,,,,,,1,Thank-you Card,0.00,,,,,,Beiyu,,0.00
#1002,,,,,,,,,,3,Silk Scarf,29.90,,SC-SILK-01,,,,Beiyu,,0.00
#1003,cara@example.com,voided,,unfulfilled,USD,89.90,0.00,89.90,2026-12-10 20:30:00 +0800,1,\
Down Jacket - Black / M,89.90,129.00,AP-DOWN-BLK-M,2026-12-10 20:45:00 +0800,Shopify Payments,0.00,Beiyu,\
5512345678903,0.00
#1004,dan@example.com,authorized,,unfulfilled,USD,29.90,5.00,34.90,2026-12-10 20:35:10 -0500,1,\
Silk Scarf,29.90,,SC-SILK-01,,Shopify Payments,0.00,Beiyu,5512345678904,0.00
#1005,eve@example.com,refunded,2026-12-10 20:40:01 +0800,fulfilled,USD,89.90,6.00,95.90,\
2026-12-10 20:39:30 +0800,1,Down Jacket - Black / M,89.90,129.00,AP-DOWN-BLK-M,,Shopify Payments,95.90,\
Beiyu,5512345678905,0.00
"""

SHOPIFY_EXPECTED = [
    (2, line("#1001", "2026-12-10T20:15:02+08:00", "2026-12-10T20:16:40+08:00", "AP-DOWN-BLK-M", "1",
             "89.90", "0.00", "paid", "amy@example.com")),
    (3, line("#1001", "2026-12-10T20:15:02+08:00", "2026-12-10T20:16:40+08:00", "SC-SILK-01", "2",
             "49.80", "0.00", "paid", "amy@example.com")),
    (4, line("#1002", "2026-12-10T20:21:40+08:00", "2026-12-10T20:22:13+08:00", "AP-DOWN-BLK-L", "1",
             "89.90", "5.01", "partially_refunded", "ben@example.com")),
    (5, line("#1002", "2026-12-10T20:21:40+08:00", "2026-12-10T20:22:13+08:00", "Thank-you Card", "1",
             "0.00", "0.00", "partially_refunded", "ben@example.com")),
    (6, line("#1002", "2026-12-10T20:21:40+08:00", "2026-12-10T20:22:13+08:00", "SC-SILK-01", "3",
             "89.70", "4.99", "partially_refunded", "ben@example.com")),
    (7, line("#1003", "2026-12-10T20:30:00+08:00", "", "AP-DOWN-BLK-M", "1", "89.90", "0.00",
             "cancelled", "cara@example.com")),
    (8, line("#1004", "2026-12-10T20:35:10-05:00", "", "SC-SILK-01", "1", "29.90", "0.00", "pending",
             "dan@example.com")),
    (9, line("#1005", "2026-12-10T20:39:30+08:00", "2026-12-10T20:40:01+08:00", "AP-DOWN-BLK-M", "1",
             "89.90", "89.90", "refunded", "eve@example.com")),
]


def test_shopify_orders_map_to_exact_canonical_rows(tmp_path):
    rows = SHOPIFY.orders(read(tmp_path, "orders_export.csv", SHOPIFY_ORDERS), "orders_export.csv")
    assert rows == SHOPIFY_EXPECTED
    good, errors, _ = convert_rows("orders", rows, "show-1", ZoneInfo("Asia/Shanghai"))
    assert (errors, len(good)) == ([], 8)


def test_shopify_rows_resorted_in_a_spreadsheet_still_find_their_order(tmp_path):
    lines = SHOPIFY_ORDERS.splitlines()
    # Sorted by SKU in Excel: #1001's continuation row now comes before its first row.
    text = "\n".join([lines[0], lines[2], lines[4], lines[3], lines[1]]) + "\n"
    rows = SHOPIFY.orders(read(tmp_path, "sorted.csv", text), "sorted.csv")
    assert [(n, r["order_id"], r["sku"], r["amount"], r["refund_amount"], r["status"], r["paid_at"],
             r["buyer_id"]) for n, r in rows] == [
        (2, "#1001", "SC-SILK-01", "49.80", "0.00", "paid", "2026-12-10T20:16:40+08:00",
         "amy@example.com"),
        (3, "#1002", "Thank-you Card", "0.00", "0.00", "partially_refunded", "2026-12-10T20:22:13+08:00",
         "ben@example.com"),
        (4, "#1002", "AP-DOWN-BLK-L", "89.90", "10.00", "partially_refunded", "2026-12-10T20:22:13+08:00",
         "ben@example.com"),
        (5, "#1001", "AP-DOWN-BLK-M", "89.90", "0.00", "paid", "2026-12-10T20:16:40+08:00",
         "amy@example.com"),
    ]


def test_shopify_line_item_without_its_orders_first_row_is_refused(tmp_path):
    lines = SHOPIFY_ORDERS.splitlines()
    text = "\n".join([lines[0], lines[1], lines[2], lines[4], lines[5]]) + "\n"  # #1002's first row cut
    with pytest.raises(ValidationFailed) as caught:
        SHOPIFY.orders(read(tmp_path, "cut.csv", text), "cut.csv")
    assert caught.value.message.startswith(
        "cut.csv: line 4, column Financial Status: a line item of order #1002, but no row of that "
        "order carries its Financial Status")
    assert [(d.row, d.field) for d in caught.value.details] == [(4, "Financial Status")]


def test_shopify_missing_columns_are_named(tmp_path):
    text = SHOPIFY_ORDERS.replace(",Refunded Amount,", ",Refunds,")
    with pytest.raises(ValidationFailed, match=r"^orders\.csv: line 1: missing column\(s\) Refunded Amount; "
                                               r"this is not a Shopify orders export"):
        SHOPIFY.orders(read(tmp_path, "orders.csv", text), "orders.csv")


def test_shopify_unreadable_values_go_through_for_the_importer_to_name(tmp_path):
    text = f"""{SHOPIFY_HEADER}
#2001,a@example.com,chargeback,2026-12-10 20:16:40 +0800,,USD,,,,2026-12-10 20:15:02 +0800,1,Jacket,\
89.90,,SKU-A,,,0.00,,,0.00
#2002,b@example.com,paid,2026-12-10 20:16:40 +0800,,USD,,,,2026-12-10 20:15:02 +0800,1,Jacket,\
8O.00,,SKU-A,,,0.00,,,0.00
#2003,c@example.com,Paid,yesterday,,USD,,,,2026-12-10 20:15:02 +0800,two,Jacket,89.90,,SKU-A,,,0.00,,,
"""
    rows = SHOPIFY.orders(read(tmp_path, "bad.csv", text), "bad.csv")
    assert [(n, r["status"], r["amount"], r["paid_at"], r["quantity"]) for n, r in rows] == [
        (2, "chargeback", "89.90", "2026-12-10T20:16:40+08:00", "1"),
        (3, "paid", "8O.00", "2026-12-10T20:16:40+08:00", "1"),
        (4, "paid", "", "yesterday", "two"),
    ]
    _, errors, _ = convert_rows("orders", rows, "show-1", ZoneInfo("Asia/Shanghai"))
    assert [(e.row, e.field) for e in errors] == [(2, "status"), (3, "amount"), (4, "quantity")]


def test_shopify_minute_data_and_comments_use_canonical_columns(tmp_path):
    metrics = read(tmp_path, "m.csv", "minute,online_viewers,likes\n2026-12-10 20:15,120,33\n")
    assert SHOPIFY.metrics(metrics, "m.csv") == [
        (2, {"minute": "2026-12-10 20:15", "online_viewers": "120", "likes": "33"})]
    comments = read(tmp_path, "c.csv", "time,user_id,text\n2026-12-10 20:15:05,u1,hello\n")
    assert SHOPIFY.comments(comments, "c.csv") == [
        (2, {"time": "2026-12-10 20:15:05", "user_id": "u1", "text": "hello"})]
    with pytest.raises(ValidationFailed, match="missing column"):
        SHOPIFY.metrics(read(tmp_path, "x.csv", "Time,Viewers\n10/23/2026 8:15 PM,3\n"), "x.csv")
