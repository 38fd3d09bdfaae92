"""Generation backends, one a file: ``local`` (torch + peft in process), ``llamacpp``
(llama.cpp in process, GGUF base + GGUF LoRA), ``openai`` (an OpenAI-compatible server).
Each only samples continuations; the contract they share is ``clonebot.model.generate``."""
