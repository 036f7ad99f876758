"""Where the web page keeps what only it needs: staff judgments and their evaluation results.

Both default to the folder that holds the index (``var/`` for ``var/index``), so one deployment's
judgments travel with its index; ``ZHENGCE_JUDGMENTS_FILE`` and ``ZHENGCE_JUDGMENTS_EVAL_DIR``
move them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHENGCE_", extra="ignore")

    judgments_file: Path | None = None  # None: <index folder's parent>/judgments.jsonl
    judgments_eval_dir: Path | None = None  # None: <index folder's parent>/judgments-eval/

    def judgments_path(self, index_dir: Path) -> Path:
        return self.judgments_file or Path(index_dir).parent / "judgments.jsonl"

    def eval_dir(self, index_dir: Path) -> Path:
        """`zhengce eval --json` results put here are what the 评测 page shows (the newest)."""
        return self.judgments_eval_dir or Path(index_dir).parent / "judgments-eval"
