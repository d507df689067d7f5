"""The comment feed: one normalised message shape, question and purchase-intent detection, moderation.

Platforms send comments, gifts, likes, follows and orders in their own shapes; ingest turns each
into a ``FeedMessage``. Text from the public is kept as plain text and only ever rendered as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from studio.decimals import NoFloat

Kind = Literal["comment", "gift", "like", "follow", "order", "stats"]
MAX_TEXT = 500

QUESTION_WORDS = ("多少钱", "怎么买", "怎么拍", "尺码", "码数", "链接", "几号链接", "有货", "还有吗",
                  "包邮", "发货", "什么时候", "能用吗", "适合", "how much", "price", "size",
                  "link", "shipping", "in stock", "when", "which", "?", "？")
# "+1", "SOLD", 拍了, 想要, 要了 — with an optional size or link number after it
INTENT = re.compile(
    r"^\s*(?:\+1|sold|拍了|已拍|想要|要了|我要|下单了|买了)\s*"
    r"([0-9]{1,2}号|[0-9]{1,2}|xs|s|m|l|xl|xxl|[一二三四五六七八九十]号)?\s*[!！。,.，~]*\s*$",
    re.IGNORECASE)  # the whole comment is the intent: "拍了 M" yes, "sold out?" no


class FeedMessage(BaseModel):
    """One message from the public, the same shape whatever the platform."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    platform: str = Field(min_length=1, max_length=30)
    message_id: str = Field(min_length=1, max_length=120)
    user_id: str = Field("", max_length=120)
    nickname: str = Field("", max_length=64)
    text: str = Field("", max_length=MAX_TEXT)
    time: datetime | None = None
    kind: Kind = "comment"
    # orders and gifts
    sku: str | None = Field(None, max_length=64)
    quantity: int = Field(1, ge=0, le=10_000)
    amount: Annotated[Decimal, NoFloat, Field(ge=0, lt=100_000_000)] | None = None
    coupon: str | None = Field(None, max_length=64)
    # stats: viewers online now
    online: int | None = Field(None, ge=0)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("time needs a UTC offset")
        return value


def is_question(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in QUESTION_WORDS)


def purchase_intent(text: str) -> tuple[bool, str | None]:
    """(``True``, size or link number or None) when the text says the viewer bought or wants it."""
    match = INTENT.match(text.strip())
    if not match:
        return False, None
    return True, (match.group(1) or None)


@dataclass(frozen=True, slots=True)
class Moderation:
    """Block words (plain, case-insensitive) and patterns (regular expressions)."""

    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def blocks(self, text: str) -> str | None:
        lowered = text.lower()
        for word in self.words:
            if word and word.lower() in lowered:
                return word
        for pattern in self.patterns:
            try:
                if re.search(pattern, text, re.IGNORECASE):
                    return pattern
            except re.error:
                continue
        return None


def validate_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        if len(pattern) > 200:
            raise ValueError("a block pattern is longer than 200 characters")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"block pattern {pattern!r} is not a valid expression: {exc}") from None
    return patterns


def comment_record(message: FeedMessage, received: datetime, moderation: Moderation,
                   muted: set[str]) -> dict[str, Any]:
    """The stored form of a message: plain data plus what detection and moderation found."""
    text = message.text
    intent, size = purchase_intent(text) if message.kind == "comment" else (False, None)
    blocked = moderation.blocks(text) if message.kind == "comment" else None
    user_key = f"{message.platform}:{message.user_id}"
    record: dict[str, Any] = {
        "id": f"{message.platform}:{message.message_id}",
        "platform": message.platform, "user_id": message.user_id, "nickname": message.nickname,
        "text": text, "kind": message.kind,
        "time": (message.time or received).astimezone(UTC).isoformat(timespec="milliseconds"),
        "question": message.kind == "comment" and is_question(text),
        "intent": intent, "intent_size": size,
        "hidden": bool(blocked) or user_key in muted,
    }
    if blocked:
        record["hidden_reason"] = "blocked word"
    elif user_key in muted:
        record["hidden_reason"] = "muted user"
    if message.kind == "like":
        record["quantity"] = message.quantity  # platforms batch likes: one message, 1,200 likes
    if message.kind in ("order", "gift"):
        record.update(sku=message.sku, quantity=message.quantity, coupon=message.coupon,
                      amount=None if message.amount is None else f"{message.amount:.2f}")
    if message.kind == "stats":
        record["online"] = message.online
    return record


def money(text: str | None) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
