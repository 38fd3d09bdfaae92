"""``clonebot prepare`` on WhatsApp exports (training/export/whatsapp/, inputs.py,
training/dataset/): each fixture variant end to end, zips and folders, the owner by name,
groups, same-name people, bad input, merges of newer exports, both sources in one dataset."""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import training.commands.prepare
from clonebot.cli import cli
from clonebot.config import load_settings
from clonebot.prompt_format import CLONE
from fixtures_dataset import assert_one_line_error, dataset_files
from training.dataset import prepare
from training.dataset.sources import source_of

training.commands.prepare.register(cli)

FIX = Path(__file__).resolve().parent / "fixtures" / "whatsapp"
SAMPLE = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"
ME = "Alex Kim"
MARIA = FIX / "WhatsApp Chat with Maria Lopez.txt"
TOM_ZIP = FIX / "WhatsApp Chat - Tom Baker.zip"
# What WhatsApp writes itself, in the fixtures' languages: never training text.
LEAKS = re.compile(r"omitted|omitid|deleted|eliminó|Eliminaste|удален|удалили|gelöscht|"
                   r"ausgeschlossen|Без медиа|attached|edited|изменено|bearbeitet|editó|"
                   r"encrypted|шифрованием|verschlüsselt|cifrados|Missed|Пропущенный|"
                   r"Verpasster|null|location:|maps\.google|created group|added|\u200e|"
                   r"отсутствует|Multimedia", re.I)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for k in ("CLONEBOT_MODEL__BASE_MODEL", "CLONEBOT_PREPARE__OWNER_ID",
              "CLONEBOT_PREPARE__OWNER_NAME", "CLONEBOT_PREPARE__WORKERS"):
        monkeypatch.delenv(k, raising=False)


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


def settings(**prepare_keys):
    s = load_settings(None)
    return s.model_copy(update={"prepare": s.prepare.model_copy(update=prepare_keys)})


def records(out: Path) -> list[dict]:
    return pq.read_table(out / "messages.parquet").to_pylist()


def samples(out: Path) -> list[dict]:
    d = datasets.load_from_disk(str(out))
    return [r for s in d for r in d[s].to_list()]


def content(out: Path) -> tuple:
    """What a dataset holds (rows, not bytes: Arrow batches follow the way it was built)."""
    st = json.loads((out / "stats.json").read_text())
    return records(out), samples(out), st["fingerprint"], st["messages_total"]


def owner_texts(out: Path) -> list[str]:
    return [r["text"] for r in records(out) if r["clone"]]


# -- every variant, end to end --------------------------------------------------------------
VARIANTS = {  # file -> (owner's words that must be there, the other person's, type)
    "WhatsApp Chat with Maria Lopez.txt":  # Android, en-US, 12-hour
        (["yes!! 10ish?", "ooh I remember that one\nthe sourdough was unreal\nlet's go there first",
          "around 6, why?", "I'm in. 6:30?"], ["6:30 is great"], "personal"),
    "WhatsApp Chat - Tom Baker.zip":  # iOS, en-GB, 24-hour, zip with media, CRLF
        (["always", "there, flags of the world, homework", "the flag homework paid off 🏆"],
         ["Pub quiz on Thursday?"], "personal"),
    "Чат WhatsApp с контактом Иван Петров.txt":  # Android, ru, 24-hour
        (["привет, да, с 10", "глянул, шапку бы поменьше\nи шрифт покрупнее", "супер, спасибо"],
         ["Ок, поправлю к обеду"], "personal"),
    "Чат WhatsApp с контактом Оля.txt":  # Android, ru, 12-hour (утра / дня / вечера / ночи)
        (["уже нет 🙂", "я тоже, до завтра!"], ["Не спится, уже собрала рюкзак 😄"], "personal"),
    "WhatsApp Chat - Дима":  # iOS, ru, 24-hour, an unzipped export (folder with _chat.txt)
        (["вот вид из окна", "себя и хорошее настроение"], ["Как прошёл переезд?"], "personal"),
    "WhatsApp Chat mit Jonas.txt":  # Android, de, 24-hour
        (["sieht gut aus, ich bring das Seil mit", "kein Stress, ich wärm mich schon auf"],
         ["Super, dann bis Sonntag"], "personal"),
    "WhatsApp Chat - Lucía.txt":  # iOS, es, 12-hour ("p. m.")
        (["¡claro! ¿llevo algo?", "allí estaré", "a las 8 y media"], ["¡Perfecto! A las 9"],
         "personal"),
    "Chat de WhatsApp con Carmen.txt":  # Android, es, 12-hour ("p. m.")
        (["increíble el gol del minuto 90"], ["¿Desayunamos juntas?"], "personal"),
    "WhatsApp Chat with Kenji.txt":  # Android, ja, year first, 午前/午後
        (["7時はどう？", "僕も！"], ["おはよう、楽しみ"], "personal"),
    "WhatsApp Chat with Hiking Club.txt":  # Android group, en-GB
        (["hey! where do we meet?", "legend. I'll bring the map"], ["I'll bring snacks"], "group"),
    "WhatsApp Chat - Family.zip":  # iOS group, en-US, 12-hour, zip
        (["count me in, I'll make dessert", "what time?"], ["1pm"], "group"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_gives_the_owners_words_and_nothing_whatsapp_wrote(name, tmp_path):
    mine, theirs, kind = VARIANTS[name]
    out = tmp_path / "ds"
    args = [FIX / name, "--out", out, "--owner-name", ME]
    if kind == "group":
        r = run(*args)  # groups only with --groups, as for Telegram
        assert_one_line_error(r, out, "no text messages from the owner", "--groups")
        args.append("--groups")
    r = run(*args)
    assert r.exit_code == 0, r.output
    got = owner_texts(out)
    assert all(t in got for t in mine), got
    all_texts = [r["text"] for r in records(out)]
    assert all(t in all_texts for t in theirs)
    assert not [t for t in all_texts if LEAKS.search(t)]
    rows = samples(out)
    assert rows and all(row["messages"][-1]["role"] == CLONE for row in rows)
    assert all(source_of(row["chat_id"]) == "whatsapp" for row in rows)
    st = json.loads((out / "stats.json").read_text())
    assert st["export_kind"] == "whatsapp" and st["owner_names"] == [ME]
    assert set(st["sources"]) == {"whatsapp"} and st["sources"]["whatsapp"]["samples"] == len(rows)


def test_dates_and_edits_are_recorded(tmp_path):
    out = tmp_path / "ds"
    prepare(MARIA, out, settings(), owner_name=ME)
    recs = {r["text"]: r for r in records(out)}
    # 2/10/24, 9:33 PM (12-hour, U+202F before PM): 21:33 on 10 Feb 2024, as UTC wall clock.
    assert recs["around 6, why?"]["date"] == 1707600780
    assert recs["around 6, why?"]["edited"] > recs["around 6, why?"]["date"]
    assert recs["I'm in. 6:30?"]["edited"] == 0
    # Consecutive owner messages are one turn, a later session another sample.
    replies = [row["messages"][-1]["content"] for row in samples(out)]
    assert "yes!! 10ish?\nI can bring the big bags" in replies


# -- inputs: zip, folders, several at once, pipes --------------------------------------------
def test_a_folder_of_chats_and_a_telegram_export_in_one_dataset(tmp_path):
    both = tmp_path / "exports"
    shutil.copytree(FIX, both / "whatsapp")
    shutil.copytree(SAMPLE.parent, both / "DataExport_2026-11-21")
    (both / "whatsapp" / "notes.txt").write_text("shopping list: milk, eggs\n")  # not a chat
    out = tmp_path / "ds"
    r = run(both, "--out", out, "--owner-name", ME)
    assert r.exit_code == 0, r.output
    assert "sources: telegram" in r.output
    st = json.loads((out / "stats.json").read_text())
    assert st["export_kind"] == "full+whatsapp"
    assert st["owner_ids"] and st["owner_names"] == [ME]
    assert st["files_passed_over"] == [str(both / "whatsapp" / "notes.txt")]
    by = st["sources"]
    assert by["telegram"]["samples"] > 0 and by["whatsapp"]["samples"] > 0
    assert by["telegram"]["samples"] + by["whatsapp"]["samples"] == st["samples"]
    assert by["whatsapp"]["chats_used"] == 9  # personal chats; the two groups need --groups
    srcs = {source_of(r["chat_id"]) for r in records(out)}
    assert srcs == {"telegram", "whatsapp"}


def test_several_export_arguments_equal_one_folder(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files = [FIX / n for n in ("WhatsApp Chat mit Jonas.txt", "WhatsApp Chat with Maria Lopez.txt")]
    assert run(*files, "--out", a, "--owner-name", ME).exit_code == 0
    folder = tmp_path / "two"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder)
    assert run(folder, "--out", b, "--owner-name", ME).exit_code == 0
    keys = ("samples", "fingerprint")
    assert dataset_files(a, keys) == dataset_files(b, keys)


def test_the_zip_is_read_in_place_and_the_unzipped_one_is_the_same_chat(tmp_path):
    unzipped = tmp_path / "WhatsApp Chat - Tom Baker"
    with zipfile.ZipFile(TOM_ZIP) as z:
        z.extractall(unzipped)
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(TOM_ZIP, "--out", a, "--owner-name", ME).exit_code == 0
    assert run(unzipped, "--out", b, "--owner-name", ME).exit_code == 0
    assert records(a) == records(b)
    # ... and the same chat: preparing the other form into the first changes nothing.
    r = run(unzipped, "--out", a, "--owner-name", ME)
    assert r.exit_code == 0 and "merged: 0 new" in r.output


def test_a_chat_from_a_pipe(tmp_path):
    r_fd, w_fd = os.pipe()
    os.write(w_fd, MARIA.read_bytes())
    os.close(w_fd)
    try:
        out = tmp_path / "ds"
        r = run(f"/dev/fd/{r_fd}", "--out", out, "--owner-name", ME)
    finally:
        os.close(r_fd)
    assert r.exit_code == 0, r.output
    assert "yes!! 10ish?" in owner_texts(out)


def test_worker_processes_give_the_same_bytes(tmp_path):
    outs = []
    for n in (0, 2):
        out = tmp_path / f"w{n}"
        prepare([FIX, SAMPLE], out, settings(workers=n, include_groups=True), owner_name=ME)
        outs.append(dataset_files(out))
    assert outs[0] == outs[1]


# -- the owner by name ----------------------------------------------------------------------------
def test_without_an_owner_name_the_error_lists_the_senders(tmp_path):
    out = tmp_path / "ds"
    err = assert_one_line_error(run(MARIA, "--out", out), out, "--owner-name",
                                "senders in this chat: 'Alex Kim' (", "'Maria Lopez' (")
    assert "prepare.owner_name" in err
    err = assert_one_line_error(run(FIX, "--out", out), out, "11 WhatsApp chats",
                                "'Alex Kim' (in 11 of 11 chats")
    err = assert_one_line_error(run(MARIA, "--out", out, "--owner-name", "Alexandra"), out,
                                "'Alexandra' writes nothing in", "'Alex Kim'")


def test_owner_name_matches_as_a_person_would_and_comes_from_config(tmp_path, monkeypatch):
    a = tmp_path / "a"
    assert run(MARIA, "--out", a, "--owner-name", "  alex KIM ").exit_code == 0
    monkeypatch.setenv("CLONEBOT_PREPARE__OWNER_NAME", "Alex Kim")
    b = tmp_path / "b"
    assert run(MARIA, "--out", b).exit_code == 0
    assert records(a) == records(b)


def test_a_phone_number_owner_is_matched_by_its_digits(tmp_path):
    chat = tmp_path / "WhatsApp Chat with Bea.txt"
    chat.write_text("".join(
        f"05/01/2024, 10:{i:02d} - {who}: {text}\n" for i, (who, text) in enumerate([
            ("Bea", "hi there"), ("\u202a+49 151 2345678\u202c", "hello!"), ("Bea", "coffee?"),
            ("\u202a+49 151 2345678\u202c", "yes please")])), encoding="utf-8")
    out = tmp_path / "ds"
    assert run(chat, "--out", out, "--owner-name", "+491512345678").exit_code == 0
    assert owner_texts(out) == ["hello!", "yes please"]


# -- two people, one name -------------------------------------------------------------------------
def test_two_spellings_of_one_name_in_a_file_are_an_error_naming_both(tmp_path):
    chat = tmp_path / "WhatsApp Chat with Sam.txt"
    chat.write_text("05/01/2024, 10:00 - Sam: hi\n05/01/2024, 10:01 - Alex Kim: hey\n"
                    "05/01/2024, 10:02 - sam: who is this\n", encoding="utf-8")
    out = tmp_path / "ds"
    assert_one_line_error(run(chat, "--out", out, "--owner-name", ME), out,
                          "two senders named 'Sam' and 'sam'", "--exclude-chat")
    # Left out as the error says, the rest is prepared.
    r = run(chat, MARIA, "--out", out, "--owner-name", ME, "--exclude-chat", "Sam")
    assert r.exit_code == 0, r.output
    assert "who is this" not in [x["text"] for x in records(out)]
    assert "yes!! 10ish?" in owner_texts(out)


def test_a_contact_with_the_owners_name_is_an_error(tmp_path):
    chat = tmp_path / "WhatsApp Chat with Alex Kim.txt"
    chat.write_text("05/01/2024, 10:00 - Alex Kim: hi\n05/01/2024, 10:01 - Alex Kim: hey you\n",
                    encoding="utf-8")
    out = tmp_path / "ds"
    assert_one_line_error(run(chat, "--out", out, "--owner-name", ME), out,
                          "has your name ('Alex Kim')")


def test_two_files_of_one_name_that_share_nothing_are_two_people(tmp_path):
    a = tmp_path / "one" / "WhatsApp Chat with Sam.txt"
    b = tmp_path / "two" / "WhatsApp Chat with Sam.txt"
    for p, words, answer, bye in ((a, "dinner tonight?", "yes, 8?", "see you"),
                                  (b, "did you get the tickets?", "not yet", "ok")):
        p.parent.mkdir()
        p.write_text(f"05/01/2024, 10:00 - Sam: {words}\n05/01/2024, 10:05 - Alex Kim: {answer}\n"
                     f"06/01/2024, 11:00 - Sam: {bye}\n", encoding="utf-8")
    out = tmp_path / "ds"
    assert_one_line_error(run(a, b, "--out", out, "--owner-name", ME), out,
                          "both the chat 'Sam' but share no message")
    # The same chat exported twice (a newer export overlapping the older one) is fine.
    c = tmp_path / "three" / "WhatsApp Chat with Sam.txt"
    c.parent.mkdir()
    c.write_text(a.read_text() + "07/01/2024, 09:00 - Alex Kim: morning\n", encoding="utf-8")
    assert run(a, c, "--out", out, "--owner-name", ME).exit_code == 0


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("content,says", [
    (b"Dear diary,\ntoday was fine.\n", "is not a WhatsApp chat export"),
    (b"", "is empty"),
    (b"\xff\xfe\x00\x01garbage", "is not a WhatsApp chat export"),
    (b"32/13/2024, 10:00 - Alex Kim: hi\n", "no line has a date that can be read"),
])
def test_a_file_that_is_not_a_whatsapp_export_is_one_line(content, says, tmp_path):
    p = tmp_path / "chat.txt"
    p.write_bytes(content)
    out = tmp_path / "ds"
    assert_one_line_error(run(p, "--out", out, "--owner-name", ME), out, says)


def test_a_zip_without_a_chat_and_a_broken_zip_are_one_line(tmp_path):
    z = tmp_path / "photos.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("IMG-1.jpg", b"x")
    out = tmp_path / "ds"
    assert_one_line_error(run(z, "--out", out, "--owner-name", ME), out, "holds no _chat.txt")
    bad = tmp_path / "WhatsApp Chat - X.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert_one_line_error(run(bad, "--out", out, "--owner-name", ME), out, "not a readable zip")
    assert_one_line_error(run(tmp_path / "nope.txt", "--out", out), out, "not found")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(run(empty, "--out", out), out, "no Telegram export", "no WhatsApp chat")


def test_unreadable_lines_are_skipped_and_counted(tmp_path):
    data = MARIA.read_bytes().replace(b"Perfect, 10 works", b"Perfect, 10 works\n\xff\xfe oops") \
        .replace(b"2/10/24, 9:12", b"2/30/24, 9:12")  # a line with a date that is none
    p = tmp_path / "WhatsApp Chat with Maria Lopez.txt"
    p.write_bytes(b"exported by a tool\n" + data)
    out = tmp_path / "ds"
    r = run(p, "--out", out, "--owner-name", ME)
    assert r.exit_code == 0, r.output
    st = json.loads((out / "stats.json").read_text())
    assert st["skipped"]["unreadable_line"] == 3
    assert st["sources"]["whatsapp"]["skipped"]["unreadable_line"] == 3
    assert "Perfect, 10 works" in [x["text"] for x in records(out)]
    assert not any("sourdough" in t for t in owner_texts(out))  # its header was the bad date


# -- merges: the same file twice, a newer export, retrain -----------------------------------------
def test_the_same_chats_twice_change_nothing(tmp_path):
    out = tmp_path / "ds"
    assert run(FIX, "--out", out, "--owner-name", ME, "--groups").exit_code == 0
    before = content(out)
    r = run(FIX, "--out", out, "--owner-name", ME, "--groups")
    assert r.exit_code == 0 and "merged: 0 new" in r.output and "(0 with newer edits)" in r.output
    assert content(out) == before


def _later_export(older: str) -> str:
    """Maria's chat exported months later, on a phone switched to 24-hour time: one
    message edited since, one deleted for everyone, new messages after."""
    def to24(m: re.Match) -> str:
        h, mi, half = int(m["h"]), m["m"], m["half"]
        return f"{(h % 12) + (12 if half == 'PM' else 0):02d}:{mi} -"
    text = re.sub(r"(?P<h>\d{1,2}):(?P<m>\d\d)\u202f(?P<half>AM|PM) -", to24, older)
    text = text.replace("Alex Kim: same time next week?", "Alex Kim: same time next week? "
                        "I'll bring coffee <This message was edited>")
    text = text.replace("Alex Kim: best saturday in ages honestly",
                        "Alex Kim: This message was deleted")
    return text + ("2/17/24, 09:58 - Maria Lopez: At the fountain again?\n"
                   "2/17/24, 10:00 - Alex Kim: yep, with coffee this time ☕\n")


def test_a_newer_export_merges_new_edited_and_deleted_messages(tmp_path):
    out = tmp_path / "ds"
    assert run(MARIA, "--out", out, "--owner-name", ME).exit_code == 0
    old = {r["message_id"]: r for r in records(out)}
    newer = tmp_path / "later" / MARIA.name
    newer.parent.mkdir()
    newer.write_text(_later_export(MARIA.read_text(encoding="utf-8")), encoding="utf-8")
    r = run(newer, "--out", out)  # the owner's name comes from the dataset
    assert r.exit_code == 0, r.output
    st = json.loads((out / "stats.json").read_text())
    assert (st["messages_new"], st["messages_updated"]) == (2, 1), r.output
    new = {r["message_id"]: r for r in records(out)}
    assert set(old) < set(new) and len(new) == len(old) + 2
    edited = [r["text"] for r in new.values() if r["text"].startswith("same time next week?")]
    assert edited == ["same time next week? I'll bring coffee"]
    # Deleted for everyone since: still the owner's words from the older export.
    assert "best saturday in ages honestly" in owner_texts(out)
    assert "yep, with coffee this time ☕" in owner_texts(out)
    # And the newer export again: nothing changes, not even a byte.
    before = dataset_files(out, ("samples", "fingerprint", "messages_total"))
    r = run(newer, "--out", out)
    assert r.exit_code == 0 and "merged: 0 new" in r.output and "(0 with newer edits)" in r.output
    assert dataset_files(out, ("samples", "fingerprint", "messages_total")) == before


def test_an_iphone_export_of_the_same_chat_is_the_same_messages(tmp_path):
    """Android writes minutes, iOS seconds and brackets: the ids are the same."""
    def to_ios(line: str) -> str:
        m = re.match(r"(\d+)/(\d+)/(\d+), (\d+):(\d\d)\u202f(AM|PM) - (.*)", line)
        if not m:
            return line
        mo, d, y, h, mi, half, rest = m.groups()
        return f"[{mo}/{d}/{y}, {h}:{mi}:17\u202f{half}] {rest}"
    ios = "\r\n".join(to_ios(x) for x in MARIA.read_text(encoding="utf-8").split("\n"))
    p = tmp_path / "WhatsApp Chat - Maria Lopez" / "_chat.txt"
    p.parent.mkdir()
    p.write_text(ios, encoding="utf-8", newline="")
    out = tmp_path / "ds"
    assert run(MARIA, "--out", out, "--owner-name", ME).exit_code == 0
    r = run(p.parent, "--out", out)
    assert r.exit_code == 0 and "merged: 0 new" in r.output, r.output


def test_retrain_from_a_fresh_whatsapp_export_merges(tmp_path):
    """``clonebot retrain NEW_EXPORT`` (the real routine and prepare; training and scoring
    faked) merges a newer WhatsApp export with no --owner-name: the dataset remembers it."""
    from fixtures_versions import fake_run
    from training import retrain

    s = load_settings(paths={"runs_dir": str(tmp_path / "runs"),
                             "dataset_dir": str(tmp_path / "ds")})
    prepare(MARIA, s.paths.dataset_dir, s, owner_name=ME)
    newer = tmp_path / MARIA.name
    newer.write_text(_later_export(MARIA.read_text(encoding="utf-8")), encoding="utf-8")

    def train(settings, dataset_dir, out, *, resume=False, restart=False, progress=True):
        fake_run(out, base_model="fake")
        return {"eval_loss": 1.0, "steps": 3}

    def score(settings, new_dir, current_dir, items, gen_rows=()):
        return retrain.Scores(retrain.Score(1.0, 1.0, 2.0, len(items)),
                              retrain.Score(9.9, 5.0, 100.0, len(items)), None)

    res = retrain.retrain(s, newer, train_fn=train, score_fn=score, train_progress=False)
    assert (res.prepare["messages_new"], res.prepare["messages_updated"]) == (2, 1)
    assert res.action == "promoted"
    assert "yep, with coffee this time ☕" in owner_texts(Path(s.paths.dataset_dir))
