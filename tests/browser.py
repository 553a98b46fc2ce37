"""A real headless browser for the report tests: Debian's chromium driven over the DevTools protocol on a
pipe (`--remote-debugging-pipe`: JSON messages, NUL-terminated, on file descriptors 3 and 4), so no driver
package or open port is needed.  `page_facts(url)` loads a page, waits for its images and reports each
image's natural width and every link."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PAGE_FACTS = """(async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return JSON.stringify({
    title: document.title,
    images: imgs.map(i => ({src: i.getAttribute('src').slice(0, 120), width: i.naturalWidth})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  });
})()"""


def chromium() -> str | None:
    """The chromium executable, or None where it is not installed."""
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


class Browser:
    """One headless chromium; `page_facts` may be called for many pages."""

    def __init__(self, executable: str, timeout: float = 60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire():  # in the child: the browser reads commands on its fd 3 and writes replies on its fd 4
            staged = os.dup(to_browser_r), os.dup(from_browser_w)  # out of the way of 3 and 4 first
            os.dup2(staged[0], 3)
            os.dup2(staged[1], 4)

        self.proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=wire)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _messages(self, deadline: float):
        while time.monotonic() < deadline:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                yield json.loads(raw)
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        raise TimeoutError("chromium did not answer in time")

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        wanted = self._send(method, params, session)
        for message in self._messages(time.monotonic() + self.timeout):
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
        raise AssertionError("unreachable")

    def page_facts(self, url: str) -> dict:
        """Load `url` in a fresh tab; its title, images (src, natural width) and links (absolute)."""
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._call("Page.enable", session=session)
        self._send("Page.navigate", {"url": url}, session)
        for message in self._messages(time.monotonic() + self.timeout):
            if message.get("method") == "Page.loadEventFired" and message.get("sessionId") == session:
                break
        result = self._call("Runtime.evaluate", {"expression": PAGE_FACTS, "awaitPromise": True,
                                                  "returnByValue": True}, session)
        self._call("Target.closeTarget", {"targetId": target})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{url}: {result['exceptionDetails']}")
        return json.loads(result["result"]["value"])

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def broken_local_links(page: Path, links: list[str]) -> list[str]:
    """The file:// links of a page that name no existing file (fragments and queries ignored)."""
    from urllib.parse import unquote, urlsplit
    broken = []
    for link in links:
        parts = urlsplit(link)
        if parts.scheme == "file" and not Path(unquote(parts.path)).exists():
            broken.append(link)
    return broken
