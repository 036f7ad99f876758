"""One sentence rule (indexer.gongwen.sentences) for chunking and for answer quotes."""

from __future__ import annotations

from indexer.gongwen.chunk import ChunkSettings, chunk_text
from indexer.gongwen.sentences import clause_spans, sentence_spans, split_sentences
from indexer.retrieval import answers

TEXT = "他说：“要抓好落实。”随后再议（详见附件。）各单位；\n\n  请于月底前报送。。最后一句"


def test_sentences_end_after_their_closing_quotes_and_brackets_and_cover_the_text():
    pieces = [TEXT[a:b] for a, b in sentence_spans(TEXT)]
    assert "".join(pieces) == TEXT
    assert pieces[:3] == ["他说：“要抓好落实。”", "随后再议（详见附件。）", "各单位；"]
    assert pieces[-2:] == ["  请于月底前报送。。", "最后一句"]


def test_answer_sentences_are_the_same_sentences_trimmed():
    quotes = [TEXT[s.start : s.end] for s in split_sentences(TEXT)]
    assert quotes == ["他说：“要抓好落实。”", "随后再议（详见附件。）", "各单位；", "请于月底前报送。。", "最后一句"]
    assert answers.split_sentences is split_sentences


def test_a_run_without_full_stops_is_cut_after_the_last_clause_that_fits():
    text = "，".join(["第一项工作内容"] * 10)  # 79 characters, a clause mark every 8
    pieces = clause_spans(text, 0, len(text), 20)
    assert "".join(text[a:b] for a, b in pieces) == text
    assert all(b - a <= 20 for a, b in pieces) and all(text[b - 1] == "，" for _, b in pieces[:-1])
    assert clause_spans("无标点" * 10, 0, 30, 12) == [(0, 12), (12, 24), (24, 30)]


def test_a_long_paragraph_of_bracketed_sentences_is_chunked_after_each_closing_bracket():
    sentence = "（第{}项：各单位要认真落实有关规定，按时报送工作情况和存在的问题。）"
    paragraph = "".join(sentence.format(i) for i in range(40))  # one paragraph, far over max_chars
    chunks = chunk_text(paragraph, ChunkSettings())
    assert len(chunks) > 3
    cuts = {b for _, b in sentence_spans(paragraph)}
    for chunk in chunks:
        assert chunk.char_end in cuts and chunk.text.endswith("。）"), chunk.text[-20:]
