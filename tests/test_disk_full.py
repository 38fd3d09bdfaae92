"""A full disk during prepare and fetch: one line naming the disk and the
space needed, the old dataset untouched, the disk as it was (no temp files). On a real small
tmpfs where this machine can mount one; else the writes are made to fail as on a full disk.
(adapters use/rollback: tests/test_versions.py; train: tests/test_train.py)"""

from __future__ import annotations

import errno
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot.cli import cli
from fixtures_dataset import assert_one_line_error, dataset_files, leftovers
import training.commands.prepare

training.commands.prepare.register(cli)
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "exports" / "sample" / "result.json"

pytestmark = pytest.mark.usefixtures("clean_prepare_env")


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


def _synthetic(tmp_path_factory, n: int) -> Path:
    from fixtures_synth import write_export

    path = tmp_path_factory.mktemp("synth") / "result.json"
    write_export(path, n, seed=7)
    return path


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    """A synthetic export whose dataset needs a few MB."""
    return _synthetic(tmp_path_factory, 30_000)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory) -> Path:
    """The same account's, small."""
    return _synthetic(tmp_path_factory, 600)


def _used(disk: Path) -> int:
    return shutil.disk_usage(disk).used


def test_prepare_on_a_full_disk_keeps_the_old_dataset(tmp_path, small_disk, big_export,
                                                      small_export, monkeypatch):
    disk = small_disk("3m")
    out = (disk or tmp_path) / "ds"
    r = run(small_export, "--out", out)
    assert r.exit_code == 0, r.output
    before = dataset_files(out)
    if disk is None:  # no tmpfs here: the record writer fails as on a full disk
        from training.dataset import records

        def enospc(self):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(records.RecordWriter, "flush", enospc)
    used = _used(out.parent)
    err = assert_one_line_error(run(big_export, "--out", out), None, "no space left on",
                                "the old one is untouched", "it needs about", "free")
    assert "Arrow" not in err and "closed file" not in err
    assert dataset_files(out) == before and leftovers(out) == []
    if disk is not None:  # (a shared disk changes under other processes)
        assert _used(out.parent) == used  # the disk as it was


def test_a_piped_export_on_a_full_disk(tmp_path, small_disk, big_export):
    disk = small_disk("2m")
    if disk is None:
        pytest.skip("needs a tmpfs (root)")
    out = disk / "ds"
    import os
    import subprocess
    import threading

    rd, wr = os.pipe()

    def feed():
        with os.fdopen(wr, "wb") as w, open(big_export, "rb") as src:
            try:
                shutil.copyfileobj(src, w)
            except OSError:
                pass

    threading.Thread(target=feed, daemon=True).start()
    p = subprocess.run([sys.executable, "-m", "clonebot", "prepare", f"/dev/fd/{rd}",
                        "--out", str(out)], pass_fds=(rd,), capture_output=True, text=True,
                       timeout=120)
    os.close(rd)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 1, p.stderr
    assert lines[0].startswith(f"error: no space left on {disk}") and "it needs about" in lines[0]
    assert not out.exists() and leftovers(out) == []


def test_the_estimate_names_at_least_what_was_written(tmp_path):
    from clonebot.fsutil import disk_full_message, is_disk_full

    e = RuntimeError("[enforce fail] ... file write failed")
    e.__context__ = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(e) and not is_disk_full(RuntimeError("file write failed"))
    msg = disk_full_message("the new dataset", tmp_path / "ds", 12_345_678)
    assert "\n" not in msg and "12.3 MB" in msg and str(tmp_path / "ds") in msg


def test_fetch_output_on_a_full_disk_is_one_line(tmp_path, small_disk):
    from clonebot.errors import TelegramError
    from clonebot.fetch.output import ChatRef, Owner, write_export

    disk = small_disk("1m")
    if disk is None:
        pytest.skip("needs a tmpfs (root)")

    class Store:  # what write_export reads: message bodies, already JSON
        def messages(self, peer_id):
            body = json.dumps({"id": 1, "type": "message", "text": "x" * 1000})
            return (body for _ in range(5000))

    with pytest.raises(TelegramError) as e:
        write_export(disk / "result.json", Owner(1, "A", None, None),
                     [ChatRef(5, "F", "personal_chat")], Store())
    assert str(e.value).startswith(f"no space left on {disk}") and "\n" not in str(e.value)
    assert [p.name for p in disk.iterdir()] == []
