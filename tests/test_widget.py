"""The embeddable widget (/widget.js) in a real browser: headless Chromium loads a merchant's page from
another origin, the page embeds the widget with time tokens its server generated, and the widget's
JSONP requests reach a real gunicorn. The DOM Chromium dumps must show the balance and the rewards in
reach for a fresh token, and the refusal for an expired token and for another customer's token."""
from __future__ import annotations

import html
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from lxml import html as lxml_html

from conftest import IN_CI
from servers import form, free_port, fresh_database, running_server

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is not installed (.ci/run installs the Debian package chromium)")
        pytest.skip("chromium is not installed (Debian package chromium); CI runs this test")
    return CHROMIUM


class MerchantSite:
    """A merchant's web site on its own port (another origin than the loyalty server): one page."""

    def __init__(self, page: str):
        body = page.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/shop.html"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def dump_dom(url: str, profile) -> str:
    """The page's DOM once its scripts have run, as headless Chromium serialises it."""
    result = subprocess.run(
        [require_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def call(server, type_, **fields) -> dict:
    doc = requests.post(server.url, data=form(type_, **fields), timeout=10).json()
    assert doc["status"] == "success", doc
    return doc


def embed(server, target: str, token: str, customer: str, campaign: str = "", api: bool = True) -> str:
    """A script tag as a merchant writes it; without ``api`` the widget asks the host it came from."""
    attrs = {"data-account": "shop", "data-token": token, "data-customer": customer, "data-target": target,
             **({"data-api": server.url} if api else {}), **({"data-campaign": campaign} if campaign else {})}
    shown = " ".join(f'{name}="{html.escape(value)}"' for name, value in attrs.items())
    return f'<div id="{target}"></div>\n<script src="{server.url}widget.js" {shown}></script>'


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_widget_shows_the_balance_and_refuses_bad_tokens_in_chromium(backend, tmp_path):
    require_chromium()
    with fresh_database(backend, tmp_path) as url, running_server(url, workers=2) as server:
        script = requests.get(server.url + "widget.js", timeout=10)
        assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
        points = call(server, "campaign_new", action="campaign", campaign_type="points",
                      campaign_name="Coffee Club")["campaign"]["id"]
        for level, text in ((100, "Free coffee"), (120, "<b>Cake</b> & tea"), (500, "Espresso machine")):
            call(server, "campaign_new", action="reward", campaign_id=points, reward_level=level, reward_description=text)
        call(server, "record_customer", customer_action="new", code="C1", first_name="Ann")
        call(server, "record_customer", customer_action="new", code="C2")
        call(server, "record_activity", campaign_id=points, code="C1", amount="1.5")  # 150 points

        # What the merchant's server does for each page view: a token per customer, never a key.
        fresh = call(server, "generate_time_token", code="C1", campaign_id=points, token_interval=600)["token"]
        expired = call(server, "generate_time_token", code="C1", token_interval=1)
        someone_else = call(server, "generate_time_token", code="C2", token_interval=600)["token"]
        # Wait out the short token for real, as a page left open would.
        deadline = time.monotonic() + 10
        while requests.post(server.url, data=form("validate_time_token", token=expired["token"]),
                            timeout=10).json().get("error") != "Token expired":
            assert time.monotonic() < deadline, "the 1-second token did not expire"
            time.sleep(0.2)

        page = "\n".join([
            "<!doctype html><html><head><title>Great Widgets</title></head><body><h1>Your rewards</h1>",
            embed(server, "fresh", fresh, "C1", points),
            embed(server, "expired", expired["token"], "C1"),
            embed(server, "other", someone_else, "C1", api=False),
            "</body></html>",
        ])
        with MerchantSite(page) as site:
            assert not site.url.startswith(server.url)  # another origin
            dom = lxml_html.fromstring(dump_dom(site.url, tmp_path / "chromium-profile"))

    ok = dom.get_element_by_id("fresh")
    assert ok.get("data-state") == "ok", lxml_html.tostring(ok)
    [campaign] = ok.find_class("rewardgate-campaign")
    assert campaign.get("data-campaign-id") == points
    assert campaign.find_class("rewardgate-name")[0].text_content() == "Coffee Club"
    assert campaign.find_class("rewardgate-balance")[0].text_content() == "150"
    rewards = [li.text_content() for li in campaign.find_class("rewardgate-reward")]
    # In reach: 100 and 120; the 500-point reward is not. Markup in a description stays text.
    assert rewards == ["Free coffee (100)", "<b>Cake</b> & tea (120)"]
    assert ok.findall(".//b") == []

    for target, message in (("expired", "Token expired"), ("other", "Token not valid for this customer")):
        box = dom.get_element_by_id(target)
        assert box.get("data-state") == "error", lxml_html.tostring(box)
        assert box.find_class("rewardgate-error")[0].text_content() == message
        assert box.find_class("rewardgate-balance") == []
