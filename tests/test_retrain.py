"""`clonebot retrain`: the promotion rule, the routine with fakes, and a real run on the
test model (prepare the sample export -> train -> score -> promote; a garbled adapter is
refused; --force; rollback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot import versions
from clonebot.errors import AdapterError, ModelError
from fixtures_versions import fake_run
from training import retrain
from training.retrain import Score

SAMPLE_EXPORT = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"


def test_decide():
    assert retrain.decide(1.0, None) == (True, "no current adapter to compare with")
    ok, why = retrain.decide(0.9, 1.0)
    assert ok and "not worse" in why and "-10.0%" in why
    assert retrain.decide(1.0, 1.0)[0]  # equal is not worse
    ok, why = retrain.decide(1.05, 1.0)
    assert not ok and "worse than the current one" in why
    assert retrain.decide(1.05, 1.0, tolerance=0.1)[0]
    ok, why = retrain.decide(2.0, 1.0, force=True)
    assert ok and "--force" in why


# ----------------------------------------------------------------------------- with fakes


class Fakes:
    """prepare / train / score stand-ins: scores are injected per version name."""

    def __init__(self, new_messages: list[int], scores: dict[str, float],
                 replies: dict[str, list[str]] | None = None):
        self.new_messages = list(new_messages)
        self.scores = scores
        self.replies = replies or {}  # each version's replies to the clone-score contexts
        self.trained: list[str] = []

    def prepare(self, export, out, settings, *, owner_id=None, progress=None, canaries=0):
        Path(out).mkdir(parents=True, exist_ok=True)
        self.canaries = canaries
        n = self.new_messages.pop(0)
        return {"messages_new": n, "messages_duplicate": 100 - n, "messages_updated": 0,
                "samples_train": 9, "samples_eval": 1}

    def train(self, settings, dataset_dir, out, *, resume=False, restart=False, progress=True):
        if resume and out.is_dir():  # like training.train: a finished run is not trained again
            return {"eval_loss": 1.0, "steps": 3, "already_finished": True}
        fake_run(out, base_model="fake")
        self.trained.append(out.name)
        return {"eval_loss": 1.0, "steps": 3}

    def _one(self, adapter_dir, items) -> Score:
        key = next(k for k in self.scores if Path(adapter_dir).name.startswith(k))
        return Score(self.scores[key], 1.0, 2.0, len(items))

    def _said(self, adapter_dir, gen_rows) -> list[str]:
        key = next(k for k in self.scores if Path(adapter_dir).name.startswith(k))
        return self.replies.get(key, [])[:len(gen_rows)]

    def score(self, settings, new_dir, current_dir, items, gen_rows=()):
        return retrain.Scores(self._one(new_dir, items), Score(9.9, 5.0, 100.0, len(items)),
                              self._one(current_dir, items) if current_dir else None,
                              new_replies=self._said(new_dir, gen_rows),
                              current_replies=self._said(current_dir, gen_rows) if current_dir else [])


# The owner's held-out replies (what both versions answer in the clone-score check).
OWNER_REPLIES = [f"{w} {x}" for w in ("ну", "да") for x in
                 ("буду", "скоро 🤙", "дома)", "хз", "завтра?", "ок", "изи 🤙", "пон",
                  "вечером", "кек 🤙", "мб)", "ладн")]


@pytest.fixture
def fake_settings(tmp_path: Path, monkeypatch):
    from clonebot.config import load_settings

    def rows(d, n, seed=0):
        return [{"messages": [{"role": "user", "content": "привет"},
                              {"role": "clone", "content": r}]} for r in OWNER_REPLIES][:n]

    monkeypatch.setattr(retrain, "held_out_rows", rows)
    return load_settings(paths={"runs_dir": str(tmp_path / "runs"),
                                "dataset_dir": str(tmp_path / "dataset")})


def _run(settings, fakes: Fakes, **kw):
    return retrain.retrain(settings, "exporetrain.json", prepare_fn=fakes.prepare, train_fn=fakes.train,
                      score_fn=fakes.score, **kw)


def test_retrain_promotes_skips_refuses_forces(fake_settings):
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 0, 7, 7, 0], scores={"v001": 1.0, "v002": 1.2, "v003": 1.3,
                                                     "v004": 0.8})
    r1 = _run(fake_settings, f)
    assert r1.action == "promoted" and r1.previous is None
    assert f.canaries == 0  # no dataset yet, none asked for
    # Planted canaries stay planted across retrains (the same count is asked again).
    (Path(fake_settings.paths.dataset_dir) / "canaries.json").write_text(
        json.dumps({"canaries": ["CNRY-AAAA-BBBB-CCCC", "CNRY-DDDD-EEEE-FFFF"]}))
    assert versions.current_adapter(runs).name.startswith("v001-")

    r2 = _run(fake_settings, f)  # same export again: nothing new, no training
    assert r2.action == "skipped" and f.trained == [r1.version.name]

    r3 = _run(fake_settings, f)  # new messages, but the new adapter is worse
    assert r3.action == "kept" and "worse" in r3.reason and f.canaries == 2
    assert versions.current_adapter(runs) == r1.version
    saved = json.loads((r3.version / "retrain.json").read_text())
    assert saved["action"] == "kept" and saved["new"]["nll_per_char"] == 1.2
    assert saved["current"]["nll_per_char"] == 1.0 and saved["base"]["nll_per_char"] == 9.9

    r4 = _run(fake_settings, f, force=True)  # worse, forced
    assert r4.action == "promoted" and "--force" in r4.reason
    assert versions.current_adapter(runs) == r4.version

    r5 = _run(fake_settings, f, force=True)  # nothing new, but --force retrains; and it's better
    assert r5.action == "promoted" and r5.previous == r4.version
    assert versions.current_adapter(runs).name.startswith("v004-")
    # Promotion history lets the owner step back through what retrain promoted.
    assert versions.rollback(runs) == r4.version
    assert versions.rollback(runs) == r1.version


def test_retrain_promotes_over_an_unloadable_current(fake_settings):
    f = Fakes(new_messages=[5, 5], scores={"v001": 1.0, "v002": 1.5})
    _run(fake_settings, f)

    def score(settings, new_dir, current_dir, items, gen_rows=()):
        return retrain.Scores(f._one(new_dir, items), Score(9.9, 5.0, 100.0, 3), None,
                         "the current adapter uses an older prompt format")

    r = retrain.retrain(fake_settings, "e", prepare_fn=f.prepare, train_fn=f.train, score_fn=score)
    assert r.action == "promoted" and "older prompt format" in r.reason


def test_clone_gate():
    same = {"judged": True, "new": {"auc": 0.62}, "current": {"auc": 0.58}, "ci": [-0.05, 0.13]}
    ok, why = retrain.clone_gate(same)
    assert ok and "0.62 vs 0.58" in why and "[-0.05, +0.13]" in why
    worse = {**same, "new": {"auc": 0.9}, "ci": [0.2, 0.44]}
    ok, why = retrain.clone_gate(worse)
    assert not ok and "easier to tell" in why
    assert retrain.clone_gate(worse, tolerance=0.25)[0]  # the interval reaches below it
    assert not retrain.clone_gate(worse, tolerance=0.15)[0]
    ok, why = retrain.clone_gate(worse, ignore=True)
    assert ok and "--ignore-clone-score" in why
    assert retrain.clone_gate(worse, force=True) == (True, why.replace("--ignore-clone-score", "--force"))
    ok, why = retrain.clone_gate({"judged": False, "note": "12 contexts: too few to judge"})
    assert ok and "too few" in why
    assert retrain.clone_gate({}) == (True, "")


# The owner's replies answered by someone else in their style (another reply of theirs),
# and by a clone anyone would spot: capitalised, no emoji, full stops.
IN_STYLE = OWNER_REPLIES[7:] + OWNER_REPLIES[:7]
FORMAL = [r.replace(" 🤙", "").rstrip(")?").capitalize() + ". Best regards." for r in OWNER_REPLIES]


def test_retrain_refuses_a_clone_easier_to_tell_from_the_owner(fake_settings, monkeypatch):
    import functools

    from training.eval.clone_score import score_difference

    # Fewer resamples: the verdicts here are far from the edge, and the test stays quick.
    monkeypatch.setattr(retrain, "score_difference", functools.partial(score_difference, resamples=30))
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 5, 5, 5], scores={"v001": 1.0, "v002": 0.9, "v003": 0.9, "v004": 0.9},
              replies={"v001": IN_STYLE, "v002": FORMAL, "v003": FORMAL, "v004": FORMAL})
    r1 = _run(fake_settings, f)
    assert r1.action == "promoted" and r1.clone_score == {}  # nothing to compare with

    # Likelier replies, but a classifier tells its replies from the owner's at once.
    r2 = _run(fake_settings, f)
    assert r2.action == "kept" and "easier to tell" in r2.reason, r2.reason
    cs = json.loads((r2.version / "retrain.json").read_text())["clone_score"]
    assert cs["new"]["auc"] > 0.9 and cs["current"]["auc"] < 0.7 and cs["ci"][0] > 0
    assert cs["contexts"] == len(OWNER_REPLIES) and "easier to tell" in cs["verdict"]
    assert versions.current_adapter(runs) == r1.version

    from training.commands.retrain import format_result

    said = format_result(r2, runs, Path(fake_settings.paths.dataset_dir))
    assert f"clone score on {len(OWNER_REPLIES)} held-out messages" in said
    assert f"current {cs['current']['auc']:.2f}, new {cs['new']['auc']:.2f}" in said
    assert f"kept {r1.version.name}: {r2.version.name} is " in said

    r3 = _run(fake_settings, f, ignore_clone_score=True)
    assert r3.action == "promoted" and "--ignore-clone-score" in r3.reason

    # The configured tolerance lets a worse clone score through.
    _run(fake_settings, f, force=True)  # (v004 compares with v003: both formal)
    lenient = fake_settings.model_copy(update={"retrain": fake_settings.retrain.model_copy(
        update={"clone_score_tolerance": 0.9})})
    f.scores["v005"], f.replies["v005"] = 0.9, FORMAL
    f.new_messages.append(5)
    versions.promote(runs, r1.version.name, reason="test")
    r5 = _run(lenient, f)
    assert r5.action == "promoted" and "clone score (AUC)" in r5.reason


def test_retrain_cli_output(fake_settings, monkeypatch, tmp_path: Path):
    import training.dataset
    import training.train
    from clonebot.cli import cli
    from training.commands import retrain as retrain_cmd

    f = Fakes(new_messages=[50, 3], scores={"v001": 1.0, "v002": 1.2})
    monkeypatch.setattr(training.dataset, "prepare", f.prepare)
    monkeypatch.setattr(training.train, "train", f.train)
    monkeypatch.setattr(retrain, "score_adapters", f.score)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", fake_settings.paths.runs_dir.as_posix())
    monkeypatch.setenv("CLONEBOT_PATHS__DATASET_DIR", fake_settings.paths.dataset_dir.as_posix())
    retrain_cmd.register(cli)
    runner = CliRunner()
    r = runner.invoke(cli, ["retrain", "new.json"])
    assert r.exit_code == 0, r.output
    assert "50 new, 50 duplicate" in r.output and "promoted v001-" in r.output
    r = runner.invoke(cli, ["retrain", "new.json"])
    assert r.exit_code == 0, r.output
    assert "kept v001-" in r.output and "clonebot adapters use v002-" in r.output
    assert "base model" in r.output and "current v001-" in r.output


# ----------------------------------------------------------------------------- test model


def _garble(run: Path) -> None:
    """Overwrite the LoRA weights with noise: a deliberately bad adapter, as a training
    gone wrong would write it (its manifest records these weights: not a damaged file)."""
    import torch
    from safetensors.torch import load_file, save_file

    from clonebot.model.manifest import hash_weights, read_manifest, write_manifest

    path = run / "adapter_model.safetensors"
    g = torch.Generator().manual_seed(0)
    w = {k: torch.randn(v.shape, generator=g) * 0.5 for k, v in load_file(str(path)).items()}
    save_file(w, str(path))
    write_manifest(run, {**read_manifest(run), "weights": hash_weights(run)})


@pytest.mark.slow
def test_retrain_on_test_model(tmp_path: Path, cache_dir: Path, test_model_dir: Path):
    from clonebot.config import load_settings

    runs, data = tmp_path / "runs", tmp_path / "dataset"
    settings = load_settings(
        model={"base_model": "smollm2-135m"},
        paths={"cache_dir": str(cache_dir), "runs_dir": str(runs), "dataset_dir": str(data)},
        train={"max_steps": 3, "batch_size": 4, "grad_accum": 1, "max_seq_len": 128,
               "learning_rate": 1e-3, "lora_r": 4, "lora_alpha": 8, "eval_steps": 1000,
               "save_steps": 1000, "logging_steps": 1000, "warmup_ratio": 0.0,
               "max_eval_samples": 8},
        generate={"max_new_tokens": 16},
    )
    kw = dict(eval_rows=8, train_progress=False)

    # 1. First export: prepare, train v001 for real, nothing to beat -> promoted.
    r1 = retrain.retrain(settings, SAMPLE_EXPORT, **kw)
    assert r1.action == "promoted", r1.reason
    v1 = r1.version
    assert versions.current_adapter(runs) == v1 and (v1 / "adapter_config.json").is_file()
    assert r1.prepare["messages_new"] > 0 and r1.new.rows == 8
    assert r1.new.nll_per_char < r1.base.nll_per_char  # even 3 steps help on the owner's replies

    # 2. The same export again: the merge finds nothing new, so no training run.
    r2 = retrain.retrain(settings, SAMPLE_EXPORT, **kw)
    assert r2.action == "skipped" and r2.prepare["messages_new"] == 0
    assert [v.name for v in versions.list_versions(runs)] == [v1.name]

    # 3. A worse candidate (garbled weights) is scored for real and refused.
    def prepare_new(*a, **k):  # pretend the export brought new messages
        from training.dataset import prepare

        return {**prepare(*a, **k), "messages_new": 3}

    def train_garbled(settings, dataset_dir, out, **k):
        shutil.copytree(v1, out)
        _garble(out)
        return {"eval_loss": None}

    r3 = retrain.retrain(settings, SAMPLE_EXPORT, prepare_fn=prepare_new, train_fn=train_garbled, **kw)
    assert r3.action == "kept", r3.reason
    assert r3.new.nll_per_char > r3.current.nll_per_char
    assert r3.current.nll_per_char == pytest.approx(r1.new.nll_per_char, rel=1e-4)
    assert versions.current_adapter(runs) == v1
    # Both versions answered the sample's held-out messages: too few for a clone score,
    # and the record says so rather than comparing two meaningless AUCs.
    assert r3.clone_score["judged"] is False and "too few" in r3.clone_score["note"]

    # 4. --force promotes it anyway (scores reused from step 3: no need to load twice
    # more); rollback restores v001.
    def same_scores(*a):
        return retrain.Scores(r3.new, r3.base, r3.current)

    r4 = retrain.retrain(settings, SAMPLE_EXPORT, prepare_fn=prepare_new, train_fn=train_garbled,
                    score_fn=same_scores, force=True, **kw)
    assert r4.action == "promoted" and versions.current_adapter(runs) == r4.version
    assert versions.rollback(runs) == v1 and versions.current_adapter(runs) == v1
    listed = versions.list_versions(runs)
    assert [v.current for v in listed] == [True, False, False]


def test_score_adapters_reports_an_unloadable_current(monkeypatch):
    from clonebot.errors import FormatMismatchError, ModelError

    def fake(settings, adapter_dir, items, *, with_base=False, gen_rows=()):
        if adapter_dir == "old-format":
            raise FormatMismatchError("v0")
        if adapter_dir == "broken":
            raise ModelError("no weights")
        return (Score(1.0, 1.0, 2.0, 1), (Score(2.0, 2.0, 7.0, 1) if with_base else None),
                [f"{adapter_dir} says hi"] * len(gen_rows))

    monkeypatch.setattr(retrain, "_score", fake)
    sc = retrain.score_adapters(None, "new", "old-format", [])
    assert sc.current is None and "older prompt format" in sc.note and sc.base.loss == 2.0
    sc = retrain.score_adapters(None, "new", "broken", [])
    assert sc.current is None and "no weights" in sc.note
    sc = retrain.score_adapters(None, "new", "new", [])
    assert sc.current.loss == 1.0 and sc.note == ""
    # Each adapter answers the clone-score contexts while it is loaded.
    sc = retrain.score_adapters(None, "new", "cur", [], [{"messages": []}] * 2)
    assert sc.new_replies == ["new says hi"] * 2 and sc.current_replies == ["cur says hi"] * 2
    sc = retrain.score_adapters(None, "new", "broken", [], [{"messages": []}])
    assert sc.new_replies == ["new says hi"] and sc.current_replies == []


# ----------------------------------------------------------------------------- kills and damage


class Killed(BaseException):
    """A simulated kill -9: no `except Exception` handler sees it."""


def _agree(runs: Path, current: Path, stack: list[str]) -> None:
    """CURRENT, HISTORY.json and the version's retrain.json tell one story; nothing stray."""
    assert versions.resolve(runs) == current
    assert (runs / "CURRENT").read_text().strip() == current.name
    hist = versions.history(runs)
    assert hist["pending"] is None and hist["stack"] == stack
    assert hist["log"][-1]["version"] == current.name
    assert json.loads((current / "retrain.json").read_text())["action"] == "promoted"
    assert not [p for p in runs.rglob("*") if p.name.endswith(".tmp")]
    assert not (runs / ".retrain-pending").exists()


@pytest.mark.parametrize("step", ["journal", "record", "current", "history"])
def test_retrain_killed_at_any_promotion_step(fake_settings, monkeypatch, step: str):
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 5, 0], scores={"v001": 1.0, "v002": 0.9})
    r1 = _run(fake_settings, f)

    def kill(name):
        if name == step:
            raise Killed(name)

    monkeypatch.setattr(versions, "_step", kill)
    with pytest.raises(Killed):
        _run(fake_settings, f)
    monkeypatch.setattr(versions, "_step", lambda name: None)
    (runs / ".CURRENT.abcd1234.tmp").write_text("v0")  # what a kill mid-write leaves

    again = _run(fake_settings, f, resume=True)  # the next start
    v2 = next(runs.glob("v002-*"))
    assert again.action == "skipped" and f.trained == [r1.version.name, v2.name]
    _agree(runs, v2, [r1.version.name])


def test_retrain_killed_while_scoring_is_finished_by_resume(fake_settings):
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 5, 0, 0, 0], scores={"v001": 1.0, "v002": 0.9, "v003": 0.8})
    r1 = _run(fake_settings, f)

    def killed(*a):
        raise Killed

    with pytest.raises(Killed):
        retrain.retrain(fake_settings, "e", prepare_fn=f.prepare, train_fn=f.train, score_fn=killed)
    v2 = next(runs.glob("v002-*"))
    assert versions.resolve(runs) == r1.version and not (v2 / "retrain.json").exists()

    # Without --resume the trained v002 is not dropped silently, and nothing is merged yet.
    with pytest.raises(ModelError, match="--resume.*--restart"):
        _run(fake_settings, f)
    assert f.new_messages == [0, 0, 0]

    r = _run(fake_settings, f, resume=True)  # compared and promoted, not trained again
    assert r.action == "promoted" and r.version == v2 and r.train["already_finished"]
    assert f.trained == [r1.version.name, v2.name]
    _agree(runs, v2, [r1.version.name])


def test_retrain_restart_trains_a_new_version_instead(fake_settings):
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 5, 0], scores={"v001": 1.0, "v002": 0.9, "v003": 0.8})
    _run(fake_settings, f)

    def killed(*a):
        raise Killed

    with pytest.raises(Killed):
        retrain.retrain(fake_settings, "e", prepare_fn=f.prepare, train_fn=f.train, score_fn=killed)
    r = _run(fake_settings, f, restart=True, force=True)
    assert r.action == "promoted" and r.version.name.startswith("v003-")
    assert [v.name[:4] for v in versions.list_versions(runs)] == ["v001", "v002", "v003"]


@pytest.mark.parametrize("noted", [True, False])
def test_retrain_resume_after_a_kill_between_rename_and_cleanup(fake_settings, noted: bool):
    """The run was moved into place, its partial dir not yet removed: no "already exists"."""
    from training.train import train

    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[0], scores={"v001": 0.9})
    v1 = fake_run(runs / "v001-20270101-0000", metrics={"eval_loss": 1.2, "steps": 7})
    partial = versions.partial_dir(v1)
    (partial / "checkpoint-6").mkdir(parents=True)
    if noted:
        (runs / ".retrain-pending").write_text(json.dumps({"version": v1.name}))
    r = retrain.retrain(fake_settings, "e", prepare_fn=f.prepare, train_fn=train,
                        score_fn=f.score, resume=True)
    assert r.action == "promoted" and r.version == v1 and r.train["steps"] == 7
    assert not partial.exists()
    _agree(runs, v1, [])


@pytest.mark.parametrize("damage", ["CURRENT", "HISTORY.json"])
def test_retrain_refuses_damaged_promotion_state_before_any_work(fake_settings, damage: str):
    runs = Path(fake_settings.paths.runs_dir)
    f = Fakes(new_messages=[50, 5], scores={"v001": 1.0, "v002": 0.9})
    _run(fake_settings, f)
    (runs / damage).write_text("v009-gone\n" if damage == "CURRENT" else '{"stack": 7}')
    with pytest.raises(AdapterError, match=damage):
        _run(fake_settings, f)
    assert f.new_messages == [5]  # nothing merged, nothing trained


def _retrain_cli(monkeypatch, tmp_path: Path, runs_dir: Path):
    from clonebot.cli import cli
    from training.commands import retrain as retrain_cmd

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(runs_dir))
    monkeypatch.setenv("CLONEBOT_PATHS__DATASET_DIR", str(tmp_path / "dataset"))
    retrain_cmd.register(cli)
    return lambda *args: CliRunner().invoke(cli, ["retrain", *args])


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "2"])
def test_retrain_cli_refuses_bad_tolerance(monkeypatch, tmp_path: Path, value: str):
    r = _retrain_cli(monkeypatch, tmp_path, tmp_path / "runs")("x.json", "--tolerance", value)
    assert r.exit_code == 2 and "--tolerance" in r.output and "Traceback" not in r.output


def test_retrain_cli_runs_dir_under_a_file(monkeypatch, tmp_path: Path):
    (tmp_path / "file").write_text("x")
    r = _retrain_cli(monkeypatch, tmp_path, tmp_path / "file" / "runs")("x.json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "error: cannot use the runs dir" in r.output and "Not a directory" in r.output
