"""The whole journey in a real browser (Debian's Chromium, headless): a lender and a borrower,
each in a browser context of their own, from login to the 已完成签署 stamp, the evidence pack
and its verification, then the void. Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from shared.health import AsgiServer
from shared.stack.embedded import free_port
from tests.gateway.journey import png
from tests.gateway.stack import Stack, eventually, new_id_number, new_phone

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "gateway" / "browser"
PHONE_VIEWPORT = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


@pytest.fixture
async def base_url(stack: Stack) -> AsyncIterator[str]:
    port = free_port()
    server = AsgiServer(stack.app, "127.0.0.1", port)
    await server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert await asyncio.to_thread(CHROMIUM.exists), "run `make browser-deps` (apt chromium)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        await launched.close()


class Person:
    def __init__(self, name: str, context: BrowserContext, page: Page, stack: Stack) -> None:
        self.name, self.context, self.page, self.stack = name, context, page, stack
        self.phone = new_phone()

    async def shot(self, step: str) -> None:
        await asyncio.to_thread(SHOTS.mkdir, parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SHOTS / f"{step}.png"), full_page=True)

    async def log_in(self) -> None:
        page = self.page
        await page.fill("input[name=phone]", self.phone)
        await page.click("#send-code")
        await expect(page.locator("[data-error]")).to_contain_text("验证码已发送")
        await page.fill("input[name=code]", await self.stack.inbox_code(self.phone))
        await page.click("#login button[type=submit]")
        await page.wait_for_url(lambda url: "/login" not in url)

    async def verify_identity(self) -> None:
        await self.page.fill("input[name=legal_name]", self.name)
        await self.page.fill("input[name=id_number]", new_id_number())
        await self.page.click("#identity button[type=submit]")
        await self.page.wait_for_url(lambda url: "/verify" not in url)

    async def sign_here(self, step: str) -> None:
        """The sign page: a face photo for the fresh check, then a signature drawn by hand."""
        page = self.page
        face = base64.b64decode(png(160, 160))
        await page.set_input_files(
            "[data-face]", files=[{"name": "face.png", "mimeType": "image/png", "buffer": face}]
        )
        await expect(page.locator("[data-checked]")).to_be_visible()
        box = await page.locator("[data-pad]").bounding_box()
        assert box is not None
        x, y = box["x"] + 20, box["y"] + box["height"] / 2
        await page.mouse.move(x, y)
        await page.mouse.down()
        for i in range(1, 30):
            await page.mouse.move(x + i * 9, y + (18 if i % 4 < 2 else -18), steps=2)
            await page.wait_for_timeout(8)
        await page.mouse.up()
        await page.check("input[name=intent_confirmed]")
        await self.shot(step)
        await page.click("#sign button[type=submit]")
        await page.wait_for_url(lambda url: "/sign" not in url)


async def person(browser: Browser, name: str, stack: Stack, base: str) -> Person:
    context = await browser.new_context(
        base_url=base,
        viewport=PHONE_VIEWPORT,
        locale="zh-CN",
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept("协商一致")))
    return Person(name, context, page, stack)


async def status_is(who: Person, status: str, url: str) -> None:
    async def shown() -> bool:
        await who.page.goto(url)
        return await who.page.locator(f"[data-status={status}]").count() == 1

    await eventually(shown, within=30)


async def test_the_whole_journey_in_two_browsers(
    stack: Stack, base_url: str, browser: Browser
) -> None:
    lender = await person(browser, "张三", stack, base_url)
    borrower = await person(browser, "李四", stack, base_url)

    # The lender logs in, verifies, drafts an IOU with live validation.
    await lender.page.goto("/notes")
    await lender.shot("01-login")
    await lender.log_in()
    await lender.page.goto("/verify?next=/notes/new/iou")
    await lender.verify_identity()
    page = lender.page
    start = date.today()
    await page.fill("input[name=principal]", "200000")
    await expect(page.locator("[data-problems] li").first).to_be_visible()
    await lender.shot("02-live-validation")
    await page.fill("input[name=principal]", "10000")
    await page.fill("input[name=start_date]", start.isoformat())
    await page.fill("input[name=due_date]", (start + timedelta(days=180)).isoformat())
    await page.fill("input[name=annual_rate_percent]", "6")
    await expect(page.locator("[data-capitals=principal]")).to_contain_text("壹万元整")
    await page.fill("input[name=cp_name]", "李四")
    await page.fill("input[name=cp_phone]", borrower.phone)
    await page.check("input[name=disclaimer]")
    await lender.shot("03-new-note")
    await page.click("#draft button[type=submit]")
    await page.wait_for_url("**/notes/*-*")
    note_url = page.url
    await lender.shot("04-draft")

    # The invitation, as a link and a QR code.
    await page.click("[data-action=invite]")
    await expect(page.locator("[data-qr]")).to_be_visible()
    link = await page.locator("[data-invite-link]").input_value()
    await lender.shot("05-invitation")

    # The borrower opens it, logs in, enters their own name and ID, accepts.
    invite_path = link[link.index("/invite/") :]

    async def invitation_ready() -> bool:
        await borrower.page.goto(invite_path)
        return await borrower.page.locator("text=登录后查看并签署").count() == 1

    await eventually(invitation_ready)
    await borrower.shot("06-borrower-opens-invitation")
    await borrower.page.click("text=登录后查看并签署")
    await borrower.log_in()
    await borrower.page.click("text=去认证")
    await borrower.verify_identity()
    await borrower.shot("07-borrower-verified")
    await borrower.page.click("[data-action=accept]")
    await borrower.page.wait_for_url("**/notes/*-*")
    await borrower.shot("08-borrower-joined")

    # The lender submits and signs on the canvas; then the borrower signs.
    await page.goto(note_url)
    await status_is(lender, "joined", note_url)
    await page.click("[data-action=submit]")
    await page.wait_for_url("**/sign")
    await lender.sign_here("09-lender-signs")
    await status_is(borrower, "signing", note_url)
    await borrower.page.click("[data-action=sign]")
    await borrower.sign_here("10-borrower-signs")
    await status_is(borrower, "completed", note_url)
    await expect(borrower.page.locator("[data-stamp]")).to_be_visible()
    await expect(borrower.page.locator("[data-handwriting]")).to_have_count(2)
    await borrower.shot("11-completed-stamp")

    # The evidence: the pack downloads, and the public verifier checks it.
    async def pack_ready() -> bool:
        await borrower.page.goto(note_url + "/evidence")
        return await borrower.page.locator("[data-download]").count() == 1

    await eventually(pack_ready, within=60)
    await expect(borrower.page.locator("[data-verdict=ok]")).to_be_visible()
    await borrower.shot("12-evidence")
    async with borrower.page.expect_download() as downloading:
        await borrower.page.click("[data-download]")
    download = await downloading.value
    pack = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
    assert pack["format"] == "jietiao-evidence-pack/v1"
    anyone = await person(browser, "", stack, base_url)
    await anyone.page.goto("/check")
    await anyone.page.fill("textarea[name=document]", json.dumps(pack))
    await anyone.page.click("#check button[type=submit]")
    await expect(anyone.page.locator("[data-verdict=ok]")).to_be_visible()
    assert await anyone.page.locator(".checks li", has_text="receipt").count() > 0
    assert await anyone.page.locator(".checks li.bad").count() == 0
    await anyone.shot("13-public-verification")

    # The void: the lender asks, the borrower countersigns.
    await page.goto(note_url)
    await page.click("[data-action=void]")
    await page.select_option("select[name=reason_code]", "settled")
    await lender.sign_here("14-lender-requests-void")
    await status_is(borrower, "void_pending", note_url)
    await borrower.shot("15-void-pending")
    await borrower.page.click("[data-action=sign-void]")
    await borrower.sign_here("16-borrower-signs-void")
    await status_is(lender, "voided", note_url)
    await lender.shot("17-voided")
