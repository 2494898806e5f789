"""The server-rendered pages: who may open them, what they show, CSRF on the one HTML form."""

from __future__ import annotations

import re

from tests.gateway.conftest import drafted, verified
from tests.gateway.stack import Stack, eventually

HTML = {"Accept": "text/html"}


async def test_pages_send_strangers_to_login_and_serve_local_assets(stack: Stack) -> None:
    client = stack.client()
    for path in ("/", "/notes", "/notes/new", "/notes/new/iou", "/verify"):
        reply = await client.get(path, headers=HTML)
        assert reply.status_code == 303, path
        assert reply.headers["location"].startswith("/login")
    login = await client.get("/login", headers=HTML)
    assert login.status_code == 200
    assert 'lang="zh-CN"' in login.text
    assert 'name="viewport"' in login.text
    assert "//" not in re.sub(
        r"https?://|//\s", "", "".join(re.findall(r'src="([^"]+)"', login.text))
    )
    for asset in ("/static/app.js", "/static/app.css"):
        assert (await client.get(asset)).status_code == 200
    public = await client.get("/check", headers=HTML)
    assert public.status_code == 200
    assert "存证核验" in public.text


async def test_a_party_sees_the_note_page_and_a_stranger_a_404_page(stack: Stack) -> None:
    lender, stranger = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, stranger, "王五")
    note_id = await drafted(stack, lender)
    page = await lender.get(f"/notes/{note_id}", headers=HTML)
    assert page.status_code == 200
    assert "¥10000.00" in page.text
    assert "壹万元整" in page.text
    assert "邀请对方" in page.text
    hidden = await stranger.get(f"/notes/{note_id}", headers=HTML)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("text/html")
    assert "10000" not in hidden.text


async def test_the_invitation_page_shows_a_link_and_a_qr_code_once(stack: Stack) -> None:
    lender, borrower = stack.client(), stack.client()
    login = await verified(stack, lender)
    note_id = await drafted(stack, lender)
    forged = await lender.post(f"/notes/{note_id}/invite", data={"csrf_token": "x"}, headers=HTML)
    assert forged.status_code == 403
    page = await lender.post(
        f"/notes/{note_id}/invite", data={"csrf_token": login["csrf_token"]}, headers=HTML
    )
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.text
    link = re.search(r'value="(https://testserver/invite/[^"]+)"', page.text)
    assert link is not None
    path = link.group(1).removeprefix("https://testserver")

    async def projected() -> bool:
        return "借款人" in (await borrower.get(path, headers=HTML)).text

    await eventually(projected)
    opened = await borrower.get(path, headers=HTML)
    assert "登录后查看并签署" in opened.text
