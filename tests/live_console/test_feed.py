"""Feed rules without a server: questions, purchase intent, moderation, rate buckets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio.live_console.feed import FeedMessage, Moderation, comment_record, is_question, purchase_intent
from studio.live_console.router import Bucket


@pytest.mark.parametrize("text", ["这个多少钱", "怎么买呀", "尺码怎么选", "几号链接", "how much?",
                                  "what size for 170cm", "link pls", "有货吗？"])
def test_questions_are_detected(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["好看", "主播好美", "来了来了"])
def test_plain_comments_are_not_questions(text):
    assert not is_question(text)


@pytest.mark.parametrize(("text", "size"), [("拍了 M", "M"), ("+1", None), ("SOLD 2", "2"),
                                            ("想要", None), ("要了 xl", "xl"), ("已拍 3号", "3号")])
def test_purchase_intent_with_an_optional_size(text, size):
    assert purchase_intent(text) == (True, size)


@pytest.mark.parametrize("text", ["我不想要这个颜色吗", "sold out?", "1+1=2"])
def test_not_every_mention_is_intent(text):
    assert purchase_intent(text) == (False, None)


def test_moderation_words_patterns_and_muted_users():
    rules = Moderation(words=("加微信",), patterns=(r"v\s*x\s*\d+",))
    received = datetime(2026, 12, 1, 12, tzinfo=UTC)
    blocked = comment_record(FeedMessage(platform="douyin", message_id="1", user_id="a",
                                         text="加微信领红包"), received, rules, set())
    pattern = comment_record(FeedMessage(platform="douyin", message_id="2", user_id="b",
                                         text="VX 12345"), received, rules, set())
    muted = comment_record(FeedMessage(platform="douyin", message_id="3", user_id="c",
                                       text="你好"), received, rules, {"douyin:c"})
    fine = comment_record(FeedMessage(platform="douyin", message_id="4", user_id="d",
                                      text="<b>你好</b>"), received, rules, set())
    assert [r["hidden"] for r in (blocked, pattern, muted, fine)] == [True, True, True, False]
    assert muted["hidden_reason"] == "muted user"
    assert fine["text"] == "<b>你好</b>"  # stored as the viewer typed it; screens render text


def test_money_in_feed_messages_is_never_a_float():
    with pytest.raises(ValueError, match="never as floats"):
        FeedMessage(platform="x", message_id="1", kind="order", amount=1.5)
    with pytest.raises(ValueError, match="UTC offset"):
        FeedMessage(platform="x", message_id="1", time="2026-12-01T20:00:00")


def test_token_bucket_allows_bursts_then_limits():
    bucket = Bucket(rate=10, burst=5)
    assert all(bucket.take() for _ in range(5))
    assert not bucket.take()


def test_likes_count_their_quantity_and_coupon_labels_read_as_viewers_know_them():
    from decimal import Decimal

    from studio.live_console.commands import coupon_label
    from studio.live_console.state import LiveState

    received = datetime(2026, 12, 1, 12, tzinfo=UTC)
    like = comment_record(FeedMessage(platform="douyin", message_id="l1", kind="like",
                                      quantity=1200), received, Moderation(), set())
    state = LiveState({"id": "s", "status": "live"}, [])
    state.apply("comments", {"items": [like]}, received)
    assert state.stats["likes"] == 1200
    assert coupon_label(Decimal("20"), None, Decimal("199")) == "满199减20"
    assert coupon_label(Decimal("10"), None, None) == "立减10元"
    assert coupon_label(None, Decimal("15"), None) == "8.5折"
