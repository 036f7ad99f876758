"""The office a reply is drafted for, configured once: its name for the 落款, its contact, whom it
copies, whether it usually leads (主办) or assists (会办), and its own 办理结果 code list.

Read from ``ZHENGCE_OFFICE_*`` environment variables and, when ``ZHENGCE_OFFICE_FILE`` (or the
CLI's ``--office``) names one, a JSON file whose values win; a request may still override the
role for one proposal. Nothing here is guessed: a field left unset shows in the draft as a
【待填写】 mark for staff to fill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.errors import BadInput

# the codes most offices use (A 已解决或采纳 / B 正在解决或列入计划 / C 因条件限制暂不能解决)
DEFAULT_RESULT_CODES = {"A": "所提问题已经解决或采纳", "B": "正在解决或列入计划", "C": "因条件限制暂不能解决"}
Role = Literal["主办", "会办"]


class OfficeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHENGCE_OFFICE_", extra="forbid")

    name: str | None = Field(None, description="落款: the office's full name, e.g. 上海市普陀区教育局")
    role: Role = Field("主办", description="主办: the reply is a 答复; 会办: a 会办意见 to the 主办单位")
    lead_office: str | None = Field(None, description="会办意见的主送: the 主办单位")
    work: str | None = Field(None, description="感谢你对{work}工作的关心和支持, e.g. 教育")
    contact: str | None = Field(None, description="联系人")
    phone: str | None = Field(None, description="联系电话")
    cc: list[str] = Field(default_factory=list, description="抄送, in order")
    disclosure: str | None = Field(None, description="公开属性, e.g. 此件主动公开")
    result_codes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RESULT_CODES),
                                         description="办理结果 code -> meaning, the office's own list")

    @field_validator("result_codes")
    @classmethod
    def _some_codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value or not all(code.strip() and meaning.strip() for code, meaning in value.items()):
            raise ValueError("办理结果分类（result_codes）至少要有一项，每项都要有代码和含义")
        return value

    def result_label(self, code: str | None) -> str | None:
        """The meaning of a 办理结果 code; BadInput naming the office's codes for one it lacks."""
        if code is None:
            return None
        if code not in self.result_codes:
            raise BadInput(f"办理结果“{code}”不在本单位的分类中，可选：{self.codes_text()}")
        return self.result_codes[code]

    def codes_text(self) -> str:
        return "；".join(f"{code} {meaning}" for code, meaning in self.result_codes.items())


def office_settings(path: Path | str | None = None) -> OfficeSettings:
    """The office's settings: the environment, overridden by the JSON file ``path`` (or
    ``ZHENGCE_OFFICE_FILE``). A file that cannot be used is a BadInput saying why, in Chinese."""
    import os

    path = path or os.environ.get("ZHENGCE_OFFICE_FILE") or None
    values: dict[str, object] = {}
    if path:
        file = Path(path)
        try:
            values = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise BadInput(f"找不到单位设置文件 {file}") from error
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadInput(f"单位设置文件 {file} 不是可读的 UTF-8 JSON：{error}") from error
        if not isinstance(values, dict):
            raise BadInput(f"单位设置文件 {file} 应是一个 JSON 对象，如 {{\"name\": \"上海市普陀区教育局\"}}")
    try:
        return OfficeSettings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "；".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise BadInput(f"单位设置有误（{path or 'ZHENGCE_OFFICE_*'}）：{problems}") from error
