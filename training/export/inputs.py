"""What ``clonebot prepare EXPORT...`` was given: Telegram exports and WhatsApp chats.

Each EXPORT is one of:

- a Telegram Desktop ``result.json`` (a ``.json`` file, or any file that starts with
  ``{``), or the folder holding it;
- a WhatsApp chat: a ``.txt`` export, a ``.zip`` export (``_chat.txt`` from an iPhone,
  ``WhatsApp Chat with NAME.txt`` from Android, media files beside it), or an unzipped one;
- a folder: every Telegram export (a folder with ``result.json``; its subfolders hold its
  media and are not searched) and every WhatsApp chat (``.txt`` / ``.zip``) in it and its
  subfolders. A text
  file or zip there that is not a WhatsApp chat (a document someone sent) is passed over
  and counted; named on the command line, it is refused.

A pipe or device (``<(unzip -p chat.zip _chat.txt)``) is read once: ``prepare`` copies it
beside the dataset (``training.export.spool``) and tells what it is by its first bytes
(``pipe_problem``, ``piped_kind``): a Telegram export is parsed while it is copied, a
WhatsApp chat is copied whole first.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from clonebot.errors import ExportError
from training.export.guard import first_byte_problem, html_export
from training.export.reader import export_mode
from training.export.whatsapp.chat import ChatFile
from training.export.whatsapp.lines import decoded_lines, split_header

_ZIP_MAGIC = b"PK\x03\x04"
_SNIFF_LINES = 50
_MAX_DEPTH = 6


@dataclass
class Inputs:
    telegram: list[Path] = field(default_factory=list)
    whatsapp: list[ChatFile] = field(default_factory=list)
    pipes: list[Path] = field(default_factory=list)  # read once: copied, then sniffed
    passed_over: list[str] = field(default_factory=list)  # files in folders that are neither

    @property
    def paths(self) -> list[str]:
        return ([str(p) for p in self.telegram] + [f.label for f in self.whatsapp]
                + [str(p) for p in self.pipes])

    def add_file(self, path: Path, explicit: bool = True) -> None:
        """A regular file: a Telegram export or a WhatsApp chat (``explicit``: named on the
        command line, so one that is neither is an error)."""
        kind = sniff(path)
        if explicit and kind == "text" and _is_html(path):
            raise ExportError(html_export(path))
        if kind == "telegram":
            self.telegram.append(path)
        elif kind == "zip":
            chat = zip_chat(path, explicit)
            if chat is not None:
                self.whatsapp.append(chat)
            else:
                self.passed_over.append(str(path))
        elif explicit or looks_like_whatsapp(path):
            self.whatsapp.append(txt_chat(path))
        else:
            self.passed_over.append(str(path))


def collect(paths: Iterable[Path | str]) -> Inputs:
    """Sort the EXPORT arguments into Telegram exports and WhatsApp chats. Raises
    ExportError (one line) for a path that is missing, unreadable or holds neither."""
    inputs = Inputs()
    for raw in paths:
        p = Path(raw).expanduser()
        mode = export_mode(p)
        if stat.S_ISDIR(mode):
            before = len(inputs.telegram) + len(inputs.whatsapp)
            _walk(p, inputs, 0)
            if len(inputs.telegram) + len(inputs.whatsapp) == before:
                if any(p.glob("messages*.html")):
                    raise ExportError(html_export(p))
                raise ExportError(f"{p} holds no Telegram export (result.json) and no WhatsApp "
                                  "chat (.txt or .zip)")
        elif not stat.S_ISREG(mode):
            inputs.pipes.append(p)
        else:
            if not os.access(p, os.R_OK):
                raise ExportError(f"cannot read export {p}: permission denied")
            inputs.add_file(p)
    return inputs


def _walk(folder: Path, inputs: Inputs, depth: int) -> None:
    telegram = (folder / "result.json").is_file()
    if telegram:
        inputs.telegram.append(folder / "result.json")
    try:
        children = sorted(folder.iterdir())
    except OSError as e:
        raise ExportError(f"cannot read {folder}: {e.strerror or e}") from None
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and not child.is_symlink():
            # A Telegram export folder's subfolders hold its media (sent .txt files too).
            if depth < _MAX_DEPTH and not telegram:
                _walk(child, inputs, depth + 1)
        elif child.is_file() and child.suffix.lower() in (".txt", ".zip"):
            inputs.add_file(child, explicit=False)


def sniff(path: Path) -> str:
    """"telegram", "zip" or "text": by name for .json and .zip, else by the first bytes."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "telegram"
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as e:
        raise ExportError(f"cannot read export {path}: {e.strerror or e}") from None
    if head.startswith(_ZIP_MAGIC) or suffix == ".zip":
        return "zip"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":  # an iPhone chat starts with "["
        return "telegram"
    return "text"


def _is_html(path: Path) -> bool:
    if path.suffix.lower() in (".html", ".htm"):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html"))


def pipe_problem(name: str, data: bytes) -> str | None:
    """Why a pipe's first bytes can start neither a Telegram export nor a WhatsApp chat, or
    None: said on the first read, so an endless stream (``/dev/zero``) is never copied."""
    problem = first_byte_problem(name, data)
    if problem is None or _has_header(io.BytesIO(data)):
        return None
    return problem


def piped_kind(name: str, data: bytes) -> str:
    """"telegram" or "whatsapp", for first bytes ``pipe_problem`` let through. Only
    whitespace so far counts as Telegram: its JSON reader says what is wrong with that."""
    return "telegram" if first_byte_problem(name, data) is None else "whatsapp"


def looks_like_whatsapp(path: Path) -> bool:
    """One of the first lines of a text file is a WhatsApp header."""
    try:
        with open(path, "rb") as f:
            return _has_header(f)
    except OSError:
        return False


def _has_header(f) -> bool:
    for i, (line, _) in enumerate(decoded_lines(f)):
        if i >= _SNIFF_LINES:
            break
        if line and split_header(line) is not None:
            return True
    return False


def txt_chat(path: Path) -> ChatFile:
    stem = path.stem
    if stem.casefold() == "_chat":  # an unzipped iPhone export: the folder has the name
        stem = path.parent.name
    return ChatFile(str(path), stem, lambda: open(path, "rb"), path.stat().st_size)


def zip_chat(path: Path, explicit: bool) -> ChatFile | None:
    """The chat inside a WhatsApp zip export: ``_chat.txt`` (iPhone), or its one text file
    named like the zip / holding WhatsApp lines (Android)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            names = {i.filename: i for i in infos}
            if "result.json" in {PurePosixPath(n).name for n in names}:
                if explicit:
                    raise ExportError(f"{path} holds a Telegram export: unzip it and pass its "
                                      "result.json")
                return None
            texts = [i for i in infos if i.filename.lower().endswith(".txt")
                     and "/" not in i.filename.strip("/")]
            chosen = next((i for i in texts if i.filename.lower() == "_chat.txt"), None)
            if chosen is None:
                named = [i for i in texts if "whatsapp" in i.filename.lower()
                         or PurePosixPath(i.filename).stem == path.stem]
                pool = named or texts
                with_lines = []
                for i in pool:
                    with z.open(i) as f:
                        if _has_header(f):
                            with_lines.append(i)
                if len(with_lines) == 1 or (with_lines and named):
                    chosen = with_lines[0]
    except zipfile.BadZipFile as e:
        if explicit:
            raise ExportError(f"{path} is not a readable zip file ({e})") from None
        return None
    except (RuntimeError, NotImplementedError) as e:  # encrypted, unsupported compression
        if explicit:
            raise ExportError(f"{path} cannot be unzipped: {e}") from None
        return None
    except OSError as e:
        raise ExportError(f"cannot read export {path}: {e.strerror or e}") from None
    if chosen is None:
        if explicit:
            raise ExportError(f"{path} is not a WhatsApp chat export: it holds no _chat.txt and "
                              "no text file with WhatsApp's lines")
        return None
    member = chosen.filename
    stem = path.stem if member.lower() == "_chat.txt" else PurePosixPath(member).stem

    def open_member():
        z = zipfile.ZipFile(path)
        try:
            f = z.open(member)
        except Exception:
            z.close()
            raise
        return _Closing(f, z)

    return ChatFile(f"{path}:{member}", stem, open_member, chosen.file_size)


class _Closing:
    """A zip member that closes its archive with it."""

    def __init__(self, f, z: zipfile.ZipFile):
        self.f, self.z = f, z

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __iter__(self):
        return iter(self.f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.f.close()
        finally:
            self.z.close()
