"""Page furniture of 政务公开 web pages: recognised line by line, removed before metadata and chunking.

What a portal wraps around a published document is the same everywhere: a breadcrumb
(首页 > 政府信息公开 > …), a source line (来源：… 发布时间：… 浏览次数：…), font-size, print,
share and QR widgets, a footer (主办单位, ICP备, 公网安备, 网站标识码, 联系我们), and, in text
exported from HTML, image and link remnants. None of it is the document; the publication date a
source line carries is kept as the page's ``published`` date.
"""

from __future__ import annotations

import re

from indexer.gongwen.dates import DATE_ANYWHERE, find_date

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\((?:https?:|www\.|/|\.\.?/|#)[^)\n]*\)")
_HTML_REMNANT = re.compile(r"<!--.*?-->|<!--|-->|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>\n]*)?/?>", re.DOTALL)

# A widget or footer line: one of these makes a short line furniture wherever it stands.
_WIDGET = re.compile(
    r"ICP备|ICP证|公网安备|网安备\d|网站标识码|版权所有|Copyright|©|联系我们|网站地图|网站声明|隐私声明|技术支持[:：]"
    r"|返回首页|返回列表|【返回】|扫一扫|请扫|手机扫|二维码|分享到|打印本页|打印此页|【打印】|关闭窗口|关闭本页|【关闭】|返回顶部|"
    r"字体[:：]|【字体|字号[:：]|【字号|[【\[]\s*大\s*中\s*小\s*[】\]]|^大中小$|下载Word|下载PDF|^附件下载$|文字解读|图片解读"
    r"|浏览次数|浏览量|点击数|点击量|点击率|阅读次数|阅读量|访问量|访问次数|^(?:点击|浏览|阅读)[:：]"
    r"|^(?:网站)?首页|无障碍|适老化|长者模式|关怀版|一网搜|^登录|登录\s*[|｜]|注册\s*$|当前位置|您的位置|您现在的位置|所在位置"
    r"|(?:主办|承办|协办|维护)单位[:：]|^主办[:：]|^承办[:：]",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(r"(?:[>＞»›]\s*[^>＞»›]{1,20}){2,}")
_WEEKDAY_CLOCK = re.compile(rf"^(?:{DATE_ANYWHERE.pattern})\s*(?:星期|周)[一二三四五六日天]$")
# 来源：市政府办 时间：2019-06-27 16:51 / 发布时间：2018-08-04 / 日期：2024年01月10日 / 2025-09-15 作者：
_PUBLISHED_LABEL = r"(?:发布|发表|更新|公开|上传|录入)(?:时间|日期)[:：]"
_SOURCE_LABEL = re.compile(
    rf"{_PUBLISHED_LABEL}|(?:^|(?<=\s))(?:(?:信息|资料|文章|稿件)?来源|作者|(?:责任)?编辑|时间|日期)[:：]"
)
_NAV_LABEL = re.compile(
    r"^(?:政府)?信息公开(?:指南|制度|年报|目录|规定|平台)?$|^法定主动公开内容$|^(?:文件|此件|本文件)?已(?:失效|废止)$"
    r"|^[（(]此页无正文[）)]$|^[|｜•·\s]+$"
)
_URL = re.compile(r"https?://|www\.[a-z0-9-]+\.", re.IGNORECASE)
_SHORT = 60  # furniture is short; a body sentence that happens to contain a marker is not


def strip_remnants(text: str) -> str:
    """Drop image markup and HTML comments or tags left by an HTML export; keep a link's words."""
    text = _MARKDOWN_IMAGE.sub("", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    return _HTML_REMNANT.sub("", text)


def squeeze(line: str) -> str:
    """A line as the rules read it: no spaces, no table pipes or list bullets at its ends."""
    return re.sub(r"\s+", "", line).strip("|｜•·●◆■▪")


def is_furniture(line: str) -> bool:
    """Whether a line belongs to the page rather than to the document."""
    text = squeeze(line)
    if _NAV_LABEL.search(text) or _WEEKDAY_CLOCK.match(text):
        return True
    if len(text) > _SHORT or "。" in text:
        return False
    if _WIDGET.search(text) or _BREADCRUMB.search(line) or (_URL.search(line) and len(text) <= 40):
        return True
    return is_source_line(line)


def is_source_line(line: str) -> bool:
    """来源/发布时间/作者 lines: a date with a source label, or two such labels (来源：X 作者：Y)."""
    text = squeeze(line)
    if len(text) > _SHORT or "。" in text:
        return False
    labels = [match.group() for match in _SOURCE_LABEL.finditer(line)]
    if len(labels) >= 2:
        return True
    dated = bool(DATE_ANYWHERE.search(text))
    return bool(labels) and (dated and not labels[0].startswith(("时间", "日期")) or text.startswith(("来源", "作者")))


def strip_furniture(lines: list[str]) -> tuple[list[str], str | None]:
    """The lines that are not furniture, and the publication date a source line states (else None)."""
    kept: list[str] = []
    published = None
    for line in lines:
        if not is_furniture(line):
            kept.append(line)
            continue
        if published is None and is_source_line(line) and not _WEEKDAY_CLOCK.match(squeeze(line)):
            published = find_date(line)
    return kept, published
