"""POST /v1/reviews and /v1/reviews/batch through the real app."""


def test_review_one_reply(client):
    r = client.post("/v1/reviews", json={"reply": "我们会尽快处理。"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"lang", "score", "passed", "sections", "findings"}
    assert body["lang"] == "zh-Hans" and body["passed"] is False
    f = next(f for f in body["findings"] if f["category"] == "vague_promise")
    assert f["rule"] == "vague.asap" and (f["start"], f["end"], f["text"]) == (3, 5, "尽快")
    assert set(body["sections"]) == {"apology", "restatement", "remedy", "close"}


def test_review_with_complaint_and_forced_language(client):
    body = client.post("/v1/reviews", json={
        "reply": "I'm sorry your order 55123 arrived late. A replacement ships today. Reach me at sam@example.com.",
        "complaint": "My order 55123 arrived two weeks late!", "lang": "en"}).json()
    assert body["passed"] is True and body["findings"] == []


def test_errors_have_one_shape(client):
    cases = [
        (client.post("/v1/reviews", json={"reply": "  "}), 422, "reply"),
        (client.post("/v1/reviews", json={"reply": "好" * 20_001}), 422, "reply"),
        (client.post("/v1/reviews", json={}), 422, "reply"),
        (client.post("/v1/reviews", json={"reply": "x", "lang": "fr"}), 422, "lang"),
        (client.post("/v1/reviews", json={"reply": "x", "colour": 1}), 422, "colour"),
    ]
    for response, status, field in cases:
        body = response.json()
        assert response.status_code == status
        assert body["ok"] is False and body["status"] == status
        assert body["error"]["field"] == field and body["error"]["message"]


def test_oversized_body_is_413_before_it_is_read(client, settings):
    big = b'{"reply": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    r = client.post("/v1/reviews", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_malformed_json_is_422_not_500(client):
    r = client.post("/v1/reviews", content=b'{"reply": ', headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["ok"] is False


def test_batch_reviews_each_item_in_order_and_flags_bad_ones(client):
    items = [{"reply": "稍后联系您。"}, {"reply": "   "}, {"reply": "I don't know."}]
    body = client.post("/v1/reviews/batch", json={"items": items}).json()
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert body["results"][0]["review"]["findings"][0]["text"] == "稍后"
    assert body["results"][1]["error"]["field"] == "items.1.reply"
    assert body["results"][2]["review"]["lang"] == "en"
    assert body["summary"]["reviewed"] == 2 and body["summary"]["errors"] == 1


def test_batch_over_1000_items_is_refused(client):
    r = client.post("/v1/reviews/batch", json={"items": [{"reply": "a"}] * 1001})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items"


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/reviews" in paths and "/v1/reviews/batch" in paths


def test_policy_true_checks_times_amounts_and_links_like_a_draft(client):
    reply = "非常抱歉耳机有问题。您订单20261103886的耳机我们赔偿您¥10000,2小时内到账,详情见 https://evil.example/x 。如有问题请联系客服专员林悦,电话400-820-1234。"
    plain = client.post("/v1/reviews", json={"reply": reply, "complaint": "耳机坏了,订单20261103886"}).json()
    assert "ungrounded" not in {f["category"] for f in plain["findings"]}
    checked = client.post("/v1/reviews", json={"reply": reply, "complaint": "耳机坏了,订单20261103886",
                                               "policy": True}).json()
    flagged = {f["text"] for f in checked["findings"] if f["category"] == "ungrounded"}
    assert {"¥10000", "https://evil.example/x"} <= flagged and any("2小时" in t for t in flagged)
    assert checked["passed"] is False and checked["score"] < plain["score"]
    for f in checked["findings"]:
        if f["start"] is not None:
            assert reply[f["start"]:f["end"]] == f["text"]
