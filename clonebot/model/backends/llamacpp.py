"""The llamacpp backend: llama.cpp in process (llama-cpp-python), the base model as GGUF plus
the adapter's GGUF export (``gguf_export.adapter_gguf``, made on first use), or the two as
one file (``gguf_export.merged_gguf``: ``model.gguf_merge``; a token costs what the base's does).

The prompt is tokenized by the adapter's own tokenizer (the one it was trained with) and
fed to llama.cpp as token ids, so the model sees exactly the token prefix of training.
llama.cpp computes the logits; penalties, sampling and stopping are ours (``penalties``,
``sampling``), as in the torch backend, so both backends follow the same rules. The KV cache
keeps the longest prefix a new prompt shares with the last one (a chat's earlier turns), and
the candidates of one prompt all start from its cached end.
"""

from __future__ import annotations

import atexit
import ctypes
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clonebot.config import GenerateSettings
from clonebot.errors import ModelError
from clonebot.model.cpu import SpareCores, lone_decode_threads, threads_wait_briefly
from clonebot.model.generate import Continuation, Generator, Prompt, stop_reason
from clonebot.model.penalties import penalise
from clonebot.model.sampling import pick
from clonebot.threads import in_threads

INSTALL_HINT = ("pip install 'clonebot[llamacpp]' (it compiles llama.cpp: about 20 minutes on "
                "2 cores, once; pip caches the build)")

# Tokens between two looks at the spare cores (a look reads /proc/stat: ~10 us)
_PACE_TOKENS = 8

# A test's stand-in for the model: (token ids so far, logits) -> logits, before the penalties.
ScriptedLogits = Callable[[list[int], np.ndarray], np.ndarray]


def llama_cpp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


# llama.cpp's log lines of the ERROR level, the last few (what a load error says).
_ERRORS: deque[str] = deque(maxlen=8)
_log_callback = None  # kept alive: llama.cpp holds a pointer to it
_GGML_LOG_ERROR, _GGML_LOG_CONT = 4, 5


def quiet_llama_cpp() -> None:
    """llama.cpp logs to stderr; llama-cpp-python's callback still prints warnings with
    ``verbose=False`` (it maps an older ggml's levels: WARN was 2, now 3, which it takes for
    ERROR), e.g. one line per adapted matrix on a base llama.cpp repacks. The user's terminal
    is the bot's: nothing is printed, and error lines are kept for our error messages."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    last = [0]

    @llama_cpp.llama_log_callback
    def keep_errors(level: int, text: bytes, user_data) -> None:
        level = last[0] if level == _GGML_LOG_CONT else level
        last[0] = level
        if level == _GGML_LOG_ERROR and text:
            _ERRORS.append(text.decode("utf-8", "replace"))

    llama_cpp.llama_log_set(keep_errors, ctypes.c_void_p(0))
    _log_callback = keep_errors


# Every generator's llama.cpp contexts, closed before the interpreter tears its modules down:
# left to the garbage collector at exit, llama-cpp-python's finalizers find its C functions
# already gone and print a traceback ("'NoneType' object is not callable"). One still
# generating (a daemon thread at exit) is left alone: its contexts are in use.
_OPEN: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for gen in list(_OPEN):
        if gen._lock.acquire(blocking=False):
            try:
                for llm in gen._contexts:
                    llm.close()
            finally:
                gen._lock.release()


def _marker_keys(markers: Sequence[str]) -> frozenset[str] | None:
    """One ASCII, non-space character of each marker (None if one has none). An ASCII
    character is one byte of UTF-8, never part of another character, so it is in a decoded
    text only if one token's bytes hold it, and then that token decoded alone shows it too:
    a marker cannot be in a reply none of whose tokens shows its key character."""
    keys = set()
    for m in markers:
        c = next((c for c in m if c.isascii() and c.isprintable() and not c.isspace()), None)
        if c is None:
            return None
        keys.add(c)
    return frozenset(keys)


class LlamaCppGenerator(Generator):
    def __init__(self, settings: GenerateSettings, *, base_gguf: Path, adapter_gguf: Path | None,
                 tokenizer: Any, context_turns: int, max_seq_len: int, threads: int,
                 decode_threads: int | None = None, spare: SpareCores | None = None,
                 logits_all: bool = False, logits_processors: list[ScriptedLogits] | None = None):
        super().__init__(settings, eos=tokenizer.eos_token, context_turns=context_turns,
                         tokenizer=tokenizer, max_seq_len=max_seq_len)
        if not llama_cpp_available():
            raise ModelError(f'generate.backend = "llamacpp" needs llama-cpp-python: {INSTALL_HINT}')
        self.base_gguf = Path(base_gguf)
        self.adapter_gguf = Path(adapter_gguf) if adapter_gguf else None
        # Room for the longest prompt the contract lets through plus a reply, and some for
        # a caller asking for longer replies (eval's --max-new-tokens).
        self.n_ctx = max(self.max_prompt_tokens + settings.max_new_tokens, max_seq_len) + 256
        decode = decode_threads or threads
        # flash_attn: llama.cpp's fused attention over the KV cache; its unfused one (f16 dot
        # products, a softmax op) was 13% of a token here: 10.0 -> 8.9 ms on the test model,
        # parity with torch unchanged (docs/benchmarks.md)
        self._llama_args = dict(
            model_path=str(self.base_gguf),
            lora_path=str(self.adapter_gguf) if self.adapter_gguf else None,
            n_ctx=self.n_ctx, n_batch=512, n_threads=decode, n_threads_batch=threads,
            logits_all=logits_all, verbose=False, flash_attn=True,
        )
        self.llm = self._new_llama()
        # Cores a lone decode leaves idle take other prompts of a batch (eval's generations),
        # each on a context of its own, made when a batch first needs it.
        self.workers = max(1, threads // decode)
        self._contexts = [self.llm]
        # A prompt decoded alone (the bot's, chat's) takes the cores other processes leave
        # idle at the time (``spare``, re-read every few tokens); prompts of a batch keep
        # ``decode`` threads each, one context per core.
        self._threads, self._decode, self._spare = threads, decode, spare
        self._set_to = [decode]  # each context's decode threads now
        self.eos_id = tokenizer.eos_token_id
        self.n_vocab = self.llm.n_vocab()
        self._scripted = list(logits_processors or [])
        self._rng = np.random.default_rng()
        self._lock = threading.Lock()
        _OPEN.add(self)
        self._shows: dict[tuple[frozenset[str], int], bool] = {}

    def _new_llama(self):
        from llama_cpp import Llama

        quiet_llama_cpp()
        _ERRORS.clear()
        try:
            llm = Llama(**self._llama_args)
        except (ValueError, RuntimeError, OSError) as e:
            what = f"{self.base_gguf}" + (f" + {self.adapter_gguf}" if self.adapter_gguf else "")
            said = "".join(_ERRORS).strip().replace("\n", "; ")
            raise ModelError(f"llama.cpp cannot load {what}: {e}" + (f" ({said})" if said else "")) from None
        return llm

    def _shows_key(self, keys: frozenset[str], token: int) -> bool:
        """Does ``token``, decoded alone, show one of ``keys`` (see ``_marker_keys``)?"""
        known = self._shows.get((keys, token))
        if known is None:
            text = self.tokenizer.decode([token], skip_special_tokens=True)
            known = self._shows[(keys, token)] = any(k in text for k in keys)
        return known

    # ------------------------------------------------------------------ llama.cpp

    def _last_logits(self, llm) -> np.ndarray:
        import llama_cpp

        ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()

    def _feed(self, llm, ids: list[int]) -> np.ndarray:
        """Put ``ids`` in ``llm``'s KV cache (reusing the prefix already there); the logits
        after the last one."""
        cached = llm.input_ids[: llm.n_tokens].tolist()
        same = 0
        for a, b in zip(cached, ids):
            if a != b:
                break
            same += 1
        same = min(same, len(ids) - 1)  # the last token is evaluated again for its logits
        llm.n_tokens = same  # eval() drops the cache from here on
        try:
            llm.eval(ids[same:])
        except RuntimeError as e:
            raise ModelError(f"llama.cpp failed on a {len(ids)}-token prompt: {e}") from None
        return self._last_logits(llm)

    def next_token_logits(self, ids: Sequence[int]) -> np.ndarray:
        """Logits after every position of ``ids`` (n x vocab); needs ``logits_all=True``."""
        with self._lock:
            self.llm.reset()
            self.llm.eval(list(ids))
            return np.array(self.llm.scores[: len(ids)], dtype=np.float32)

    # ------------------------------------------------------------------ sampling

    def _decode_threads(self, worker: int, alone: bool) -> None:
        """Set ``worker``'s context to its decode threads: the cores spare now when it runs
        alone (``cpu.lone_decode_threads``), else the fixed count."""
        import llama_cpp

        want = self._decode
        if alone and self._spare is not None:
            want = lone_decode_threads(self._spare.spare(), self._spare.cores, self._decode)
        if self._set_to[worker] != want:
            llama_cpp.llama_set_n_threads(self._contexts[worker].ctx, want, self._threads)
            self._set_to[worker] = want

    def _one(self, llm, prompt_ids: list[int], start: np.ndarray, rng: np.random.Generator,
             temperature: float, markers: Sequence[str], max_new_tokens: int,
             pace: Callable[[], None] = lambda: None) -> Continuation:
        s = self.settings
        tok = self.tokenizer
        llm.n_tokens = len(prompt_ids)  # back to the prompt's end
        logits = start.copy()
        reply: list[int] = []
        hit_eos = False
        # The reply is decoded (to look for a marker) only once a token of it shows a
        # marker's key character: most replies never, instead of once a token.
        keys = _marker_keys(markers)
        look = keys is None
        for step in range(max_new_tokens):
            for script in self._scripted:
                logits = script(prompt_ids + reply, logits)
            penalise(logits, reply, s.repetition_penalty, s.no_repeat_ngram_size)
            token = pick(logits, rng, temperature=temperature, top_k=s.top_k, top_p=s.top_p)
            if token == self.eos_id:
                hit_eos = True
                break
            reply.append(token)
            look = look or self._shows_key(keys, token)
            if look and any(m in tok.decode(reply, skip_special_tokens=True) for m in markers):
                break
            if step + 1 < max_new_tokens:
                if step % _PACE_TOKENS == 0:
                    pace()
                llm.eval([token])
                logits = self._last_logits(llm)
        text = tok.decode(reply, skip_special_tokens=True)
        return Continuation(text=text, raw=tok.decode(reply, skip_special_tokens=False),
                            hit_eos=hit_eos, stop=stop_reason(text, hit_eos, markers),
                            new_tokens=len(reply) + hit_eos, tokens=tuple(reply))

    def _continue(self, prompts: list[Prompt], k: int, *, temperature: float,
                  markers: Sequence[str], max_new_tokens: int,
                  seed: int | None) -> list[Continuation]:
        with self._lock:
            if seed is not None:
                self._rng = np.random.default_rng(seed)
            # A generator of its own per prompt: what a prompt gets does not depend on which
            # context runs it or on the prompts before it.
            rngs = self._rng.spawn(len(prompts))
            n = min(self.workers, len(prompts))
            while len(self._contexts) < n:
                self._contexts.append(self._new_llama())
                self._set_to.append(self._decode)
            out: list[list[Continuation] | None] = [None] * len(prompts)

            def run(worker: int) -> None:
                llm = self._contexts[worker]

                def pace() -> None:
                    self._decode_threads(worker, alone=n == 1)
                for i in range(worker, len(prompts), n):  # dealt in turn: the same split each time
                    ids = prompts[i].ids
                    limit = min(max_new_tokens, self.n_ctx - len(ids))
                    start = self._feed(llm, ids)
                    out[i] = [self._one(llm, ids, start, rngs[i], temperature, markers, limit, pace)
                              for _ in range(k)]

            in_threads(run, n)
        return [c for conts in out for c in conts]


def load_llamacpp(settings, adapter_dir: Path | None, **kwargs) -> LlamaCppGenerator:
    """The ``llamacpp`` backend for ``adapter_dir`` (or the base model alone): the base GGUF
    from ``model.base_gguf``, the adapter's GGUF made on first use."""
    from clonebot.model.generate import trained_max_seq_len
    from clonebot.model.gguf_export import adapter_gguf, base_gguf_for, merged_gguf
    from clonebot.model.cpu import decode_threads
    from clonebot.model.load import cpu_threads, load_tokenizer
    from clonebot.model.manifest import check_prompt_format, read_manifest
    from clonebot.model.registry import resolve_base_model

    if not llama_cpp_available():
        raise ModelError(f'generate.backend = "llamacpp" needs llama-cpp-python: {INSTALL_HINT}')
    threads = cpu_threads(settings.model.cpu_threads)

    # cpu_threads set: that many, always; else a lone decode follows the spare cores, when
    # threads spin briefly at a barrier (cpu.threads_wait_briefly)
    spare = SpareCores(threads) if settings.model.cpu_threads <= 0 and threads_wait_briefly() else None

    def threads_for(base: Path) -> dict:
        return {"threads": threads, "spare": spare,
                "decode_threads": decode_threads(settings.model.cpu_threads, base.stat().st_size)}
    if adapter_dir is None:
        name = settings.model.base_model
        base = base_gguf_for(settings, {"base_model": name})
        tokenizer = load_tokenizer(resolve_base_model(name, settings.paths.cache_dir),
                                   settings.model.revision)
        return LlamaCppGenerator(settings.generate, base_gguf=base, adapter_gguf=None,
                                 tokenizer=tokenizer, context_turns=settings.prepare.context_turns,
                                 max_seq_len=settings.train.max_seq_len, **threads_for(base), **kwargs)
    adapter_dir = Path(adapter_dir)
    manifest = read_manifest(adapter_dir)
    check_prompt_format(manifest)
    if (adapter_dir / "tokenizer_config.json").is_file():
        tokenizer = load_tokenizer(adapter_dir)
    else:
        tokenizer = load_tokenizer(resolve_base_model(manifest["base_model"], settings.paths.cache_dir),
                                   manifest.get("revision"))
    if tokenizer.eos_token != manifest["eos_token"]:
        raise ModelError(f"adapter was trained with EOS {manifest['eos_token']!r}, "
                         f"tokenizer has {tokenizer.eos_token!r}")
    base = base_gguf_for(settings, manifest)
    lora = adapter_gguf(settings, adapter_dir, base)
    merged = merged_gguf(settings, adapter_dir, manifest["base_model"], base, lora)
    model, lora = (merged, None) if merged else (base, lora)
    return LlamaCppGenerator(settings.generate, base_gguf=model, adapter_gguf=lora,
                             tokenizer=tokenizer, context_turns=manifest["context_turns"],
                             max_seq_len=trained_max_seq_len(manifest), **threads_for(model), **kwargs)
