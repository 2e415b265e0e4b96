"""chat.notify: checked at deploy time, queued in the save, posted by delivery."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import metacrm_chat  # noqa: E402

from metacrm.automation import Delivery, Settings, plugin_manager  # noqa: E402
from metacrm.meta import PackageInvalid, Vocabulary, load_files  # noqa: E402

CHAT = metacrm_chat.ChatNotify()


def test_check_reports_bad_keys():
    assert CHAT.check({"url": "https://x.org/h", "text": "hi"}) == []
    assert [k for k, _ in CHAT.check({"url": "ftp://x", "text": "", "colour": 1})] == [
        "url", "text", "colour"]


def test_the_plugin_registers_through_the_hook():
    pm, _engine = plugin_manager(load_entry_points=False)
    pm.register(metacrm_chat)
    names = [k.name for batch in pm.hook.register_actions() for k in batch]
    assert "chat.notify" in names and "send_email" in names


def _package(action_type: str) -> dict:
    return {"p": {"package.yaml": "kind: package\nname: p\nversion: 1.0.0\n",
                  "objects/a.yaml": "kind: object\nname: a\ntitle: n\nfields: {n: {type: text}}\n",
                  "workflows/w.yaml": "kind: workflow\nname: w\nobject: a\ntrigger: [create]\n"
                                      f"actions: [{{type: {action_type}, url: 'https://x.org/h', "
                                      "text: hi}]\n"}}


def test_the_loader_knows_the_action_through_the_plugin_manager_it_is_given():
    pm, _engine = plugin_manager(load_entry_points=False)
    pm.register(metacrm_chat)
    vocabulary = Vocabulary.from_plugins(pm)
    catalog = load_files(_package("chat.notify"), vocabulary=vocabulary)
    assert catalog.workflows["w"].actions[0].type == "chat.notify"
    with pytest.raises(PackageInvalid, match="unknown action type 'chat.notify'"):
        load_files(_package("chat.notify"))  # metacrm's own vocabulary has no plugin actions


def test_an_unknown_plugin_action_is_a_deploy_error():
    pm, _engine = plugin_manager(load_entry_points=False)
    pm.register(metacrm_chat)
    with pytest.raises(PackageInvalid, match="unknown action type 'chat.notfy'"):
        load_files(_package("chat.notfy"), vocabulary=Vocabulary.from_plugins(pm))


def test_deliver_posts_json():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append((self.headers["Idempotency-Key"],
                        json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        CHAT.deliver({"url": url, "text": "Won: Deal"}, Delivery(Settings(), "k1", 1))
        assert got == [("k1", {"text": "Won: Deal"})]
    finally:
        server.shutdown()
        server.server_close()
