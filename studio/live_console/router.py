"""The live console's doors: one WebSocket per show, and HTTP for triggers, ingest and state.

Protocol (docs/protocol.md): the first message is ``hello`` with a role token (and the last
``seq`` seen, to resume); the server answers with a snapshot or the missed events, then streams
numbered events. Commands carry a client id and get ``ack`` (with the resulting seq) or
``reject`` (with a reason); a repeated id gets the same answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from studio.errors import NotFound, StudioError, ValidationFailed, unstorable
from studio.live_console import tokens
from studio.live_console.feed import FeedMessage
from studio.live_console.hub import PROTOCOL, HubRegistry, Outcome, encode, stamp

log = logging.getLogger("studio.live")
router = APIRouter(tags=["live"])

MAX_FRAME = 512 * 1024  # one WebSocket message (an ingest batch) at most
MAX_COMMAND = 16 * 1024
HELLO_SECONDS = 10
CLOSE_AUTH, CLOSE_FORBIDDEN, CLOSE_UNKNOWN_SHOW = 4001, 4003, 4004
CLOSE_PROTOCOL, CLOSE_TOO_BIG, CLOSE_RATE = 4400, 4413, 4429


class Hello(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    token: str = Field(max_length=200)  # a wrong token is refused with 4001, not as bad JSON
    last_seq: int | None = Field(None, ge=0)
    protocol: int = PROTOCOL


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = "command"
    id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=40)
    args: dict[str, Any] = Field(default_factory=dict)


class IngestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = "ingest"
    id: str | None = Field(None, max_length=80)
    messages: list[dict[str, Any]] = Field(max_length=5000)


class Bucket:
    """A token bucket: ``rate`` per second with bursts of ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.level, self.at = rate, burst, burst, time.monotonic()

    def take(self, amount: float = 1) -> bool:
        moment = time.monotonic()
        self.level = min(self.burst, self.level + (moment - self.at) * self.rate)
        self.at = moment
        if self.level < amount:
            return False
        self.level -= amount
        return True


COMMANDS_PER_SECOND, COMMAND_BURST = 20, 40
INGEST_PER_SECOND, INGEST_BURST = 10_000, 20_000


def token_bucket(app: Any, show_id: str, token: str, kind: str) -> Bucket:
    """The rate limit of one token, shared by all its sockets and HTTP calls in this worker
    (opening more sockets does not buy more commands)."""
    key = (show_id, kind, hashlib.sha256(token.encode()).hexdigest()[:16])
    buckets = app.state.rate_limits
    bucket = buckets.get(key)
    if bucket is None:
        if len(buckets) > 10_000:  # tokens are few; a flood of junk keys must not grow this
            buckets.clear()
        rate, burst = ((COMMANDS_PER_SECOND, COMMAND_BURST) if kind == "commands"
                       else (INGEST_PER_SECOND, INGEST_BURST))
        bucket = buckets[key] = Bucket(rate, burst)
    return bucket


def registry(app: Any) -> HubRegistry:
    return app.state.live


async def role_for(app: Any, show_id: str, token: str) -> str | None:
    """The role a token grants for a show (tokens are re-derived: rotation takes effect at once)."""
    def lookup() -> dict[str, str]:
        with app.state.session_factory() as session:
            return tokens.tokens_for(session, app.state.live_secret, show_id)

    return tokens.role_of(token, await asyncio.to_thread(lookup))


def parse_messages(raw: list[dict[str, Any]]) -> list[FeedMessage]:
    parsed = []
    for index, item in enumerate(raw):
        try:
            parsed.append(FeedMessage.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(f"message {index}: {field}: {first['msg']}") from None
    return parsed


# ---- WebSocket ------------------------------------------------------------------------------------

@router.websocket("/ws/live/{show_id}")
async def live_socket(websocket: WebSocket, show_id: str) -> None:
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), HELLO_SECONDS)
        hello = Hello.model_validate_json(raw)
        if hello.type != "hello":
            raise ValueError("the first message must be hello")
    except (TimeoutError, ValidationError, ValueError, WebSocketDisconnect) as exc:
        await _close(websocket, CLOSE_PROTOCOL, f"send hello first: {type(exc).__name__}")
        return
    role = await role_for(websocket.app, show_id, hello.token)
    if role is None:
        await _close(websocket, CLOSE_AUTH, "unknown or revoked token for this show")
        return
    try:
        hub = await registry(websocket.app).get(show_id)
    except NotFound:
        await _close(websocket, CLOSE_UNKNOWN_SHOW, f"no show {show_id}")
        return
    subscriber = await hub.subscribe(role, hello.last_seq)
    writer = asyncio.create_task(_write(websocket, subscriber))
    revoked = asyncio.create_task(_close_when_revoked(websocket, show_id, hello.token))
    commands = token_bucket(websocket.app, show_id, hello.token, "commands")
    ingest = token_bucket(websocket.app, show_id, hello.token, "ingest")
    # ingest batches are answered when committed, but the socket keeps reading meanwhile:
    # a sender at 20 frames a second must not wait a flush cycle per frame
    in_flight = asyncio.Semaphore(64)
    answers: set[asyncio.Task[None]] = set()
    try:
        while True:
            raw = await websocket.receive_text()
            if len(raw) > MAX_FRAME:
                await _close(websocket, CLOSE_TOO_BIG, f"message over {MAX_FRAME} bytes")
                break
            try:
                message = json.loads(raw)
                kind = message.get("type") if isinstance(message, dict) else None
            except json.JSONDecodeError:
                kind = None
            problem = unstorable(message, "message") if kind in ("command", "ingest") else None
            if problem:  # text no database stores: refused by name, not a failed write later
                subscriber.offer(encode({"type": "reject", "id": str(message.get("id", ""))[:80],
                                         "code": "invalid", "reason": problem,
                                         "server_time": stamp(hub.now())}), hub)
                continue
            if kind == "command":
                if len(raw) > MAX_COMMAND:
                    await _close(websocket, CLOSE_TOO_BIG, f"command over {MAX_COMMAND} bytes")
                    break
                await _command(hub, subscriber, message, role, commands)
            elif kind == "ingest":
                if role != "ingest":
                    subscriber.offer(encode({"type": "error", "code": "forbidden",
                                             "reason": f"the {role} role cannot ingest"}), hub)
                    continue
                if not await _ingest(websocket, hub, subscriber, message, ingest, in_flight,
                                     answers):
                    break
            elif kind == "ping":
                subscriber.offer(encode({"type": "pong", "seq": hub.state.seq,
                                         "server_time": stamp(hub.now())}), hub)
            else:
                subscriber.offer(encode({"type": "error", "code": "protocol",
                                         "reason": "expected command, ingest or ping"}), hub)
    except WebSocketDisconnect:
        pass
    finally:
        for task in answers:
            task.cancel()
        hub.unsubscribe(subscriber)
        writer.cancel()
        revoked.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        with contextlib.suppress(asyncio.CancelledError):
            await revoked


async def _command(hub, subscriber, message: dict[str, Any], role: str, bucket: Bucket) -> None:
    try:
        command = CommandIn.model_validate(message)
    except ValidationError as exc:
        first = exc.errors()[0]
        subscriber.offer(encode({"type": "reject", "id": str(message.get("id", ""))[:80],
                                 "code": "invalid", "reason": f"{'.'.join(map(str, first['loc']))}"
                                 f": {first['msg']}", "server_time": stamp(hub.now())}), hub)
        return
    if not bucket.take():
        subscriber.offer(encode(Outcome(command.id, code="rate_limited",
                                        reason=f"more than {COMMANDS_PER_SECOND} commands a "
                                        "second with this token").message(hub.now())), hub)
        return
    outcome = await hub.command(command.name, command.args, role=role, command_id=command.id)
    subscriber.offer(encode(outcome.message(hub.now())), hub)


async def _ingest(websocket, hub, subscriber, message: dict[str, Any], bucket: Bucket,
                  in_flight: asyncio.Semaphore, answers: set[asyncio.Task[None]]) -> bool:
    try:
        batch = IngestIn.model_validate(message)
        messages = parse_messages(batch.messages)
    except (ValidationError, StudioError) as exc:
        reason = exc.message if isinstance(exc, StudioError) else str(exc.errors()[0]["msg"])
        subscriber.offer(encode({"type": "reject", "id": message.get("id"), "code": "invalid",
                                 "reason": reason}), hub)
        return True
    if not bucket.take(len(messages)):
        await _close(websocket, CLOSE_RATE, "ingest over 10,000 messages a second")
        return False
    await in_flight.acquire()  # at most 64 unanswered batches per socket: backpressure

    async def answer() -> None:
        try:
            result = await hub.ingest(messages)
            subscriber.offer(encode({"type": "ingested", "id": batch.id, **result,
                                     "server_time": stamp(hub.now())}), hub)
        finally:
            in_flight.release()

    task = asyncio.create_task(answer())
    answers.add(task)
    task.add_done_callback(answers.discard)
    return True


async def _write(websocket: WebSocket, subscriber) -> None:
    try:
        while True:
            for text in await subscriber.take():
                if text is None:
                    await _close(websocket, 1001, "server shutting down")
                    return
                await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        return


REVOKE_CHECK_SECONDS = 2.0


async def current_tokens(app: Any, show_id: str) -> dict[str, str]:
    """The show's valid tokens, read at most every 2 s per worker: what open sockets are
    checked against (a rotation closes the old token's sockets within that time)."""
    cache = app.state.token_cache
    moment = time.monotonic()
    known = cache.get(show_id)
    if known is None or moment - known[0] > REVOKE_CHECK_SECONDS:
        found = await asyncio.to_thread(_tokens, app, show_id)
        known = cache[show_id] = (moment, found)
    return known[1]


async def _close_when_revoked(websocket: WebSocket, show_id: str, token: str) -> None:
    while True:
        await asyncio.sleep(REVOKE_CHECK_SECONDS)
        try:
            current = await current_tokens(websocket.app, show_id)
        except Exception:  # the database is away: keep the socket, look again later
            continue
        if tokens.role_of(token, current) is None:
            await _close(websocket, CLOSE_AUTH, "token revoked: ask the studio for the new one")
            return


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=code, reason=reason[:120])


# ---- HTTP -----------------------------------------------------------------------------------------

def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def _require(request: Request, show_id: str, token: str | None, roles: set[str]) -> str:
    role = await role_for(request.app, show_id, token or "") if token else None
    if role is None:
        raise _HttpError(401, "unauthorized", "send the show's role token as 'Authorization: "
                                              "Bearer TOKEN'")
    if role not in roles:
        raise _HttpError(403, "forbidden", f"the {role} role cannot do this")
    return role


class _HttpError(StudioError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.code = status, code


class TriggerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=80, description="client command id (idempotency)")
    name: str = Field(max_length=40)
    args: dict[str, Any] = Field(default_factory=dict)


@router.post("/api/v1/live/{show_id}/commands")
async def trigger(show_id: str, body: TriggerIn, request: Request,
                  authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
    """Send a command over HTTP (Stream Deck, Companion): answered with the resulting seq."""
    token = _bearer(authorization)
    role = await _require(request, show_id, token, {"operator", "host"})
    if not token_bucket(request.app, show_id, token or "", "commands").take():
        raise _HttpError(429, "rate_limited",
                         f"more than {COMMANDS_PER_SECOND} commands a second with this token")
    hub = await registry(request.app).get(show_id)
    command_id = body.id or f"http-{time.time_ns()}"
    outcome = await hub.command(body.name, body.args, role=role, command_id=command_id)
    status = 200 if outcome.ok else (503 if outcome.code == "storage" else 409)
    return JSONResponse(outcome.message(hub.now()), status_code=status)


@router.post("/api/v1/live/{show_id}/commands/{name}")
async def trigger_named(show_id: str, name: str, request: Request,
                        authorization: Annotated[str | None, Header()] = None,
                        id: str | None = None) -> JSONResponse:
    """The same, with the command in the path and its arguments as the JSON body (may be empty)."""
    body = await request.body()
    try:
        args = json.loads(body) if body.strip() else {}
    except json.JSONDecodeError:
        raise ValidationFailed("the body must be a JSON object of arguments") from None
    if not isinstance(args, dict):
        raise ValidationFailed("the body must be a JSON object of arguments")
    try:
        body = TriggerIn(id=id, name=name, args=args)
    except ValidationError as exc:  # the name in the path, or the id, is too long or empty
        first = exc.errors()[0]
        raise ValidationFailed(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return await trigger(show_id, body, request, authorization)


class IngestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[dict[str, Any]] = Field(max_length=5000)


@router.post("/api/v1/live/{show_id}/comments")
async def ingest_http(show_id: str, request: Request,
                      authorization: Annotated[str | None, Header()] = None,
                      x_studio_signature: Annotated[str | None, Header()] = None
                      ) -> dict[str, Any]:
    """Ingest a batch of feed messages. Authenticate with the ingest token, or sign the body
    (webhooks): ``X-Studio-Signature: sha256=HEX`` = HMAC-SHA256(ingest token, body)."""
    raw = await request.body()
    if len(raw) > MAX_FRAME:
        raise _HttpError(413, "too_big", f"a batch is at most {MAX_FRAME} bytes")
    token = _bearer(authorization)
    if token is None and x_studio_signature:
        current = await asyncio.to_thread(_tokens, request.app, show_id)
        expected = "sha256=" + hmac.new(current["ingest"].encode(), raw,
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, x_studio_signature.strip()):
            raise _HttpError(401, "bad_signature", "X-Studio-Signature does not match the body")
        token = current["ingest"]
    await _require(request, show_id, token, {"ingest"})
    try:
        body = IngestBody.model_validate_json(raw)
    except ValidationError as exc:
        raise ValidationFailed(f"not an ingest batch: {exc.errors()[0]['msg']}") from None
    messages = parse_messages(body.messages)
    if not token_bucket(request.app, show_id, token or "", "ingest").take(len(messages)):
        raise _HttpError(429, "rate_limited",
                         f"ingest over {INGEST_PER_SECOND:,} messages a second with this token")
    hub = await registry(request.app).get(show_id)
    result = await hub.ingest(messages)
    if not result["ok"]:
        raise _HttpError(503 if "not saved" in result["reason"] else 409, "not_ingested",
                         result["reason"])
    return result


def _tokens(app: Any, show_id: str) -> dict[str, str]:
    with app.state.session_factory() as session:
        return tokens.tokens_for(session, app.state.live_secret, show_id)


@router.get("/api/v1/live/{show_id}/state")
async def live_state(show_id: str, request: Request,
                     authorization: Annotated[str | None, Header()] = None,
                     token: str | None = None) -> dict[str, Any]:
    """The current state as the token's role sees it (what a snapshot carries)."""
    role = await _require(request, show_id, _bearer(authorization) or token,
                          set(tokens.ROLES))
    hub = await registry(request.app).get(show_id)
    return hub.snapshot_message(role, reason="http")
