"""The central bodies that sign joint 公文, by the names they sign with, to part their names run together.

A joint notice of ministries is signed "教育部　科技部", one space or a few between the names; OCR,
a web page's spacing and a copy out of a PDF often lose them ("教育部科技部"), and no suffix rule can
tell where one name ends ("公安部交通管理局" is one body). A signature that is exactly two or more of
these names, and is not one of them itself, is those bodies. The list is the State Council's
departments, its directly affiliated and administered bodies and the Party and mass organisations
that co-sign with them, in full and in the short forms their signatures use, with earlier names.
"""

from __future__ import annotations

from functools import lru_cache

CENTRAL_BODIES = frozenset("""
中共中央 国务院 全国人大常委会 中共中央办公厅 国务院办公厅 中央办公厅
中央组织部 中共中央组织部 中央宣传部 中共中央宣传部 中央统战部 中央网信办 中央编办 中央政法委 中央军委
外交部 国防部 国家发展和改革委员会 国家发展改革委 发展改革委 教育部 科学技术部 科技部 工业和信息化部 工信部
国家民族事务委员会 国家民委 公安部 国家安全部 民政部 司法部 财政部 人力资源和社会保障部 人力资源社会保障部
自然资源部 生态环境部 住房和城乡建设部 住房城乡建设部 交通运输部 水利部 农业农村部 商务部 文化和旅游部
国家卫生健康委员会 国家卫生健康委 退役军人事务部 应急管理部 中国人民银行 人民银行 审计署
国务院国有资产监督管理委员会 国务院国资委 海关总署 国家税务总局 税务总局 国家市场监督管理总局 市场监管总局
国家金融监督管理总局 金融监管总局 中国证券监督管理委员会 中国证监会 证监会 国家广播电视总局 广电总局
国家体育总局 体育总局 国家统计局 国家国际发展合作署 国家医疗保障局 国家医保局 国务院参事室
国家机关事务管理局 国管局 国务院研究室 国务院港澳事务办公室 国务院台湾事务办公室 国务院新闻办公室
中国科学院 中国社会科学院 中国工程院 国务院发展研究中心 中国气象局 国家信访局 国家粮食和物资储备局
国家粮食和储备局 国家能源局 国家国防科技工业局 国家国防科工局 国家烟草专卖局 国家移民管理局
国家林业和草原局 国家林草局 国家铁路局 中国民用航空局 中国民航局 民航局 国家邮政局 国家文物局
国家中医药管理局 国家中医药局 国家疾病预防控制局 国家疾控局 国家矿山安全监察局 国家消防救援局
国家外汇管理局 外汇局 国家药品监督管理局 国家药监局 国家知识产权局 知识产权局 国家数据局 国家乡村振兴局
国家卫生和计划生育委员会 国家卫生计生委 卫生部 环境保护部 国土资源部 农业部 文化部 监察部 国家旅游局
国家工商行政管理总局 工商总局 国家质量监督检验检疫总局 质检总局 国家安全生产监督管理总局 安全监管总局
国家食品药品监督管理总局 食品药品监管总局 国家新闻出版广电总局 中国银行保险监督管理委员会 中国银保监会 银保监会
中国银行业监督管理委员会 中国银监会 中国保险监督管理委员会 中国保监会 国家认证认可监督管理委员会 国家标准化管理委员会
国务院扶贫开发领导小组办公室 国务院扶贫办 国务院妇女儿童工作委员会 国务院妇儿工委 国务院学位委员会
全国妇联 中华全国妇女联合会 共青团中央 中华全国总工会 全国总工会 中国残联 中国残疾人联合会 中国科协
中华全国工商业联合会 全国工商联 中国红十字会总会 中国关心下一代工作委员会
""".split())
_LONGEST = max(map(len, CENTRAL_BODIES))


@lru_cache(maxsize=1024)
def run_together(name: str) -> tuple[str, ...]:
    """The central bodies ``name`` is, written with nothing between them ("教育部科技部" -> 教育部, 科技部);
    empty unless it is two or more of them exactly, and not one body's own name."""
    if name in CENTRAL_BODIES or len(name) < 4:
        return ()
    parts: list[tuple[str, ...] | None] = [()] + [None] * len(name)  # parts[k]: name[:k] as bodies, fewest first
    for end in range(1, len(name) + 1):
        for start in range(max(0, end - _LONGEST), end):
            before, best = parts[start], parts[end]
            if before is not None and name[start:end] in CENTRAL_BODIES and (best is None or len(before) + 1 < len(best)):
                parts[end] = (*before, name[start:end])
    found = parts[-1]
    return found if found is not None and len(found) >= 2 else ()
