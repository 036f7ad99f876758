"""POST /retrieval against Dify's documented External Knowledge API: its request and response shapes,
metadata_condition, an empty result, its error codes, keys and the audit log."""

from __future__ import annotations

import pytest

from search_api.audit import read_entries

READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
# the request example of Dify's documentation, with a question about these documents
REQUEST = {"knowledge_id": "zhengce", "query": "宝宝屋 免费托育服务 婴幼儿家庭",
           "retrieval_setting": {"top_k": 5, "score_threshold": 0.0}}


@pytest.fixture
def dify(open_app, seed_index_dir, tmp_path):
    client = open_app(index_dir=seed_index_dir, upload_dir=tmp_path / "uploads", audit_dir=tmp_path / "audit",
                      audit_searches=True, require_key_for_read=True, api_key=ADMIN_KEY,
                      api_keys={"dify": {"key": READ_KEY, "role": "read"}})
    client.headers["Authorization"] = f"Bearer {READ_KEY}"
    return client


def retrieve(client, **changes):
    body = {**REQUEST, **changes}
    return client.post("/retrieval", json=body)


def test_records_have_dify_shape_best_first(dify, tmp_path) -> None:
    response = retrieve(dify)
    assert response.status_code == 200
    records = response.json()["records"]
    assert 0 < len(records) <= 5
    for record in records:
        assert set(record) == {"content", "score", "title", "metadata"}
        assert isinstance(record["metadata"], dict)  # Dify fails on a null metadata
        assert record["content"] and record["title"] and 0.0 <= record["score"] <= 1.0
        meta = record["metadata"]
        document = dify.get(f"/documents/{meta['doc_id']}", headers={"X-API-Key": READ_KEY}).json()
        assert document["text"][meta["char_start"]:meta["char_end"]] == record["content"]  # a checkable citation
    assert [r["score"] for r in records] == sorted((r["score"] for r in records), reverse=True)
    assert any("宝宝屋" in r["content"] for r in records)
    logged = [e for e in read_entries(tmp_path / "audit") if e["action"] == "retrieval"]
    assert len(logged) == 1 and logged[0]["key"] == "dify"
    assert [d["doc_id"] for d in logged[0]["documents"]] == list(dict.fromkeys(r["metadata"]["doc_id"] for r in records))


def test_top_k_and_score_threshold(dify) -> None:
    everything = retrieve(dify, retrieval_setting={"top_k": 8, "score_threshold": 0.0}).json()["records"]
    assert len(retrieve(dify, retrieval_setting={"top_k": 2, "score_threshold": 0.0}).json()["records"]) == 2
    cut = sorted(r["score"] for r in everything)[len(everything) // 2]
    above = retrieve(dify, retrieval_setting={"top_k": 8, "score_threshold": cut}).json()["records"]
    assert above and all(r["score"] >= cut for r in above)
    assert len(above) == sum(r["score"] >= cut for r in everything)


def test_metadata_condition(dify) -> None:
    def issuers(condition: dict) -> set[str]:
        records = retrieve(dify, retrieval_setting={"top_k": 10, "score_threshold": 0.0},
                           metadata_condition=condition).json()["records"]
        return {r["metadata"]["issuer"] for r in records}

    everyone = issuers({"logical_operator": "and", "conditions": []})
    assert "普陀区教育局" in everyone and len(everyone) > 1
    assert issuers({"conditions": [{"name": "issuer", "comparison_operator": "is", "value": "普陀区教育局"}]}) == {"普陀区教育局"}
    assert "普陀区教育局" not in issuers({"conditions": [{"name": "issuer", "comparison_operator": "is not",
                                                        "value": "普陀区教育局"}]})
    assert issuers({"conditions": [{"name": ["doc_number"], "comparison_operator": "contains", "value": "普教办"}]}) == {
        "普陀区教育局"}
    before = {"name": "date", "comparison_operator": "before", "value": "2020-01-01"}
    after = {"name": "date", "comparison_operator": "after", "value": "2024-01-01"}
    assert issuers({"conditions": [before]}) == {"上海市妇女联合会"}
    assert issuers({"logical_operator": "and", "conditions": [before, after]}) == set()  # an empty result
    assert issuers({"logical_operator": "or", "conditions": [before, after]}) >= {"上海市妇女联合会", "普陀区教育局"}
    regions = {r["metadata"]["region"] for r in retrieve(
        dify, retrieval_setting={"top_k": 10, "score_threshold": 0.0},
        metadata_condition={"conditions": [{"name": "region", "comparison_operator": "in",
                                            "value": ["上海市静安区", "上海市"]}]}).json()["records"]}
    assert regions and regions <= {"上海市静安区", "上海市"}
    assert issuers({"conditions": [{"name": "no_such_field", "comparison_operator": "empty"}]}) == everyone
    assert issuers({"conditions": [{"name": "no_such_field", "comparison_operator": "not empty"}]}) == set()


def test_dify_error_codes(dify) -> None:
    del dify.headers["Authorization"]
    missing = retrieve(dify)
    assert (missing.status_code, missing.json()["error_code"]) == (403, 1001)
    for header in (f"Basic {READ_KEY}", "Bearer", READ_KEY):
        refused = dify.post("/retrieval", json=REQUEST, headers={"Authorization": header})
        assert (refused.status_code, refused.json()["error_code"]) == (403, 1001), header
    wrong = dify.post("/retrieval", json=REQUEST, headers={"Authorization": "Bearer not-a-key-of-this-server"})
    assert (wrong.status_code, wrong.json()) == (403, {"error_code": 1002, "error_msg": "Authorization failed"})
    x_api_key = dify.post("/retrieval", json=REQUEST, headers={"X-API-Key": READ_KEY})  # Dify's header only
    assert x_api_key.json()["error_code"] == 1001
    unknown = dify.post("/retrieval", json={**REQUEST, "knowledge_id": "AAA-BBB-CCC"},
                        headers={"Authorization": f"Bearer {READ_KEY}"})
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, 2001)
    admin = dify.post("/retrieval", json=REQUEST, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert admin.status_code == 200 and admin.json()["records"]


def test_no_keys_configured_means_no_retrieval(open_app, seed_index_dir, tmp_path) -> None:
    """Reads may be open to the intranet, but a platform reading the knowledge base always names itself."""
    client = open_app(index_dir=seed_index_dir, upload_dir=tmp_path / "uploads")
    refused = client.post("/retrieval", json=REQUEST, headers={"Authorization": "Bearer anything-at-all-1234"})
    assert (refused.status_code, refused.json()["error_code"]) == (403, 1002)
