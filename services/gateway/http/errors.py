"""One error shape for the whole API: `{code, message, message_zh, field}`, with its status.

Services refuse commands with `CommandRejected(code, ...)`; the code picks the HTTP status. A
code not listed is a business rule the input broke (422). Nothing here ever carries a trace.
"""

from __future__ import annotations

import asyncio
import html

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.commands import CommandRejected
from shared.logging import get_logger

log = get_logger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    message_zh: str
    field: str | None = None


DOCUMENTED = {
    400: "Malformed request",
    401: "Not logged in, or the code is wrong",
    403: "Missing or wrong CSRF token",
    404: "Not found, or not yours",
    409: "Not possible in the note's current state",
    422: "A field breaks a rule",
    429: "Too many attempts",
    503: "A service is unavailable",
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, message_zh: str, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(code=code, message=message, message_zh=message_zh, field=field)


def not_found(field: str | None = None) -> ApiError:
    # The same answer for "no such thing" and "not yours": ids cannot be probed.
    return ApiError(404, "not_found", "not found", "未找到", field)


def unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", "please log in", "请先登录")


_STATUS_OF_CODE: dict[str, int] = {
    **dict.fromkeys(("invalid_request", "malformed"), 400),
    **dict.fromkeys(
        (
            "session_invalid",
            "session_expired",
            "session_revoked",
            "code_wrong",
            "code_expired",
            "code_not_requested",
        ),
        401,
    ),
    **dict.fromkeys(
        (
            "note_not_found",
            "not_found",
            "unknown_invitation",
            "party_unknown",
            "not_anchored",
            "unknown_checkpoint",
            "index_out_of_range",
        ),
        404,
    ),
    **dict.fromkeys(
        (
            "note_exists",
            "concurrent_update",
            "terms_locked",
            "already_frozen",
            "already_verified",
            "identity_in_use",
            "invitation_active",
            "invitation_expired",
            "invitation_revoked",
            "counterparty_already_joined",
            "counterparty_not_joined",
            "note_cancelled",
            "no_invitation",
            "no_active_invitation",
            "not_initiator",
            "self_invitation",
            "check_required",
            "not_verified",
            "ticket_replayed",
            "ticket_expired",
        ),
        409,
    ),
    **dict.fromkeys(("code_rate_limited", "code_too_many_attempts", "rate_limited"), 429),
    **dict.fromkeys(("internal", "identity_unavailable", "unavailable"), 503),
}


def status_of(code: str) -> int:
    if code.endswith("_not_found"):
        return 404
    if code.startswith("not_") and code.endswith("_state"):
        return 409
    return _STATUS_OF_CODE.get(code, 422)


def from_rejection(rejected: CommandRejected) -> ApiError:
    code = rejected.code
    return ApiError(status_of(code), code, rejected.message, rejected.message_zh, rejected.field)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _page(error: ApiError) -> HTMLResponse:
    # A browser opening a page gets the same answer as a page, in Chinese (escaped: no markup
    # from a message can reach the page).
    text = html.escape(error.body.message_zh)
    body = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/app.css"><title>借条</title>'
        f'<main><h1>{error.status}</h1><p class="error">{text}</p>'
        '<a class="button" href="/notes">返回我的借条</a></main>'
    )
    return HTMLResponse(body, status_code=error.status)


def _reply(error: ApiError, request: Request | None = None) -> Response:
    if request is not None and _wants_page(request):
        return _page(error)
    headers = {"Retry-After": "60"} if error.status == 429 else None
    return JSONResponse(error.body.model_dump(), status_code=error.status, headers=headers)


# Pydantic's error types, said in Chinese (the English message is pydantic's own).
_RULES_ZH = {
    "missing": "必填项未填写",
    "json_invalid": "JSON 格式错误",
    "string_too_short": "内容不能为空",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "decimal_parsing": "不是有效的数字",
    "decimal_type": "不是有效的数字",
    "int_parsing": "不是有效的整数",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
    "uuid_parsing": "编号格式不正确",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "union_tag_invalid": "模板类型不正确",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "too_long": "条目过多",
    "bool_parsing": "应为是或否",
}


TAGS = frozenset({"iou", "receipt", "contract"})


def _rule_zh(kind: str, field: str | None) -> str:
    rule = _RULES_ZH.get(kind, "请求无效")
    return f"{field}：{rule}" if field else rule


def _field_of(loc: tuple[int | str, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    # A note's terms are told apart by their template; the field is the same in each.
    parts = [p for i, p in enumerate(parts) if not (i and parts[i - 1] == "terms" and p in TAGS)]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        return _reply(error, request)

    @app.exception_handler(CommandRejected)
    async def rejected(request: Request, error: CommandRejected) -> Response:
        return _reply(from_rejection(error), request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        message = str(first.get("msg", "invalid request"))
        loc = tuple(first.get("loc", ()))
        kind = str(first.get("type", ""))
        status = 400 if kind == "json_invalid" else 422
        field = _field_of(loc)
        return _reply(
            ApiError(status, "invalid_request", message, _rule_zh(kind, field), field), request
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return _reply(not_found(), request)
        if error.status_code == 405:
            return _reply(ApiError(405, "method_not_allowed", "method not allowed", "不支持该方法"))
        return _reply(ApiError(error.status_code, "http_error", str(error.detail), "请求失败"))

    @app.exception_handler(NatsTimeoutError)
    @app.exception_handler(NoRespondersError)
    @app.exception_handler(asyncio.TimeoutError)
    async def unavailable(_: Request, error: Exception) -> Response:
        log.warning("service unavailable", error=type(error).__name__)
        return _reply(
            ApiError(503, "unavailable", "a service is unavailable, try again", "服务暂不可用")
        )

    @app.exception_handler(Exception)
    async def internal(_: Request, error: Exception) -> Response:
        log.exception("request failed")
        return _reply(ApiError(500, "internal", "internal error", "内部错误"))
