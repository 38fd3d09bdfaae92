"""``clonebot prepare EXPORT... [--out DIR]``: Telegram exports and WhatsApp chats ->
scrubbed training dataset."""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path

import click

from clonebot.cli import options
from clonebot.cli.app import pass_app


class WorkerCount(click.ParamType):
    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= 256:
            return int(value)
        self.fail(f"{value!r} is not a number of workers (0-256) or 'auto'", param, ctx)


@click.command("prepare")
@click.argument("exports", metavar="EXPORT", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dataset directory (default: paths.dataset_dir). An existing dataset "
                   "there is merged with this export.")
@click.option("--owner-id", type=int, default=None,
              help="Your Telegram user id (needed for single-chat exports).")
@click.option("--owner-name", default=None, metavar="NAME",
              help="Your name as WhatsApp shows it in your chats (needed for WhatsApp "
                   "exports: they have no user ids).")
@options.chat_selection("use")
@click.option("--canaries", type=click.IntRange(min=0), default=0, metavar="N",
              help="Plant N fake secrets in training replies (for `clonebot eval`).")
@click.option("--workers", type=WorkerCount(), default=None, metavar="N|auto",
              help="Worker processes that scrub and build samples while the export is read "
                   "(default prepare.workers: auto = one per core; 0 = none).")
@click.option("--allow-other-owner", is_flag=True, default=False,
              help="Merge an export of another account into the existing dataset at --out "
                   "(refused by default: one clone, one person).")
@options.approval_store
@pass_app
def prepare_cmd(app, exports: tuple[Path, ...], out: Path | None, owner_id: int | None,
                owner_name: str | None,
                include_chat: tuple[str, ...], exclude_chat: tuple[str, ...],
                groups: bool, canaries: int, workers: int | str | None,
                allow_other_owner: bool, approvals: str | None) -> None:
    """Turn exports into a training dataset: Telegram Desktop's result.json, WhatsApp
    chats (.txt, or .zip with _chat.txt), or folders of them; several at once.

    Personal chats only by default; bots, Saved Messages and channels never. PII is
    scrubbed before anything is written.
    """
    try:
        with _terminate_like_ctrl_c():
            _prepare(app, exports, out, owner_id, owner_name, include_chat, exclude_chat,
                     groups, canaries, workers, allow_other_owner, approvals)
    except Terminated:
        click.echo(f"terminated: nothing was changed at {out or 'the dataset'}", err=True)
        sys.exit(128 + signal.SIGTERM)


def _prepare(app, exports: tuple[Path, ...], out: Path | None, owner_id: int | None,
             owner_name: str | None, include_chat: tuple[str, ...],
             exclude_chat: tuple[str, ...], groups: bool, canaries: int,
             workers: int | str | None, allow_other_owner: bool,
             approvals: str | None) -> None:
    from clonebot.chat_selection import chat_ref

    settings = app.settings
    p = settings.prepare.model_copy(update={
        "include_chats": [*settings.prepare.include_chats, *map(chat_ref, include_chat)],
        "exclude_chats": [*settings.prepare.exclude_chats, *map(chat_ref, exclude_chat)],
        "include_groups": settings.prepare.include_groups or groups,
        "workers": settings.prepare.workers if workers is None else workers,
        "approval_store": with_approvals(settings.prepare.approval_store, approvals),
    })
    settings = settings.model_copy(update={"prepare": p})
    out = out or settings.paths.dataset_dir

    from training.export.inputs import collect

    inputs = collect(exports)  # a path that is missing or holds no export: one line, here
    # The workers start first: pyarrow, tqdm and the rest import while they do.
    with _workers_started(settings, inputs) as early:
        from tqdm import tqdm

        from training.dataset import prepare

        bars: dict[str, tqdm] = {}
        try:
            total = sum(Path(e).expanduser().stat().st_size for e in exports
                        if Path(e).expanduser().is_file()) or None
        except OSError:
            total = None

        def progress(phase: str, n: int, of: int | None) -> None:
            if phase == "read":
                bar = bars.get("read")
                if bar is None:  # not `or`: a tqdm without a total cannot be tested for truth
                    bar = bars["read"] = tqdm(
                        total=total, unit="B", unit_scale=True, unit_divisor=1024,
                        desc="reading export", leave=False, dynamic_ncols=True, disable=None)
                bar.update(n)
            elif phase == "write":
                if "read" in bars:
                    bars.pop("read").close()
                bar = bars.get("write")
                if bar is None:
                    bar = bars["write"] = tqdm(
                        total=of, unit=" samples", desc="writing dataset", leave=False,
                        disable=None, dynamic_ncols=True)
                bar.n = n
                bar.refresh()

        try:
            stats = prepare(inputs, out, settings, owner_id=owner_id, owner_name=owner_name,
                            progress=progress, canaries=canaries,
                            allow_other_owner=allow_other_owner, early_workers=early)
        finally:
            for bar in bars.values():
                bar.close()
    click.echo(summary(stats, out))
    from training.lengths import report_dataset

    lengths = report_dataset(out, settings)
    click.echo("\n".join(lengths.lines()) if lengths else
               f"  tokens: {settings.model.base_model}'s tokenizer is not on this machine; "
               "`clonebot train` reports them before it trains")


def _workers_started(settings, inputs):
    """The worker processes this prepare will want (``inputs``: the exports, collected),
    started before anything else is imported (``training.dataset.workers``); none for a
    pipe, whose size is not known yet."""
    from training.dataset.chat_work import work_settings
    from training.dataset.workers import start_early, workers_for

    n = workers_for(settings, inputs) if not inputs.pipes else 0
    return start_early(work_settings(settings), n)


def with_approvals(configured: str | Path, flag: str | None) -> str | Path:
    """``prepare.approval_store`` after ``--approvals FILE`` / ``--no-approvals``."""
    if flag is None:
        return configured
    return flag if flag == "none" else Path(flag).expanduser()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where prepare is, so that it unwinds like Ctrl-C: workers stopped,
    the half-built dataset removed, the lock released."""


@contextlib.contextmanager
def _terminate_like_ctrl_c():
    def on_term(signum, frame):
        raise Terminated

    try:
        before = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def summary(stats: dict, out: Path) -> str:
    lines = [
        f"prepared {stats['samples']} samples ({stats['samples_train']} train / "
        f"{stats['samples_eval']} eval) from {stats['chats_used']} chats -> {out}",
        f"  messages: {stats['messages_read']} read, {stats['messages_kept']} kept",
    ]
    context = (stats.get("settings") or {}).get("context_turns")
    if context:
        lines.append(f"  context: up to {context} turns before each reply (prepare.context_turns)")
    if stats.get("merged"):
        lines.append(f"  merged: {stats['messages_new']} new, {stats['messages_duplicate']} "
                     f"already there ({stats['messages_updated']} with newer edits)")
    sources = stats.get("sources") or {}
    if len(sources) > 1:
        lines.append("  sources: " + ", ".join(
            f"{src} {s['chats_used']} chats / {s['samples']} samples"
            for src, s in sources.items()))
    skipped = stats.get("skipped") or {}
    if skipped:
        lines.append("  skipped: " + ", ".join(f"{k} {v}" for k, v in
                                              sorted(skipped.items(), key=lambda kv: -kv[1])))
    if stats.get("chats_skipped"):
        lines.append("  chats not used: " + ", ".join(
            f"{k} {v}" for k, v in stats["chats_skipped"].items()))
    bot = stats.get("sent_by_bot") or {}
    if bot.get("approval_store"):
        lines.append(f"  sent by the bot (context only, never learned as yours): "
                     f"{bot.get('messages', 0)} messages, {bot.get('turns_not_learned', 0)} "
                     f"turns (ids from {bot['approval_store']})")
    if stats.get("cut"):
        lines.append("  cut to 4096 characters (what a Telegram message holds): " + ", ".join(
            f"{k} {v}" for k, v in stats["cut"].items()))
    dup = stats.get("duplicates") or {}
    for c in dup.get("chats_sharing_an_id", []):
        lines.append(f"  chat id {c['id']} is used by {len(c['left_out']) + 1} chats: kept "
                     f"{c['kept']!r}, left out " + ", ".join(map(repr, c["left_out"])))
    for c in dup.get("chats_with_duplicate_message_ids", []):
        lines.append(f"  chat {c['name']!r} ({c['id']}) gives message ids twice: "
                     f"{c['messages_dropped']} messages dropped (see stats.json)")
    pii = stats.get("pii_redactions") or {}
    lines.append("  PII redacted: " + (", ".join(f"{k} {v}" for k, v in pii.items()) or "none found")
                 if stats.get("pii_scrubbed", True) else "  PII scrubbing: OFF (pii.scrub)")
    for note in stats.get("recovered") or []:
        lines.append(f"  recovered: {note}")
    if stats.get("canaries"):
        lines.append(f"  canaries planted: {stats['canaries']} (see canaries.json)")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(prepare_cmd)
