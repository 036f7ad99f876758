"""The words staff read, in one place, in Chinese: what the service says of its own outcomes
(uploads, deletions, storage faults, sign-in), and what each error kind means to a person.

Two kinds of words live here. The service's own outcomes are written in Chinese where they happen
(a job's reason, a refused sign-in) from the constants below. Every error response also carries
``message``: one sentence that says what happened and what to do, chosen here from the status and
the kind behind it (a refused field, a file a reader could not read, a failed upload job); the
technical reason stays in ``detail`` for programs and the server log, and the page shows it behind
详情. ``CLIENT`` holds the words for what only the browser sees (the server cannot be reached); the
page receives them from here. (A file's refusal by a reader's caps is worded where the caps are,
``indexer.ingest.limits.WORDS``: the indexer does not import the server.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from search_api.request_schemas import VISIBLE

# a write the storage refused, by the status it is answered with
DISK_FULL = "磁盘已满（{where}）；未做任何更改：请释放磁盘空间后重试"
READ_ONLY = "无法写入 {where}（{why}）；未做任何更改"
STORAGE = "索引或上传文件夹"

# what a failure the server did not expect is called, in a response and in a failed job
INTERNAL = "服务器内部错误：请稍后再试；如果一再出现，请联系管理员（服务器日志中有详情）。"

# upload jobs
CANCELLED = "任务已按请求取消；此文件未编入索引"
SAME_NAME_TWICE = "本次上传中有另一个同名文件（{name}），内容不同；此文件未处理：请改名后再上传"
NAME_TAKEN = "已有同名的另一份文档（doc_id {doc_id}）；未做更改：如要替换，请由管理员以 replace=true 上传，或将文件改名"
STOPPED = "服务器在此任务完成前停止了；请重新上传这些文件"
RECOVERED = "服务器在写入索引后、报告结果前停止了；重启后已按索引核实结果"

# a proposal read for 拟答复 (nothing is stored)
READ_UNSUPPORTED = "不支持的文件类型 {suffix}：请上传 {formats} 文件"
READ_TOO_LARGE = "文件 {name} 超过 {mib} MiB 上限"
READ_NO_TEXT = "文件 {name} 中没有读到文字"

# identity
NEEDS_KEY = "需要身份：请在页面上登录，或在请求头 X-API-Key 中提供密钥（missing or wrong X-API-Key header）"
CROSS_SITE = "跨站请求被拒绝：请从本系统的页面操作"
WRONG_KEY = "密钥不正确，请重新输入。"
TOO_MANY_MARKS = "标注过于频繁：每个密钥每小时最多 {limit} 条，请稍后再标"

_CJK = re.compile(r"[\u3400-\u9fff]")

# what only the browser can see: the page gets these words from base.html
CLIENT = {
    "network": "无法连接服务器：请检查网络连接，或稍后再试；如果一直如此，请联系管理员。",
    "not_json": "服务器的回答无法读取：请稍后再试；如果一再出现，请联系管理员。",
    "cancelled": "已取消。",
    "details": "详情",
}

# (status, pattern the technical detail matches or None for any, words): the first pattern that
# matches wins; then a detail the service already wrote in Chinese; then the status's catch-all
STATUS_WORDS: tuple[tuple[int, str | None, str], ...] = (
    (401, r"key|密钥|身份|登录", "需要登录：请点页面右上角的“登录”，用管理员发给您的密钥登录后再试。"),
    (401, None, "需要登录：请点页面右上角的“登录”，用管理员发给您的密钥登录后再试。"),
    (403, r"disabled|no ZHENGCE_API_KEY", "本服务器没有开放上传、删除和修改（管理员未设置 API 密钥）：请联系管理员。"),
    (403, r"has role", "您的密钥没有这项操作的权限：请换用有权限的密钥登录，或请管理员授权。"),
    (403, None, "没有这项操作的权限：请联系管理员。"),
    (404, r"doc_id|document", "找不到这份文件：它可能已被删除或替换。请回到检索结果重新打开。"),
    (404, r"upload job|job", "找不到这个上传任务：它可能已过期，请重新上传。"),
    (404, r"original", "找不到这份文件的原件：它是从服务器上的文件夹编入索引的，原件已被移走或修改。"),
    (404, r"page", "这份文件没有这一页。"),
    (404, r"judg|mark", "还没有评判标记：请先在检索结果上标记“相关 / 不相关”。"),
    (404, None, "找不到请求的内容：请检查地址后再试。"),
    (405, None, "不支持这项操作。"),
    (408, None, "上传超时：网络太慢或文件太大。请稍后重试，或分批上传。"),
    (409, r"evaluation|评测", "已有一次评测正在运行：请等它完成后再试。"),
    (409, r"model|dimension", "索引与当前的模型不一致：请联系管理员重建索引。"),
    (409, None, "索引正在被另一项任务更新：请稍等几秒后再试。"),
    (413, None, "文件太大，超过了上传上限：请压缩、拆分后再上传，或请管理员调高上限。"),
    (415, None, "不支持这种请求格式。"),
    (422, None, "填写的内容无法使用：请检查后再试。"),
    (429, None, "操作太频繁：请稍后再试。"),
    (500, None, INTERNAL),
    (503, r"无法写入|cannot write|read-only|permission", "服务器无法写入索引或上传文件夹，未做任何更改：请联系管理员。"),
    (503, r"language model", "语言模型暂时无法回答：请稍后再试，或不勾选“由语言模型撰写”。"),
    (503, r"index|loaded", "索引还没有就绪：服务器正在启动、加载或没有可用的索引。请稍后再试。"),
    (503, None, "服务暂时不可用：请稍后再试。"),
    (507, None, "服务器磁盘已满，未做任何更改：请联系管理员释放磁盘空间。"),
)

FIELD_NAMES = {
    "query": "检索内容", "question": "问题", "text": "文本", "top_k": "结果数", "mode": "检索方式",
    "date_from": "起始日期", "date_to": "截止日期", "issuer": "发文机关", "doc_type": "文种", "region": "地区",
    "doc_number": "文号", "files": "文件", "file": "文件", "who": "评判人", "limit": "每页条数", "offset": "翻页位置",
    "title": "标题", "date": "成文日期", "proposal_number": "提案/建议号", "char_start": "段落位置",
    "char_end": "段落位置", "relevant": "评判", "filters": "筛选条件", "sort": "排序", "q": "检索内容",
}
_DATE_KINDS = {"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact",
               "date_future", "date_past"}
_NUMBER_KINDS = {"int_parsing", "int_type", "int_from_float", "greater_than_equal", "less_than_equal",
                 "greater_than", "less_than", "float_parsing", "float_type"}

# a reader's reason for refusing a file (indexer.errors.UnreadableFile.reason) -> words; first match wins
FILE_WORDS: tuple[tuple[str, str], ...] = (
    (r"^empty (file|document)", "文件是空的，没有可读取的文字：请检查是否选错了文件。"),
    (r"^encrypted PDF", "PDF 已加密，需要密码才能打开：请上传未加密的版本。"),
    (r"^not a readable PDF", "无法读取这个 PDF：文件可能已损坏或不完整。请重新导出或重新下载后再上传。"),
    (r"^no text layer: OCR needed, and OCR is off", "这个 PDF 是扫描件，需要文字识别（OCR），但服务器关闭了文字识别：请联系管理员。"),
    (r"^no text layer", "这个 PDF 是扫描件，文字识别（OCR）没有读出文字：请上传更清晰的扫描件或文字版。"),
    (r"^not a readable OFD", "无法读取这个 OFD 文件：文件可能已损坏或不完整。请重新导出后再上传。"),
    (r"^OFD without text: .*OCR is off", "这个 OFD 文件只有页面图片，需要文字识别，但服务器关闭了文字识别：请联系管理员。"),
    (r"^OFD without text", "这个 OFD 文件里没有可读取的文字（页面是图片或曲线）：请上传文字版。"),
    (r"^not a readable DOCX|^empty document: the DOCX", "无法读取这个 Word 文件：文件可能已损坏，或没有文字。请用 Word 另存后再上传。"),
    (r"LibreOffice could not convert|LibreOffice did not finish", "无法转换这个 DOC/WPS 文件（可能已损坏或加了密码）：请另存为 DOCX 后再上传。"),
    (r"converted by LibreOffice, which is not installed", "服务器无法读取 DOC/WPS 文件（未安装 LibreOffice）：请另存为 DOCX 后再上传，或联系管理员。"),
    (r"^not a readable image|^image of a page: its text needs OCR, and OCR is off",
     "无法读取这张图片：请上传 PNG、JPEG 或 TIFF 格式的清晰扫描件。"),
    (r"^image too large", "图片太大：请缩小后再上传（例如 300 dpi 以内）。"),
    (r"^no text found by OCR", "文字识别（OCR）没有在图片里读出文字：请上传更清晰的扫描件。"),
    (r"^no text found in HTML", "网页文件里没有正文文字：请上传包含正文的网页或改用其他格式。"),
    (r"^binary content", "这不是文本文件（含二进制内容）：请检查文件类型，或另存为 TXT/DOCX 后再上传。"),
    (r"^mixed encodings", "文本文件的编码混杂，无法确定如何读取：请用记事本另存为 UTF-8 后再上传。"),
    (r"^unsupported", "不支持这种文件类型：请上传 PDF、OFD、DOCX、DOC、WPS、TXT、HTML 或图片（PNG、JPEG、TIFF）。"),
    (r"^file too large|^document has .* characters|^archive", "文件太大或解压后太大，超过了服务器的上限：请拆分后再上传。"),
    (r"^cannot read file|^file not found|^not a regular file", "服务器无法读取这个文件：请重新上传。"),
    (r"^deleted from the index by id", "这份文件此前已从索引中删除：如要恢复，请重新上传。"),
)
FILE_FALLBACK = "无法读取这个文件：请检查文件是否完整，或另存为 PDF、DOCX 后再上传。"

# a page a reader kept no text of (indexer.models.OcrPage.error) -> words; first match wins
PAGE_WORDS: tuple[tuple[str, str], ...] = (
    (r"^OCR failed", "第 {page} 页：文字识别（OCR）出错，这一页的文字没有读出，检索不到：请上传更清晰的扫描件。"),
    (r"^background picture not read: OCR is off",
     "第 {page} 页：页面底图中的文字没有读取（服务器关闭了文字识别），检索不到：请联系管理员。"),
    (r"^background picture not read",
     "第 {page} 页：页面底图中的文字没有读取（需要识别的页数超过服务器上限），检索不到：请联系管理员。"),
    (r"^text drawn as outlines", "第 {page} 页：文字是以图形（曲线）画出的，不是文字，没有读出，检索不到：请索取文字版。"),
)
PAGE_FALLBACK = "第 {page} 页：这一页的文字没有读出，检索不到。"

JOB_WORDS: tuple[tuple[str, str], ...] = (  # the service's own job errors are written in Chinese already
    (r"locked|busy|another indexing run", "索引正在被另一项任务更新：请稍后重新上传。"),
)


def has_chinese(text: str | None) -> bool:
    return bool(text and _CJK.search(text))


def for_status(status: int, detail: Any) -> str:
    """The words for an error response of ``status`` whose technical reason is ``detail``."""
    if status == 422 and isinstance(detail, list):
        return for_validation(detail)
    text = detail if isinstance(detail, str) else str(detail or "")
    for code, pattern, said in STATUS_WORDS:
        if code == status and pattern is not None and re.search(pattern, text, re.IGNORECASE):
            return said
    if has_chinese(text):
        return text
    for code, pattern, said in STATUS_WORDS:
        if code == status and pattern is None:
            return said
    return INTERNAL if status >= 500 else "请求无法完成：请检查后再试。"


BAD_INPUT_WORDS: tuple[tuple[str, str], ...] = (
    (r"no query has a document marked", "还没有标记为“相关”的检索结果：请先在“检索”的结果上标记相关或不相关，再运行评测。"),
    (r"past the end of the document", "段落位置超出了文件的范围：文件可能已更新，请刷新页面后再试。"),
    (r"\bdate", "日期填写有误：请写成 2024-03-20 或 2024年3月20日。"),
)


def for_error(error: Exception, status: int) -> str:
    """The words for an expected failure (``indexer.errors``), by its kind."""
    kind = type(error).__name__
    if kind == "UnreadableFile":
        return for_file(getattr(error, "reason", "")) or FILE_FALLBACK
    if kind == "IndexMismatch":
        return "索引与当前的模型不一致：请联系管理员重建索引。"
    if kind == "IndexBusy":
        return "索引正在被另一项任务更新：请稍等几秒后再试。"
    if kind == "ModelUnavailable":
        return "语言模型暂时无法回答：请稍后再试，或不勾选“由语言模型撰写”。"
    if kind in ("BadInput", "DatasetError"):
        for pattern, said in BAD_INPUT_WORDS:
            if re.search(pattern, str(error), re.IGNORECASE):
                return said
        return str(error) if has_chinese(str(error)) else "填写的内容无法使用：请检查后再试。"
    return for_status(status, str(error))


def for_validation(errors: Iterable[dict[str, Any]]) -> str:
    """One sentence per refused field, for FastAPI's list of validation errors."""
    sentences = list(dict.fromkeys(_field_words(error) for error in errors))
    return "；".join(s.rstrip("。") for s in sentences) + "。" if sentences else for_status(422, "")


def _field_words(error: dict[str, Any]) -> str:
    kind, message = str(error.get("type", "")), str(error.get("msg", ""))
    context = error.get("ctx") or {}
    loc = list(error.get("loc") or ())
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):  # where it came from, not a field
        loc = loc[1:]
    names = [str(part) for part in loc if isinstance(part, str)]
    raw = names[-1] if names else ""
    field = FIELD_NAMES.get(raw, f"“{raw}”" if raw else "请求")
    if kind == "nothing_to_correct":
        return "没有要修改的内容：请至少改动一项后再保存。"
    if kind == "date_order" or "is after date_to" in message:
        return "起始日期晚于截止日期：请把起始日期改早，或把截止日期改晚。"
    if kind == "missing":
        return f"请填写{field}。"
    if kind in _DATE_KINDS or "must be a date" in message:
        return f"{field}不是有效的日期：请写成 2024-03-20 或 2024年3月20日。"
    if kind == "string_too_long":
        return f"{field}太长：最多 {context.get('max_length', '')} 个字，请删减后再试。"
    if kind == "string_too_short" or "only whitespace" in message \
            or (kind == "string_pattern_mismatch" and context.get("pattern") == VISIBLE):
        return f"{field}不能为空。"
    if kind == "string_pattern_mismatch":
        return f"{field}的格式不对：请检查后再试。"
    if kind == "extra_forbidden":
        return f"请求里有无法识别的项“{raw}”。"
    if kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        return "请求的格式不对：请刷新页面后再试。"
    limit = re.search(r"is (\d+) characters; the limit is (\d+)", message)
    if limit:
        return f"{field}太长：共 {limit.group(1)} 字，上限 {limit.group(2)} 字，请删减后再试。"
    between = re.search(r"between (\d+) and (\d+)", message)
    if between:
        return f"{field}应在 {between.group(1)} 到 {between.group(2)} 之间。"
    files = re.search(r"(\d+) files sent; the limit is (\d+)", message)
    if files:
        return f"一次最多上传 {files.group(2)} 个文件（这次选了 {files.group(1)} 个）：请分批上传。"
    if kind in _NUMBER_KINDS:
        return f"{field}应为整数。"
    if kind in ("literal_error", "enum"):
        return f"{field}的取值不在可选范围内。"
    return f"{field}填写有误：请检查后再试。"


def for_file(reason: str | None) -> str | None:
    """The words for why a file was not indexed (a reader's reason, or a conflict)."""
    if not reason:
        return None
    for pattern, said in FILE_WORDS:
        if re.search(pattern, reason, re.IGNORECASE):
            return said
    return reason if has_chinese(reason) else FILE_FALLBACK


def for_page(page: int, error: str) -> str:
    """The words for a page whose text a reader could not read (the file itself was indexed)."""
    for pattern, said in PAGE_WORDS:
        if re.search(pattern, error, re.IGNORECASE):
            return said.format(page=page)
    return error if has_chinese(error) else PAGE_FALLBACK.format(page=page)


def for_job(error: str | None) -> str | None:
    """The words for why a whole upload job failed."""
    if not error:
        return None
    for pattern, said in JOB_WORDS:
        if re.search(pattern, error, re.IGNORECASE):
            return said
    return error if has_chinese(error) else "上传任务失败：请稍后重新上传；如果一再出现，请联系管理员。"


def error_body(status: int, detail: Any) -> dict[str, Any]:
    """An error response's body: the technical ``detail`` and the ``message`` staff read."""
    return {"detail": detail, "message": for_status(status, detail)}
