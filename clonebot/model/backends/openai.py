"""The remote backend: an OpenAI-compatible ``/v1/completions`` server (vLLM serving base +
LoRA, llama-server or ``python -m llama_cpp.server`` with the GGUF export, ...).

Same prompt (cut with the adapter's tokenizer), same stop markers, same cleaning as the
local backends. Penalties: the API has no way to say "the reply only", and servers differ
(vLLM's and llama-server's repetition penalties count the prompt too), so every server
penalty is switched off explicitly (some default to one) and a reply is cut where it would
repeat an n-gram of its own, the token the local backends ban; there is no repetition
penalty. ``CLONEBOT_OPENAI_API_KEY`` is sent as a bearer token if set.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from clonebot.config import GenerateSettings
from clonebot.errors import ModelError
from clonebot.model.generate import DEFAULT_MAX_SEQ_LEN, Continuation, Generator, stop_reason
from clonebot.prompt_format import STOP_STRINGS


class OpenAIGenerator(Generator):
    penalises_logits = False

    def __init__(self, settings: GenerateSettings, eos: str, context_turns: int, *,
                 tokenizer: Any = None, max_seq_len: int = DEFAULT_MAX_SEQ_LEN,
                 timeout: float = 120.0):
        super().__init__(settings, eos=eos, context_turns=context_turns, tokenizer=tokenizer,
                         max_seq_len=max_seq_len)
        self.timeout = timeout
        self.url = settings.openai_base_url.rstrip("/") + "/completions"

    def request_body(self, prompt: str, k: int, temperature: float, markers, max_new_tokens: int) -> dict:
        s = self.settings
        return {
            "model": s.openai_model,
            "prompt": prompt,
            "n": k,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
            "top_p": s.top_p,
            "stop": [self.eos, *markers][:4],  # the OpenAI API takes at most 4
            # Off, explicitly: llama_cpp.server defaults to repeat_penalty 1.1, top_k 40 and
            # min_p 0.05, all over the prompt too. Servers ignore keys they do not know.
            "frequency_penalty": 0.0,
            "presence_penalty": 0.0,
            "repetition_penalty": 1.0,  # vLLM
            "repeat_penalty": 1.0,  # llama.cpp
            # 0 = off for llama.cpp (which refuses -1) and for vLLM since 0.8 (-1 before).
            "top_k": s.top_k,
            "min_p": 0.0,
        }

    def _post(self, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get("CLONEBOT_OPENAI_API_KEY")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise ModelError(f"{self.url} answered HTTP {e.code}: {e.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ModelError(f"cannot reach {self.url}: {e}") from None

    def _continue(self, prompts, k, *, temperature, markers, max_new_tokens, seed):
        out: list[Continuation] = []
        for p in prompts:
            body = self.request_body(p.text, k, temperature, list(markers or STOP_STRINGS),
                                     max_new_tokens)
            if seed is not None:
                body["seed"] = seed
            data = self._post(body)
            try:
                choices = [(c["text"], c.get("finish_reason")) for c in data["choices"]]
            except (KeyError, TypeError) as e:
                raise ModelError(f"{self.url} gave an unexpected answer: {e}") from None
            for text, finish in choices:
                text = text.split(self.eos)[0]
                # "stop": EOS or one of our stop strings (the server cut it off); "length":
                # the token limit.
                ended = finish != "length"
                stop = stop_reason(text, False, markers) if not ended else "limit"
                if ended and stop == "limit":
                    stop = "eos"
                out.append(Continuation(text=text, raw=text, hit_eos=stop == "eos", stop=stop,
                                        new_tokens=0))
        return out
