"""The blocks of a 公文's page (GB/T 9704: masthead, title, 主送, body, signature, 成文日期) found
from where and how they are printed, in files made the way offices and printers make them
(issue 31, the misses of the real-file set test3). Each test failed on the readers before its fix.
"""

from __future__ import annotations

from pathlib import Path

from indexer.gongwen.documents import load_document

from filegen import make_gongwen_pdf

RECIPIENT = "各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门，国家税务总局各省、自治区、直辖市和计划单列市税务局："


# ----------------------------------------------------------------------------- masthead and title block


def test_a_recipient_set_close_under_the_title_is_no_line_of_the_title(tmp_path: Path) -> None:
    """A typeset 公文 sets the 主送 close under the title. Its first line runs from margin to margin,
    so its middle is the page's: centred as the title is, but it is body text, not a title line."""
    pages = [[("title", ["关于加强个人所得税纳税信用建设的通知"]), ("recipient", RECIPIENT), ("body", "现将有关事项通知如下。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "通知.pdf", pages, title_space=0))
    assert doc.meta.title == "关于加强个人所得税纳税信用建设的通知"
    assert doc.text.split("\n")[:2] == ["关于加强个人所得税纳税信用建设的通知", RECIPIENT]
