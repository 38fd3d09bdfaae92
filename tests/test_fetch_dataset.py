"""The dataset prepared from a fetch equals the one prepared from a Telegram Desktop export of
the same messages: same rows, same order, same splits.

The Desktop export is written here by hand, the way tdesktop writes one (every chat of the
account, bots, Saved Messages and channels included; entity text split at Desktop's own
boundaries; media as "not included" placeholders), independently of the fetcher's writer.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from pathlib import Path

import datasets
import pytest
from telethon.tl import types

from clonebot.config import Settings
from fixtures_fetch import fetching
from training.dataset import prepare

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


def _local(d: datetime.datetime) -> str:
    return datetime.datetime.fromtimestamp(d.timestamp()).isoformat()


def _desktop_message(m, owner: int, peer: int, names: dict[int, str]) -> dict:
    when = {"date": _local(m.date), "date_unixtime": str(int(m.date.timestamp()))}
    if isinstance(m, types.MessageService):
        return {"id": m.id, "type": "service", **when, "actor": names[owner],
                "actor_id": f"user{owner}", "action": "phone_call", "discard_reason": "missed",
                "text": "", "text_entities": []}
    sender = m.from_id.user_id if m.from_id else (owner if m.out else peer)
    d = {"id": m.id, "type": "message", **when, "from": names[sender], "from_id": f"user{sender}"}
    if m.edit_date:
        d.update(edited=_local(m.edit_date), edited_unixtime=str(int(m.edit_date.timestamp())))
    if m.fwd_from:
        d["forwarded_from"] = names[m.fwd_from.from_id.user_id]
    if m.via_bot_id:
        d["via_bot"] = "@gif"
    if m.reply_to:
        d["reply_to_message_id"] = m.reply_to.reply_to_msg_id
    if isinstance(m.media, types.MessageMediaPhoto):
        d.update(photo=NOT_INCLUDED, width=1280, height=960)
    elif isinstance(m.media, types.MessageMediaDocument):
        d.update(file=NOT_INCLUDED, thumbnail=NOT_INCLUDED, media_type="sticker",
                 sticker_emoji=m.media.document.attributes[0].alt, width=512, height=512)
    if m.entities:  # the one styled message: Desktop's parts, not the fetcher's
        parts = [{"type": "bold", "text": "bold"}, " and 👍🏽 ",
                 {"type": "text_link", "text": "link", "href": "https://example.com"}, " done"]
        d["text"] = parts
        d["text_entities"] = [p if isinstance(p, dict) else {"type": "plain", "text": p}
                              for p in parts]
    else:
        d["text"] = m.message
        d["text_entities"] = [{"type": "plain", "text": m.message}] if m.message else []
    return d


def desktop_export(tg, p) -> dict:
    names = {p.owner: "Olga Owner", p.alice: "Alice", p.bob: "Bob Builder", p.helper: "Helper"}
    chats = [  # tdesktop's order: the dialog list
        ("News", "public_channel", p.news),
        ("Club", "private_supergroup", p.club),
        ("Family", "private_group", p.family),
        (None, "saved_messages", p.owner),
        ("Helper", "bot_chat", p.helper),
        ("Bob Builder", "personal_chat", p.bob),
        ("Alice", "personal_chat", p.alice),
    ]
    listed = []
    for name, kind, peer in chats:
        messages = [_desktop_message(m, p.owner, peer, names) for m in tg.history(p.owner, peer)
                    if kind != "public_channel"]  # (a channel's posts: no one's words here)
        bare = -peer - 10**12 if peer < -10**12 else abs(peer)  # what Desktop writes
        listed.append({"name": name, "type": kind, "id": bare, "messages": messages})
    return {"about": "Here is the data you requested.",
            "personal_information": {"user_id": p.owner, "first_name": "Olga",
                                     "last_name": "Owner", "phone_number": "+1 555 0001",
                                     "username": "@owner", "bio": ""},
            "contacts": {"about": "", "list": []}, "chats": {"about": "", "list": listed},
            "left_chats": {"about": "", "list": []}}


def rows(out: Path) -> dict[str, list[dict]]:
    d = datasets.load_from_disk(str(out))
    return {split: d[split].to_list() for split in d}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray ./config.toml
    monkeypatch.delenv("CLONEBOT_MODEL__BASE_MODEL", raising=False)


@pytest.mark.parametrize("groups", [False, True])
def test_a_fetch_prepares_into_the_same_dataset_as_a_desktop_export(tmp_path, groups):
    f, p = fetching(tmp_path)
    f.tg.edit(p.owner, p.alice, f.tg.history(p.owner, p.alice)[-2].id, "edited before both")
    asyncio.run(f.run(groups=groups))
    desktop = tmp_path / "desktop" / "result.json"
    desktop.parent.mkdir()
    desktop.write_text(json.dumps(desktop_export(f.tg, p), ensure_ascii=False, indent=1))
    settings = Settings(dialogue={"session_gap_hours": 4.0},
                        prepare={"eval_fraction": 0.1, "include_groups": groups})
    from_fetch = prepare(f.out, tmp_path / "from-fetch", settings)
    from_desktop = prepare(desktop, tmp_path / "from-desktop", settings)
    fetched, exported = rows(tmp_path / "from-fetch"), rows(tmp_path / "from-desktop")
    assert fetched == exported
    assert len(fetched["train"]) > 50 and fetched["eval"]
    assert from_fetch["chats_used"] == from_desktop["chats_used"] == (4 if groups else 2)
    for key in ("samples", "messages_kept", "pii_redactions"):
        assert from_fetch[key] == from_desktop[key], key
    # the Desktop export also holds the chats prepare leaves out; the fetch never took them
    assert from_desktop["skipped"].pop("chat_not_used") > 0
    assert from_fetch["skipped"] == from_desktop["skipped"]
    # the special messages were there to be left out or read as Desktop does
    texts = " ".join(t["content"] for r in fetched["train"] + fetched["eval"]
                     for t in r["messages"])
    assert "😂" in texts and "look at this view" in texts and "bold and 👍🏽 link done" in texts
    assert "forwarded words" not in texts and "a gif found inline" not in texts
    assert "edited before both" in texts
    assert ("I'll bring cake" in texts) == groups
