"""The helpdesk export readers (service/batch/helpdesk/), through the registry: each turns the
helpdesk's own JSON into one Record per message, {"conversation_id", "id", "role", "text",
"created_at", "agent", "channel"}, with no column mapping. Fixtures: tests/data/helpdesk/."""

import copy
import json
from pathlib import Path

import pytest

from service.batch.formats import FORMATS, get_format, read_records
from service.batch.pipeline import open_input
from service.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "helpdesk"
HELPDESKS = ("zendesk", "chatwoot", "intercom", "freshdesk", "zammad")
KEYS = {"conversation_id", "id", "role", "text", "created_at", "agent", "channel"}


def read(fmt: str, path, encoding: str = "utf-8") -> list:
    return list(read_records(path, get_format(fmt), encoding))


def fixture(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def write(tmp_path, obj, name="export.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def ok(records) -> list[dict]:
    return [r.data for r in records if r.error is None]


def by_id(records) -> dict:
    return {r.data["id"]: r.data for r in records if r.error is None}


def roles(records, conversation: str) -> list[tuple]:
    return [(r.data["id"], r.data["role"]) for r in records if r.error is None and r.data["conversation_id"] == conversation]


def errors(records) -> list[str]:
    return [r.error for r in records if r.error]


# ---------------------------------------------------------------- the registry

def test_the_five_are_registered_as_conversation_formats_without_extensions():
    for name in HELPDESKS:
        fmt = get_format(name)
        assert fmt.name == name and fmt.conversations is True and fmt.extensions == () and fmt.parse_line is None
        assert fmt.description
    assert get_format(None, "tickets.json").name == "jsonl"  # a .json file stays JSON lines by default
    assert not FORMATS["jsonl"].conversations
    assert get_format(" Zendesk ").name == "zendesk"


def test_every_message_record_has_exactly_the_contract_keys():
    for name, path in [("zendesk", "zendesk.json"), ("zendesk", "zendesk.jsonl"), ("chatwoot", "chatwoot.json"),
                       ("intercom", "intercom.json"), ("freshdesk", "freshdesk.json"), ("zammad", "zammad.json")]:
        records = read(name, DATA / path)
        assert ok(records), name
        for data in ok(records):
            assert set(data) == KEYS, (name, data)
            assert isinstance(data["conversation_id"], str) and data["text"].strip() == data["text"] != ""
            assert data["role"] in ("customer", "agent", "bot", "system", "note")
            assert data["channel"] in ("email", "chat", "social", "phone", "web", None)
            assert data["created_at"] is None or data["created_at"].endswith("Z")
            assert (data["agent"] is None) or data["role"] == "agent"
            assert "<" not in data["text"] or name == "zendesk"


# ---------------------------------------------------------------- Zendesk

def test_zendesk_tickets_api_with_sideloaded_users():
    records = read("zendesk", DATA / "zendesk.json")
    # in time order, though the export lists the agent's reply first; the note is kept, as a note
    assert roles(records, "35436") == [("9100001", "customer"), ("9100002", "note"), ("9100003", "agent"),
                                       ("9100005", "customer")]
    msgs = by_id(records)
    reply = msgs["9100003"]
    assert reply["agent"] == "李娜"  # named from the sideloaded users
    assert reply["text"] == ("王先生您好,\n\n非常抱歉您11月1日购买的蓝牙耳机(订单 20261101886)左耳没有声音。\n"
                             "我们今天18点前为您寄出新耳机,顺丰单号稍后短信发给您。\n\n客服 李娜")
    assert reply["created_at"] == "2026-11-03T03:05:00Z"
    # the ticket's channel for all its comments (the agent wrote hers in the agent workspace, via web)
    assert {d["channel"] for d in ok(records) if d["conversation_id"] == "35436"} == {"email"}
    assert msgs["9100002"]["agent"] is None
    # the English ticket: Answer Bot's suggestion is a bot message, an admin is an agent
    assert roles(records, "35440") == [("9100101", "customer"), ("9100102", "bot"), ("9100103", "agent")]
    assert msgs["9100103"]["agent"] == "Daniel Brooks"
    assert msgs["9100103"]["text"].startswith("Hi Sam,\n\nI'm sorry about the double charge — that shouldn't")
    assert msgs["9100101"]["channel"] == "web"
    # a comment with only an attachment: an error naming where it is, and the rest is read
    assert errors(records) == ["ticket 35436, comment 9100004: no body (only 1 attachment)"]
    bad = next(r for r in records if r.error)
    assert bad.data == {"conversation_id": "35436", "id": "9100004"}
    assert [r.data["id"] for r in records][3:5] == ["9100004", "9100005"]  # in its place in time
    # line: the number of the comment in the file; conversations in file order
    assert [(r.line, r.data["id"]) for r in records][:3] == [(2, "9100001"), (3, "9100002"), (1, "9100003")]
    assert [r.data["conversation_id"] for r in records] == ["35436"] * 5 + ["35440"] * 3


def test_zendesk_json_lines_export():
    records = read("zendesk", DATA / "zendesk.jsonl")
    assert [(r.line, r.data and r.data["id"]) for r in records] == [
        (1, "9200001"), (1, "9200002"), (1, "9200003"), (2, None), (3, "9200101"), (3, "9200102")]
    msgs = by_id(records)
    assert [msgs[i]["role"] for i in ("9200001", "9200002", "9200003")] == ["customer", "agent", "system"]
    assert msgs["9200002"]["agent"] == "2700500"  # no users in the export: the author's id
    assert msgs["9200002"]["text"] == "陳小姐您好,很抱歉讓您久等了。\n\n我們已向物流公司查詢,今天下午5點前回覆您結果。"
    assert msgs["9200001"]["channel"] == "chat" and msgs["9200102"]["channel"] == "email"
    (bad,) = errors(records)
    assert bad.startswith("line 2: not valid JSON (column ") and "delimiter" in bad


def test_zendesk_json_lines_whose_first_line_is_broken_are_still_lines(tmp_path):
    lines = (DATA / "zendesk.jsonl").read_text(encoding="utf-8").splitlines()
    path = write(tmp_path, "\n".join([lines[1], lines[0], lines[2]]) + "\n", "export.jsonl")
    records = read("zendesk", path)
    assert records[0].line == 1 and records[0].error.startswith("line 1: not valid JSON")
    assert {r.data["conversation_id"] for r in records[1:]} == {"35501", "35502"}


def test_zendesk_ticket_comments_api_is_one_ticket(tmp_path):
    ticket = fixture("zendesk.json")["tickets"][0]
    users = fixture("zendesk.json")["users"]
    path = write(tmp_path, {"comments": ticket["comments"], "users": users, "next_page": None, "count": 5})
    records = read("zendesk", path)
    assert {r.data["conversation_id"] for r in records} == {"#1"}  # the response does not name its ticket
    assert roles(records, "#1") == [("9100001", "customer"), ("9100002", "note"), ("9100003", "agent"),
                                    ("9100005", "customer")]
    assert by_id(records)["9100001"]["channel"] == "email"  # the opening comment's via
    # without users, the author of the first comment (who opened the ticket) is the customer
    path = write(tmp_path, {"comments": ticket["comments"]})
    records = read("zendesk", path)
    assert roles(records, "#1") == [("9100001", "customer"), ("9100002", "note"), ("9100003", "agent"),
                                    ("9100005", "customer")]
    assert by_id(records)["9100003"]["agent"] == "1500901"
    # comments that say their ticket
    path = write(tmp_path, {"comments": [dict(c, ticket_id=35436) for c in ticket["comments"]]})
    assert {r.data["conversation_id"] for r in read("zendesk", path)} == {"35436"}


def test_zendesk_other_ticket_shapes_give_the_same_records(tmp_path):
    doc = fixture("zendesk.json")
    expected = [(r.line, r.data, r.error) for r in read("zendesk", DATA / "zendesk.json")]
    users = {u["id"]: u for u in doc["users"]}

    def same(obj):
        return [(r.line, r.data, r.error) for r in read("zendesk", write(tmp_path, obj))]

    assert same({"tickets": doc["tickets"], "users": doc["users"]}) == expected
    # a list of tickets (no users: authors by id, and the requester is the customer)
    listed = same(doc["tickets"])
    assert [(line, d["id"], d.get("role")) for line, d, _ in listed] == [
        (line, d["id"], d.get("role")) for line, d, _ in expected]
    assert {d["agent"] for _, d, _ in listed if d.get("role") == "agent"} == {"1500901", "1500902"}
    # Show Ticket: {"ticket": ...}
    one = same({"ticket": doc["tickets"][1], "users": list(users.values())})
    assert [d["id"] for _, d, _ in one] == ["9100101", "9100102", "9100103"]
    # the comments beside the tickets (sideloaded), each with its ticket_id
    tickets = [{k: v for k, v in t.items() if k != "comments"} for t in doc["tickets"]]
    comments = [dict(c, ticket_id=t["id"]) for t in doc["tickets"] for c in t["comments"]]
    beside = same({"tickets": tickets, "comments": comments, "users": doc["users"]})
    assert [d for _, d, _ in beside] == [d for _, d, _ in expected]


def test_zendesk_ticket_without_comments_and_bad_items_are_errors_not_exceptions(tmp_path):
    doc = {"tickets": [{"id": 1, "requester_id": 5, "subject": "x"}, "oops",
                       {"id": 2, "requester_id": 5, "comments": [{"id": 7, "author_id": 5, "body": 12},
                                                                 {"id": 8, "author_id": 5, "body": "fine",
                                                                  "created_at": "2026-11-01T00:00:00Z"},
                                                                 {"id": 9, "body": "who?", "public": True}]}]}
    records = read("zendesk", write(tmp_path, doc))
    assert errors(records) == [
        "ticket 1: no comments (export the tickets with their comments)",
        "ticket #2: not an object (text)",
        "ticket 2, comment 7: body is a number, not text",
        "ticket 2, comment 9: no author_id"]
    assert ok(records) == [{"conversation_id": "2", "id": "8", "role": "customer", "text": "fine",
                            "created_at": "2026-11-01T00:00:00Z", "agent": None, "channel": None}]


# ---------------------------------------------------------------- Chatwoot

def test_chatwoot_conversations_with_messages():
    records = read("chatwoot", DATA / "chatwoot.json")
    assert roles(records, "4187") == [
        ("530001", "customer"), ("530002", "bot"), ("530003", "system"), ("530004", "note"),
        ("530005", "agent"), ("530007", "bot"), ("530008", "system")]  # the note comes before the reply, in time
    msgs = by_id(records)
    assert msgs["530005"]["agent"] == "陳美玲" and msgs["530002"]["agent"] is None
    assert msgs["530001"]["created_at"] == "2026-11-03T02:15:00Z"  # from unix seconds
    assert msgs["530003"]["text"] == "Conversation was assigned to 陳美玲"
    assert {d["channel"] for d in ok(records) if d["conversation_id"] == "4187"} == {"chat"}
    # the email conversation: an automated reply with no sender is a bot's; the agent by name
    assert roles(records, "4190") == [("531001", "customer"), ("531003", "bot"), ("531002", "agent")]
    assert msgs["531002"]["agent"] == "Tom Becker"
    assert msgs["531001"]["text"].startswith("Hello,\n\nMy subscription renewed")
    assert msgs["531001"]["channel"] == "email"
    assert errors(records) == ["conversation 4187, message 530006: no content (only 1 attachment)"]
    assert [r.line for r in records if r.data["conversation_id"] == "4187"] == [1, 2, 3, 5, 4, 6, 7, 8]


def test_chatwoot_messages_api_response(tmp_path):
    conv = fixture("chatwoot.json")[0]
    path = write(tmp_path, {"meta": {"labels": [], "contact_id": 9051}, "payload": conv["messages"]})
    records = read("chatwoot", path)
    assert roles(records, "4187") == roles(read("chatwoot", DATA / "chatwoot.json"), "4187")
    assert {d["channel"] for d in ok(records)} == {None}  # the response does not say the inbox
    email = fixture("chatwoot.json")[1]
    records = read("chatwoot", write(tmp_path, {"payload": email["messages"]}))
    assert {d["channel"] for d in ok(records)} == {"email"}  # a message came in by email
    # a message of an unknown type, and one that is not an object
    msgs = copy.deepcopy(email["messages"]) + [{"id": 1, "message_type": 9, "content": "?", "conversation_id": 4190},
                                               ["not", "a", "message"]]
    records = read("chatwoot", write(tmp_path, {"payload": msgs}))
    assert errors(records) == [
        "conversation 4190, message 1: unknown message_type 9 (expected 0-3 or incoming, outgoing, activity, template)",
        "conversation #1, message #5: not an object (a list)"]
    assert len(ok(records)) == 3


# ---------------------------------------------------------------- Intercom

def test_intercom_conversations():
    records = read("intercom", DATA / "intercom.json")
    first = "215468823140081"
    assert roles(records, first) == [("2110470431", "customer"), ("19440001", "bot"), ("19440002", "system"),
                                     ("19440003", "note"), ("19440004", "agent"), ("19440005", "system")]
    msgs = by_id(records)
    assert msgs["19440004"]["agent"] == "Mia Jensen"
    assert msgs["19440004"]["text"] == ("Hi Lena,\n\nI\u2019m sorry your order arrived damaged. A replacement ships "
                                        "today by express, so it reaches you on Thursday.\n\nMia")
    assert msgs["19440002"]["text"] == "[assignment by Fin]" and msgs["19440005"]["text"] == "[close by Mia Jensen]"
    assert msgs["19440003"]["text"] == "Courier damage, 2nd this week. Claim filed with DHL: CLM-20931"
    assert msgs["2110470431"]["created_at"] == "2026-11-05T09:00:00Z"  # the conversation's created_at
    assert msgs["19440005"]["created_at"] == "2026-11-05T10:02:40Z"
    assert {d["channel"] for d in ok(records) if d["conversation_id"] == first} == {"chat"}
    second = "215468823140095"
    assert roles(records, second) == [("2110470588", "customer"), ("19450001", "agent")]
    assert msgs["2110470588"]["text"] == "您好:\n我上周的订单开的发票抬头写错了,应该是“上海澄明贸易有限公司”,麻烦重开一张。\n\n赵敏"
    assert msgs["19450001"]["agent"] == "周杰" and msgs["19450001"]["channel"] == "email"
    assert errors(records) == [
        f"conversation {second}, part 19450002: no body",
        f"conversation {second}, part 19450003: created_at 'yesterday' is not a time (expected unix seconds or ISO 8601)"]
    assert [r.line for r in records] == [1, 2, 3, 5, 4, 6, 7, 8, 9, 10]


def test_intercom_one_conversation_or_a_list(tmp_path):
    convs = fixture("intercom.json")["conversations"]
    whole = [(r.line, r.data, r.error) for r in read("intercom", DATA / "intercom.json")]
    assert [(r.line, r.data, r.error) for r in read("intercom", write(tmp_path, convs))] == whole
    one = read("intercom", write(tmp_path, convs[1]))
    assert [r.data["id"] for r in one] == ["2110470588", "19450001", "19450002", "19450003"]
    # an automated outbound message opens as a bot's; a part by a team is a bot's
    outbound = copy.deepcopy(convs[1])
    outbound["source"].update(delivered_as="automated", author={"type": "admin", "id": "1", "name": "Ops"})
    outbound["conversation_parts"]["conversation_parts"][0]["author"] = {"type": "team", "id": "9", "name": "Billing"}
    assert roles(read("intercom", write(tmp_path, outbound)), "215468823140095") == [
        ("2110470588", "bot"), ("19450001", "bot")]


# ---------------------------------------------------------------- Freshdesk

def test_freshdesk_tickets_with_conversations():
    records = read("freshdesk", DATA / "freshdesk.json")
    # the description is the customer's first message; then in time order
    assert roles(records, "6021") == [(None, "customer"), ("43011001", "note"), ("43011002", "agent"),
                                      ("43011003", "customer")]
    msgs = [d for d in ok(records) if d["conversation_id"] == "6021"]
    assert msgs[0]["text"] == "您好,我11月2日訂購的咖啡機被刷了兩次,共 NT$7,980,請協助退回一筆。"
    assert msgs[0]["created_at"] == "2026-11-03T02:15:00Z"
    assert msgs[2]["agent"] == "43000007"  # Freshdesk gives the agent's user_id
    assert msgs[2]["text"] == ("黃先生您好:\n\n很抱歉造成您的不便。重複的那筆 NT$3,990 已於今天退回您的信用卡,"
                               "約 5 到 7 個工作天入帳。\n\n客服 吳佳穎")  # no body_text: the HTML body, stripped
    assert msgs[3]["created_at"] == "2026-11-03T05:00:00Z"  # +08:00, in UTC
    assert {d["channel"] for d in msgs} == {"email"}
    phone = [d for d in ok(records) if d["conversation_id"] == "6034"]
    assert [d["role"] for d in phone] == ["customer", "agent", "customer"]
    assert phone[0]["text"] == "The blender I ordered arrived with a broken jug.\nI want a replacement, not a refund."
    assert {d["channel"] for d in phone} == {"phone"}
    assert errors(records) == ["ticket 6034, conversation #2: not an object (text)"]
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_freshdesk_conversations_api_response_and_one_ticket(tmp_path):
    tickets = fixture("freshdesk.json")
    records = read("freshdesk", write(tmp_path, tickets[0]["conversations"]))
    assert roles(records, "6021") == [("43011001", "note"), ("43011002", "agent"), ("43011003", "customer")]
    assert {d["channel"] for d in ok(records)} == {"email"}  # the replies carry email addresses
    one = read("freshdesk", write(tmp_path, tickets[1]))
    assert [(r.data["conversation_id"], r.line) for r in one] == [("6034", 1), ("6034", 2), ("6034", 3), ("6034", 4)]
    # an outbound email ticket: the description is the agent's
    outbound = dict(tickets[1], source=10, responder_id=43000009, conversations=[])
    (msg,) = ok(read("freshdesk", write(tmp_path, outbound)))
    assert (msg["role"], msg["agent"], msg["channel"]) == ("agent", "43000009", "email")


# ---------------------------------------------------------------- Zammad

def test_zammad_ticket_articles():
    records = read("zammad", DATA / "zammad.json")
    assert roles(records, "311") == [("1207", "customer"), ("1208", "system"), ("1209", "note"), ("1210", "agent"),
                                     ("1212", "customer")]
    msgs = by_id(records)
    assert msgs["1210"]["agent"] == "Noah Williams"  # "Noah Williams via Support <support@...>"
    assert msgs["1210"]["text"] == ("Hi Olivia,\n\nYou're right, and I'm sorry: the downgrade didn't apply to this "
                                    "month. I've refunded the $24 difference today, and you'll be billed $15 from "
                                    "December.\n\nNoah\nBilling team")  # the style is dropped
    assert msgs["1207"]["text"] == ("I downgraded to the Basic plan on 28 October but was still charged $39 for Pro "
                                    "this month.\n\nPlease fix this.")
    assert msgs["1208"]["created_at"] == "2026-11-05T09:00:05.120Z"
    # each article's own channel; the note takes the ticket's (its first article's: web)
    assert [msgs[i]["channel"] for i in ("1207", "1208", "1209", "1210", "1212")] == [
        "web", "email", "web", "email", "phone"]
    assert errors(records) == ["ticket 311, article 1211: unknown sender 'Client' (expected Customer, Agent or System)"]


def test_zammad_tickets_with_articles_and_html(tmp_path):
    articles = fixture("zammad.json")
    html = {"id": 1300, "ticket_id": 312, "sender": "Agent", "type": "email", "content_type": "text/html",
            "from": "吴静 <wujing@example.cn>", "created_at": "2026-11-07T01:00:00Z",
            "body": "<html><head><title>回复</title><script>track()</script></head><body><p>您好,&lt;订单&gt;已退款&amp;关闭。</p>"
                    "<ul><li>退款:¥199</li><li>到账:3个工作日</li></ul><p>吴静</p></body></html>"}
    tickets = [{"id": 311, "create_article_type": "email", "articles": articles},
               {"id": 312, "articles": [html]}, {"id": 313, "articles": "none"}]
    records = read("zammad", write(tmp_path, tickets))
    msgs = by_id(records)
    assert msgs["1300"]["text"] == "您好,<订单>已退款&关闭。\n\n退款:¥199\n到账:3个工作日\n\n吴静"
    assert msgs["1300"]["agent"] == "吴静"
    assert msgs["1209"]["channel"] == "email"  # the ticket was created by email
    assert errors(records)[-1] == 'ticket 313: "articles" is text, not a list'
    one = read("zammad", write(tmp_path, {"id": 312, "articles": [html]}))
    assert [r.data["id"] for r in one] == ["1300"]


# ---------------------------------------------------------------- whole files that cannot be used

WRONG = {"zendesk": "not a Zendesk export", "chatwoot": "not a Chatwoot export", "intercom": "not an Intercom export",
         "freshdesk": "not a Freshdesk export", "zammad": "not a Zammad export"}
EXPECTS = {"zendesk": '"comments"', "chatwoot": '"payload"', "intercom": '"conversation_parts"',
           "freshdesk": '"conversations"', "zammad": '"articles"'}


@pytest.mark.parametrize("name", HELPDESKS)
@pytest.mark.parametrize("doc", [{"results": [], "total": 0}, [1, 2, 3], "just text", 42])
def test_a_wrong_shaped_file_is_an_input_error_saying_what_was_expected(tmp_path, name, doc):
    with pytest.raises(InputError) as e:
        read(name, write(tmp_path, json.dumps(doc)))
    message = e.value.message
    assert WRONG[name] in message and EXPECTS[name] in message and "expected" in message
    assert e.value.field == "file"


@pytest.mark.parametrize("name", HELPDESKS)
def test_a_list_of_other_objects_is_an_input_error(tmp_path, name):
    """(A list of Zendesk comments given without their ticket, a CSV converted to JSON...)"""
    items = [{"id": 1, "author_id": 5, "text": "hi", "created": "2026-11-01"}, {"id": 2, "author_id": 6}]
    with pytest.raises(InputError, match=WRONG[name]):
        read(name, write(tmp_path, items))


@pytest.mark.parametrize("name", HELPDESKS)
def test_a_file_that_is_not_json_is_an_input_error_with_its_line_and_column(tmp_path, name):
    path = write(tmp_path, '[\n  {"id": 1,\n   "body": "unterminated}\n')
    with pytest.raises(InputError) as e:
        read(name, path)
    assert "not valid JSON at line 3, column" in e.value.message and EXPECTS[name] in e.value.message
    with pytest.raises(InputError, match="the file is empty"):
        read(name, write(tmp_path, "  \n"))


@pytest.mark.parametrize("name", HELPDESKS)
def test_the_upload_check_refuses_a_wrong_shaped_file(tmp_path, name):
    with pytest.raises(InputError, match=WRONG[name]):
        open_input(write(tmp_path, {"hello": "world"}), "export.json", format=name)
    assert open_input(DATA / f"{name}.json", f"{name}.json", format=name).format.name == name


# ---------------------------------------------------------------- robustness and encodings

JUNK = [None, 0, -1, 1.5, True, "", "x", [], {}, [1], {"a": 1}, "2026-13-45T99:00:00Z", 10 ** 30]


def mutations(doc):
    """The document with, in turn, each field of each object replaced by junk values."""
    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                yield path + (k,)
                yield from walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield path + (i,)
                yield from walk(v, path + (i,))

    for n, path in enumerate(walk(doc, ())):
        junk = JUNK[n % len(JUNK)]
        new = copy.deepcopy(doc)
        node = new
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = junk
        yield path, new


@pytest.mark.parametrize("name", HELPDESKS)
def test_junk_in_any_field_is_an_error_record_or_an_input_error_never_a_crash(tmp_path, name):
    doc = fixture(f"{name}.json")
    path = tmp_path / "m.json"
    for where, mutated in mutations(doc):
        path.write_text(json.dumps(mutated, ensure_ascii=False), encoding="utf-8")
        try:
            records = read(name, path)
        except InputError:
            continue
        except Exception as e:  # pragma: no cover - the failure message says where
            raise AssertionError(f"{name}: {where} = junk raised {type(e).__name__}: {e}") from e
        for r in records:
            assert (r.error is None) == (r.data is not None and "role" in r.data), (where, r)
            if r.error is None:
                assert set(r.data) == KEYS and r.data["text"], (where, r)


def test_encodings_gb18030_and_utf16(tmp_path):
    text = (DATA / "freshdesk.json").read_text(encoding="utf-8")
    expected = [(r.line, r.data, r.error) for r in read("freshdesk", DATA / "freshdesk.json")]
    for encoding in ("gb18030", "utf-16", "big5hkscs"):
        path = tmp_path / f"export.{encoding}.json"
        path.write_bytes(text.encode(encoding))
        assert [(r.line, r.data, r.error) for r in read("freshdesk", path, encoding)] == expected, encoding
    lines = (DATA / "zendesk.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "export.jsonl"
    path.write_bytes(lines.encode("utf-16"))
    assert [r.data and r.data["id"] for r in read("zendesk", path, "utf-16")] == [
        r.data and r.data["id"] for r in read("zendesk", DATA / "zendesk.jsonl")]
    path.write_bytes(b"\xef\xbb\xbf" + lines.encode("utf-8"))  # a BOM
    assert len(read("zendesk", path)) == 6
    path.write_bytes((DATA / "zammad.json").read_bytes().replace("Olivia".encode(), b"Oli\xff\xfevia", 1))
    with pytest.raises(InputError, match=r"line \d+, column \d+: not valid utf-8: is the encoding right"):
        read("zammad", path)


def test_messages_without_times_stay_after_the_message_before_them(tmp_path):
    articles = [{"id": 1, "ticket_id": 9, "sender": "Customer", "body": "one", "created_at": "2026-11-01T10:00:00Z"},
                {"id": 2, "ticket_id": 9, "sender": "Agent", "body": "two"},
                {"id": 3, "ticket_id": 9, "sender": "Customer", "body": "zero", "created_at": "2026-11-01T09:00:00Z"},
                {"id": 4, "ticket_id": 9, "sender": "Agent", "body": "three", "created_at": 1793529600},
                {"id": 5, "ticket_id": 8, "sender": "Customer", "body": "other ticket", "created_at": 0}]
    records = read("zammad", write(tmp_path, articles))
    assert [(r.data["conversation_id"], r.data["id"]) for r in records] == [
        ("9", "3"), ("9", "1"), ("9", "2"), ("9", "4"), ("8", "5")]
    assert records[2].data["created_at"] is None and records[3].data["created_at"] == "2026-11-01T10:40:00Z"
    assert records[4].data["created_at"] == "1970-01-01T00:00:00Z"
