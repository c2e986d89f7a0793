"""Personal-data masking measured on a labelled set (tests/data/pii_labelled.jsonl).

Scoring is per entity type, on spans from `find_pii` (the function `mask` itself uses):

* a gold entity is recalled when a found span of the same type overlaps it and the found spans
  together cover every ASCII letter and digit of it and at least 80% of its other characters
  (an address may lose a leading "香港" and still be masked, never its house number);
* a found span is correct when it overlaps a gold entity of the same type and does not run more
  than a few characters past it (masking must not eat the order number next to a phone number).

`pytest -s` prints the table.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from service.privacy.masking import TYPES, find_pii, mask, mask_spans

DATA = Path(__file__).parent / "data" / "pii_labelled.jsonl"
KEEP = ("care@yuexiang.example", "400-820-1234")  # what drafting passes: the company's own contact
MIN_RECALL, MIN_PRECISION = 0.99, 0.98


def _load() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


ITEMS = _load()


def _covered(gold: dict, found: list[tuple[str, int, int]]) -> bool:
    cover = set()
    for _, s, e in found:
        cover.update(range(max(s, gold["start"]), min(e, gold["end"])))
    key = [i for i in range(gold["start"], gold["end"]) if re.match(r"[0-9A-Za-z]", gold["value"][i - gold["start"]])]
    rest = [i for i in range(gold["start"], gold["end"]) if not gold["value"][i - gold["start"]].isspace()]
    return all(i in cover for i in key) and sum(i in cover for i in rest) >= 0.8 * len(rest)


def _overrun(span: tuple[str, int, int], golds: list[dict]) -> int:
    """Characters of a found span that lie outside every gold entity of its type."""
    _, s, e = span
    inside = set()
    for g in golds:
        inside.update(range(max(s, g["start"]), min(e, g["end"])))
    return (e - s) - len(inside)


def score(items: list[dict]) -> tuple[dict[str, Counter], list[str]]:
    """Per type: gold, recalled, found, correct counts; and a line per miss or false alarm."""
    stats = {t: Counter() for t in TYPES}
    problems = []
    for it in items:
        found = find_pii(it["text"], keep=KEEP)
        for g in it["entities"]:
            st = stats[g["type"]]
            st["gold"] += 1
            same = [f for f in found if f[0] == g["type"] and f[1] < g["end"] and g["start"] < f[2]]
            if same and _covered(g, found):
                st["recalled"] += 1
            else:
                problems.append(f"missed {g['type']} {g['value']!r} in {it['id']}: {it['text']} -> {found}")
        for f in found:
            st = stats[f[0]]
            st["found"] += 1
            golds = [g for g in it["entities"] if g["type"] == f[0] and g["start"] < f[2] and f[1] < g["end"]]
            if golds and _overrun(f, golds) <= 3:
                st["correct"] += 1
            else:
                problems.append(f"false {f[0]} {it['text'][f[1]:f[2]]!r} in {it['id']}: {it['text']}")
    return stats, problems


def _table(stats: dict[str, Counter]) -> str:
    rows = [f"{'type':<9}{'gold':>6}{'recalled':>10}{'recall':>8}{'found':>7}{'correct':>9}{'precision':>11}"]
    for t, st in stats.items():
        r = st["recalled"] / st["gold"] if st["gold"] else 1.0
        p = st["correct"] / st["found"] if st["found"] else 1.0
        rows.append(f"{t:<9}{st['gold']:>6}{st['recalled']:>10}{r:>8.3f}{st['found']:>7}{st['correct']:>9}{p:>11.3f}")
    return "\n".join(rows)


# --------------------------------------------------------------------------- the labelled set

def test_the_labelled_set_is_well_formed():
    assert len(ITEMS) >= 240 and len({it["id"] for it in ITEMS}) == len(ITEMS)
    per_type = Counter(e["type"] for it in ITEMS for e in it["entities"])
    # (bank accounts and chat ids, the two newest types, are measured on the independent
    # tests/data/pii_heldout2.jsonl: see bench/mask_heldout.py)
    assert set(per_type) == set(TYPES) - {"ACCOUNT", "SOCIAL", "NUMBER"} and min(per_type.values()) >= 30, per_type
    assert sum(1 for it in ITEMS if not it["entities"]) >= 60
    assert {it["lang"] for it in ITEMS} == {"zh-Hans", "zh-Hant", "en"}
    for it in ITEMS:
        assert len(it["entities"]) <= 3, it["id"]
        spans = sorted((e["start"], e["end"]) for e in it["entities"])
        assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:])), it["id"]
        for e in it["entities"]:
            assert it["text"][e["start"]:e["end"]] == e["value"], it["id"]


def test_precision_and_recall_per_type():
    stats, problems = score(ITEMS)
    print("\n" + _table(stats))
    for line in problems:
        print("  " + line)
    for t, st in stats.items():
        if st["gold"]:
            assert st["recalled"] / st["gold"] >= MIN_RECALL, (t, problems)
        if st["found"]:  # a type the set does not hold must not be found either
            assert st["correct"] / st["found"] >= MIN_PRECISION, (t, problems)


def test_no_hard_negative_is_masked():
    negatives = [it for it in ITEMS if not it["entities"]]
    masked = [(it["id"], it["text"], find_pii(it["text"], keep=KEEP)) for it in negatives]
    assert [m for m in masked if m[2]] == []
    assert all(mask(it["text"], keep=KEEP) == it["text"] for it in negatives)


def test_mask_removes_every_labelled_value():
    for it in ITEMS:
        out = mask(it["text"], keep=KEEP)
        for e in it["entities"]:
            digits = re.sub(r"[^0-9A-Za-z]", "", e["value"])
            if len(digits) >= 6:  # numbers, ids, emails: no trace of the value is left
                assert digits not in re.sub(r"[^0-9A-Za-z]", "", out), (it["id"], out)
        assert out.count("[") - it["text"].count("[") == len(find_pii(it["text"], keep=KEEP))


# --------------------------------------------------------------------------- the tricky formats

@pytest.mark.parametrize("text,value,kind", [
    ("请打 +86-138-1234-5678 找我", "+86-138-1234-5678", "PHONE"),
    ("手机 0086 139 8765 4321", "0086 139 8765 4321", "PHONE"),
    ("手機 +886-9-1234-5678", "+886-9-1234-5678", "PHONE"),
    ("WhatsApp +852 9123 4567 please", "+852 9123 4567", "PHONE"),
    ("電話 6123 4567，晚上打", "6123 4567", "PHONE"),  # a bare Hong Kong number, labelled
    ("Call (415) 555-0134 after 6", "(415) 555-0134", "PHONE"),
    ("我的手机１３９８７６５４３２１", "１３９８７６５４３２１", "PHONE"),  # typed full-width
    ("卡号 6222 0212 3456 7891", "6222 0212 3456 7891", "CARD"),  # Luhn fails, labelled as a card
    ("身份证号 11010519491231002x", "11010519491231002x", "ID"),
    ("ID number 110105 19491231 002X", "110105 19491231 002X", "ID"),
    ("护照号码：EA1234567", "EA1234567", "PASSPORT"),
    ("寄到新北市板橋區文化路一段188巷3弄5號2樓，謝謝", "新北市板橋區文化路一段188巷3弄5號2樓", "ADDRESS"),
    ("地址北京市朝阳区建国路88号3单元502室 电话13812345678", "北京市朝阳区建国路88号3单元502室", "ADDRESS"),
    ("Ship to 221B Baker Street, London NW1 6XE. Thanks!", "221B Baker Street, London NW1 6XE", "ADDRESS"),
])
def test_tricky_values_are_found_whole(text, value, kind):
    s = text.index(value)
    assert (kind, s, s + len(value)) in find_pii(text)


@pytest.mark.parametrize("text", [
    "订单号 110105194912310021 还没到",       # shaped like an ID, checksum fails, labelled as an order
    "订单编号 2026110512345678903",            # 19 digits passing Luhn, but an order number
    "交易流水号 6222021234567890",             # Luhn passes; a transaction id is not a card
    "热线 400-820-1234 或 800 820 1234",       # company hotlines
    "Call 1-800-555-0199 (toll free)",
    "运单SF1234567890123，YT9876543210987",
    "我知道8号到货，11月8号下单的，地铁3号线附近",
    "iPhone 15 Pro, SKU-20331, 2026-11-05 14:30:05, ¥1,299.00, ts 1762331405123",
    "IMEI 356938035643809",                    # 15 digits passing Luhn
    "我在杭州市西湖区，能送到吗",                # a district is not an address
])
def test_look_alikes_are_left_alone(text):
    assert find_pii(text, keep=KEEP) == [] and mask(text, keep=KEEP) == text


def test_mask_uses_find_pii_and_keeps_the_tag_format():
    text = "订单20261105123，手机138 1234 5678，邮箱care@yuexiang.example，卡号4111-1111-1111-1111"
    assert mask(text, keep=KEEP) == ("订单20261105123，手机[PHONE …5678]，邮箱care@yuexiang.example，"
                                     "卡号[CARD …1111]")
    assert mask("wang.fang88@example.com") == "[EMAIL …ecom]"


def test_a_value_after_a_json_escape_is_still_found():
    dumped = json.dumps({"text": "身份证:\n11010519491231002X"}, ensure_ascii=False)
    assert "11010519491231002X" not in mask(dumped) and json.loads(mask(dumped))["text"].endswith("[ID …002X]")


def test_mask_spans_moves_offsets_around_masked_values():
    reply = "电话13812345678。我们将在24小时内补发。"
    s = reply.index("24小时")
    out, moved = mask_spans(reply, [{"start": s, "end": s + 4, "rule": "x"}])
    assert out == "电话[PHONE …5678]。我们将在24小时内补发。" and out[moved[0]["start"]:moved[0]["end"]] == "24小时"


# ------------------------------------------------- kinds that the second held-out set showed
# (tests/data/pii_heldout2.jsonl: its misses were grouped by kind and a recogniser written for
# each kind; the examples below are new ones, not that set's text)

def _found_whole(text: str, value: str, kind: str) -> bool:
    s = text.index(value)
    return (kind, s, s + len(value)) in find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("我手机是139.8765.4321，下午打", "139.8765.4321"),                  # groups split by dots
    ("手機 0933.456.789 找我", "0933.456.789"),
    ("联系电话：1 5 9 0 1 2 3 4 5 6 7，晚上打", "1 5 9 0 1 2 3 4 5 6 7"),  # one digit at a time
    ("you can reach me at 0 7 9 1 1 1 2 3 4 5 6", "0 7 9 1 1 1 2 3 4 5 6"),
    ("Tel 9 1 2 3 4 5 6 7 (HK)", "9 1 2 3 4 5 6 7"),
    ("請打 852 6234 9876 搵我", "852 6234 9876"),                        # a country code without "+"
    ("回電號碼 886-933-456-789，謝謝", "886-933-456-789"),
    ("我嘅手機係 6234 9876，唔該", "6234 9876"),                          # Cantonese "is"
    ("我個號碼係51239876，收到請回覆", "51239876"),
    ("my number is 5678 1234 if you need it", "5678 1234"),
    ("5432 8765 係我屋企電話，夜晚先有人", "5432 8765"),                  # the cue after the number
    ("有咩事打返俾我 9123 8765", "9123 8765"),
    ("mobile 07911 123 456, evenings only", "07911 123 456"),            # UK mobile, 5-3-3
    ("苗栗老家 (037) 351-234，晚上有人", "(037) 351-234"),                 # Taiwan landline, six-digit local
    ("(0836)22-345 是馬祖的家", "(0836)22-345"),
])
def test_phone_kinds(text, value):
    assert _found_whole(text, value, "PHONE"), find_pii(text)


@pytest.mark.parametrize("text", [
    "訂單號 9123 4567，電話打唔通",                  # labelled as an order
    "客服熱線 2345 6789 成日打唔通，我手機冇電",        # a hotline
    "hotline 3456 7890, call any time",
    "case CS-00987654 is still open, I phoned twice",  # "00" inside a code is no "+"
    "phone support said order CT-91234567 ships today",
    "手機壞咗，20240917 買嘅",                        # a date
    "我的电话费 ¥ 9123 4567 太贵了",                   # an amount
    "電話入面講嘅退款係 2345 6789 蚊？唔啱啩",
    "订单号 852 6234 9876",
    "the 8 steps: 1 2 3 4 5 6 7 8",
])
def test_phone_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text,value", [
    ("证件类型：港澳通行证，证件号码C61827354，请核对", "C61827354"),   # the label earlier in the sentence
    ("我係澳門居民，證件號M20394857，訂唔到車飛", "M20394857"),
    ("My Home Return Permit number is H55667788.", "H55667788"),      # capitalised, in English
    ("Exit-Entry Permit for Hong Kong and Macau: C98765432", "C98765432"),
    ("台胞證號碼 07654321，訂房一直失敗", "07654321"),                 # Taiwan compatriot permit
])
def test_travel_permit_kinds(text, value):
    assert _found_whole(text, value, "ID"), find_pii(text)


@pytest.mark.parametrize("text", [
    "港澳通行证办好了，订单号C12345678还没出票",      # an order number after the permit
    "my permit expired. C12345678 is my booking",     # another sentence
    "台胞證有效期到20301231，訂單 12345678 要取消嗎",  # a date, an order
])
def test_travel_permit_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text,value", [
    ("请发到chenmei（at）163（dot）com，谢谢", "chenmei（at）163（dot）com"),  # obfuscated, touching Chinese
    ("郵件寄去hoyin#yahoo.com.hk就得", "hoyin#yahoo.com.hk"),
    ("Write to p.walsh at fastmail dot com.", "p.walsh at fastmail dot com"),  # a full stop after it
    ("reply to s.ito at docomo.ne.jp.", "s.ito at docomo.ne.jp"),
    ("it is anna dot schmidt at web dot de, all spelled out", "anna dot schmidt at web dot de"),
    ("Mail: françois.lefèvre@orange.fr please", "françois.lefèvre@orange.fr"),  # accented local part
])
def test_email_kinds(text, value):
    assert _found_whole(text, value, "EMAIL"), find_pii(text)


@pytest.mark.parametrize("text,spans", [
    # a role address is the company's desk, not a person ...
    ("你们客服邮箱support@shop.example一直没回", []),
    ("I wrote to billing@telco.example and to customer-service@telco.example", []),
    # ... but at a public mailbox provider, or with a name in it, it is someone's
    ("my address is support@gmail.com", [("EMAIL", 14, 31)]),
    ("抄送 li.sales@acme.example", [("EMAIL", 3, 24)]),
    # a non-ASCII address ends where its domain does, not in the Chinese after it
    ("邮箱wu.ming@mail.example三天没回复，何美玲@例子.香港", [("EMAIL", 2, 22), ("EMAIL", 28, 37)]),
    # "at <word>. <Word>" is the end of a sentence, not a domain
    ("Account 55012377 at Harrods. The rest was paid", []),
])
def test_email_look_alikes(text, spans):
    assert [s for s in find_pii(text) if s[0] == "EMAIL"] == spans


@pytest.mark.parametrize("text,value", [
    # house, lane and room numbers in Chinese numerals of any length
    ("寄到杭州市拱墅区莫干山路一千二百三十四号，谢谢", "杭州市拱墅区莫干山路一千二百三十四号"),
    ("地址：廣州市天河區體育西路三百一十五號二十一樓", "廣州市天河區體育西路三百一十五號二十一樓"),
    ("台北市信義區松仁路一百巷五弄三號四樓之一", "台北市信義區松仁路一百巷五弄三號四樓之一"),
    # a flat number left bare at the end, in Chinese digits; 附 numbers, phases, entrances
    ("收件：长沙市岳麓区麓山南路九十二号八栋七零三，打电话", "长沙市岳麓区麓山南路九十二号八栋七零三"),
    ("西安市雁塔区小寨东路五号附二号三单元九楼", "西安市雁塔区小寨东路五号附二号三单元九楼"),
    ("合肥市蜀山区长江西路六十号翡翠湖畔二期十一栋二单元一零零一", "合肥市蜀山区长江西路六十号翡翠湖畔二期十一栋二单元一零零一"),
    ("沈阳市和平区南京北路二十号小区三号楼二门五零二", "沈阳市和平区南京北路二十号小区三号楼二门五零二"),
    # a road section named by its direction, a block (区) in an estate
    ("寄到西安市雁塔区朱雀大街南段10号3栋2单元1501室", "西安市雁塔区朱雀大街南段10号3栋2单元1501室"),
    ("成都市高新区天府大道中段666号希顿国际广场C区3栋1205", "成都市高新区天府大道中段666号希顿国际广场C区3栋1205"),
    # Hong Kong flats: an estate without a suffix, block, floor and a flat letter
    ("我住喺將軍澳新都城二期三座二十五樓D室，搵唔到可以打電話", "將軍澳新都城二期三座二十五樓D室"),
    ("送去鰂魚涌太古城海景花園五座十二樓B", "鰂魚涌太古城海景花園五座十二樓B"),
])
def test_chinese_address_kinds(text, value):
    assert _found_whole(text, value, "ADDRESS"), [(k, text[s:e]) for k, s, e in find_pii(text)]


@pytest.mark.parametrize("text", [
    "我家住三楼，电梯坏了",
    "请在三月五号前回复，第二期三座的事下次再说",
    "这个月三期房贷还没扣",
    "我知道八号到货，三号线附近",
])
def test_chinese_address_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text,value", [
    # British street types
    ("I'm at 7 Birch Grove, Leeds LS6 2AB now", "7 Birch Grove, Leeds LS6 2AB"),
    ("post it to 22 Canal Wharf, Apartment 5, Bristol BS1 6AB", "22 Canal Wharf, Apartment 5, Bristol BS1 6AB"),
    # Taiwan and mainland addresses in English: number first, lanes and sections, districts
    ("Send it to 3F., No. 5, Alley 2, Lane 10, Heping E. Rd., Sec. 1, Da'an Dist., Taipei City 106 please",
     "3F., No. 5, Alley 2, Lane 10, Heping E. Rd., Sec. 1, Da'an Dist., Taipei City 106"),
    ("My place: No. 12 Jianshe Road, Haidian District, Beijing.", "No. 12 Jianshe Road, Haidian District, Beijing"),
    # several units before the street, several places after it
    ("Deliver to Room 2103, 21/F, Tower 1, 33 Harbour Road, Wan Chai, Hong Kong.",
     "Room 2103, 21/F, Tower 1, 33 Harbour Road, Wan Chai, Hong Kong"),
    # a Hong Kong flat with no street: flat, floor, block, estate
    ("Flat B, 12/F, Block 3, Taikoo Shing, Hong Kong is where I live", "Flat B, 12/F, Block 3, Taikoo Shing, Hong Kong"),
])
def test_english_address_kinds(text, value):
    assert _found_whole(text, value, "ADDRESS"), [(k, text[s:e]) for k, s, e in find_pii(text)]


@pytest.mark.parametrize("text", [
    "No. 5 on the list is the Main Road map",
    "Room 5, Floor 3, Thanks for the help",
    "The Tower 2 model and Block 3 kit arrived",
    "I bought 3F and 4F models of the Rose Road kit",
])
def test_english_address_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


def test_an_english_address_stops_at_the_end_of_its_sentence():
    text = "New address: 5984 High Road, Apt. 1, London. Phone me later."
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("ADDRESS", "5984 High Road, Apt. 1, London")]


@pytest.mark.parametrize("text,value", [
    ("Customer confirmed passport 612 908 334 at the desk", "612 908 334"),  # US/UK nine digits, 3-3-3
    ("the passport I used for the booking was 987-654-321 (UK)", "987-654-321"),  # a few words on
    ("護照號碼 312 456 789，請核對", "312 456 789"),
])
def test_passport_kinds(text, value):
    assert _found_whole(text, value, "PASSPORT"), find_pii(text)


@pytest.mark.parametrize("text", [
    "passport expired, order number 12345678 please",   # an order number after the word
    "My passport photo was taken on 20240101",          # a date
])
def test_passport_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text,value", [
    ("you can find me on WeChat, my WeChat ID is jiayi_lin88", "jiayi_lin88"),   # English phrasing
    ("Ping me on WeChat (ID: tom-li-sz) after work", "tom-li-sz"),
    ("my QQ number is 583920174, add me", "583920174"),
    ("LINE ID: meimei_tw", "meimei_tw"),
    ("Telegram @li_ming88 works best", "@li_ming88"),
])
def test_chat_id_kinds(text, value):
    assert _found_whole(text, value, "SOCIAL"), find_pii(text)


@pytest.mark.parametrize("text", [
    "my WeChat is down today",       # a word after the app's name is no id without a label
    "add me on WeChat today",
    "My QQ number is private",
])
def test_chat_id_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text,value,kind", [
    ("請轉去我匯豐戶口，戶口號碼 004-123456-838，唔該", "004-123456-838", "ACCOUNT"),  # Hong Kong 戶口
    ("my savings account number is 55120934, sort code 20-00-00", "55120934", "ACCOUNT"),  # "is" after the label
    # 15-19 digits under an account label: an account unless it passes Luhn (then it is a card's)
    ("收款账户：6212 3400 5566 7788 991，开户行工行", "6212 3400 5566 7788 991", "ACCOUNT"),
    ("收款账户：6228 4800 1234 5671，开户行农行", "6228 4800 1234 5671", "CARD"),
])
def test_bank_account_kinds(text, value, kind):
    assert _found_whole(text, value, kind), find_pii(text)


# ---------------------------------------------------------------- values after their label
# (the kinds set 4 showed; examples written here, none is the set's text)
def _masked_whole(text: str, value: str) -> bool:
    """The whole value lies inside spans find_pii returns (of any type)."""
    s = text.index(value)
    spans = find_pii(text)
    return all(any(a <= i < b for _, a, b in spans) for i in range(s, s + len(value)) if not text[i].isspace())


@pytest.mark.parametrize("text,value", [
    ("Discord: moonfox#2231 if you need me", "moonfox#2231"),  # a platform's id with its tag
    ("PTT ID: rainyday88，我在板上問過", "rainyday88"),
    ("我蝦皮帳號是 amy_shop_0417", "amy_shop_0417"),
    ("淘宝账号 tb_55201934 昵称小雨", "tb_55201934"),
    ("钉钉号 ding_chen2024，采购单找我", "ding_chen2024"),
    ("賴：wen_ting_520 比較快", "wen_ting_520"),
    ("Cash App $mikeshop please", "$mikeshop"),
    ("username on your app: rosa_p_1988 — it is locked", "rosa_p_1988"),
    ("小红书 @甜甜圈日记 那篇是我发的", "@甜甜圈日记"),
    ("V信LiuM_0915，加的时候备注一下", "LiuM_0915"),
    ("find me on Threads @ana.bakes.nyc", "@ana.bakes.nyc"),
    ("my login on your website is grey_heron_84, the reset email never came", "grey_heron_84"),  # "… is"
    ("拼多多账号 小熊饼干de店，订单都在这个号上", "小熊饼干de店"),  # a login in Chinese and Latin letters
    ("旺旺：海边的猫咪1987 就是我本人", "海边的猫咪1987"),
    ("登入名係chan_wing_07，改唔到密碼", "chan_wing_07"),  # a login label of its own
    ("我的账号liuyang，一直提示异常", "liuyang"),  # letters only, straight after a Chinese login label
    ("could you look at my account moonlit_otter_5 please", "moonlit_otter_5"),
])
def test_ids_after_a_platform_name(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "LINE is down again on my phone",  # an app named, no id after it
    "the WeChat mini program keeps crashing",
    "I wrote =@SUM(B2:B9) in the sheet",  # a formula, not a handle
    "你们的抖音直播间说有优惠",
])
def test_a_platform_named_without_an_id_masks_nothing(text):
    assert [s for s in find_pii(text) if s[0] == "SOCIAL"] == [], find_pii(text)


@pytest.mark.parametrize("text", [
    "账号被盗了3次，密码也改不回来",  # the words after a login label are not a login
    "帳號後四碼5521，麻煩幫我查",  # a number's last digits, said
    "请问用户ID在哪里看",
    "账号 iphone 登不上",  # a Latin word after a space is not the login
    "my account was charged twice",
])
def test_words_after_a_login_label_are_not_a_mixed_login(text):
    assert [s for s in find_pii(text) if s[0] == "SOCIAL"] == [], find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("my profile is facebook.com/lin.wei.5521 if it helps", "facebook.com/lin.wei.5521"),
    ("https://www.linkedin.com/in/tom-baker-7a2b19", "https://www.linkedin.com/in/tom-baker-7a2b19"),
    ("I posted as u/tired_parent_77 on reddit", "u/tired_parent_77"),
])
def test_profile_links_are_social_ids(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("Canadian PR card no. RA4410927 for the form", "RA4410927"),
    ("NY driver license 518 223 907, pickup tomorrow", "518 223 907"),
    ("UK driving licence number MORGA753116SM9IJ", "MORGA753116SM9IJ"),
    ("BRP number ZX1234567 for the landlord", "ZX1234567"),
    ("NINO QQ 12 34 56 C for payroll", "QQ 12 34 56 C"),
    ("Macao ID 5/123456/7 please", "5/123456/7"),
    ("身分證 B22030\n4718 按到換行", "B22030\n4718"),
    ("我是澳門居民，有證件嗎？號碼M33219087", "M33219087"),
])
def test_ids_and_permits_after_their_label(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("sort code 40-11-62, account 51239876", "40-11-62"),
    ("Acc: 77120934 Sort: 30-90-89", "77120934"),
    ("退款匯到 玉山 0808-9812-3345-61 戶名王小明", "0808-9812-3345-61"),
    ("HSBC 004-552193-882 is my account", "004-552193-882"),
])
def test_bank_accounts_after_a_label_or_a_banks_name(text, value):
    assert _masked_whole(text, value), find_pii(text)


# A member's or a loyalty scheme's number names the customer as an account's does: masked,
# whatever its shape (docs/security.md).
@pytest.mark.parametrize("text,value", [
    ("KrisFlyer number 8812 0394 57, the miles are missing", "8812 0394 57"),
    ("Skywards member no. EK4410 2291 for the upgrade", "EK4410 2291"),
    ("会员号 VIP 7730 2215 积分没到账", "7730 2215"),
    ("我的會員卡號 HM20881734，點數少了", "HM20881734"),
    ("loyalty card 5Q8W2071, the discount did not apply", "5Q8W2071"),
])
def test_member_numbers_are_masked(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("手机 138—2211—4567 白天在", "138—2211—4567"),  # em dashes
    ("電話0912\n-334-556", "0912\n-334-556"),  # a line break
    ("call me back on six one seven, five five five, zero one four two", "six one seven, five five five, zero one four two"),
    ("有事打6123-4876", "6123-4876"),  # Hong Kong, after 打
])
def test_phones_by_their_digits(text, value):
    assert _masked_whole(text, value), find_pii(text)


# A phone number sent in pieces, with other words or lines between them: each piece is masked
# as a phone, since together they make one.
@pytest.mark.parametrize("text,pieces", [
    ("手机号我分开发：\n139\n等一下\n2207 6614", ["139", "2207 6614"]),
    ("電話前四碼0933，中間三位 512，最後 408", ["0933", "512", "408"]),
    ("reach me on 07911 42\nsorry, then 3907", ["07911 42", "3907"]),
    ("my cell is 646 (wait)\n209\nthen 7731", ["646", "209", "7731"]),
])
def test_a_phone_sent_in_pieces_is_masked_piece_by_piece(text, pieces):
    phones = [text[s:e] for kind, s, e in find_pii(text) if kind == "PHONE"]
    assert phones == pieces, find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("电话我念给你：一五九，然后是零二一七，最后是八八四六", "一五九，然后是零二一七，最后是八八四六"),
])
def test_a_number_read_out_in_pieces_is_masked_whole(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,pieces,kind", [
    ("[用户 09:14] 手机号改一下\n[用户 09:14] 新的 186\n[用户 09:15] 0451\n[用户 09:15] 7723", ["186", "0451", "7723"], "PHONE"),
    ("手机号码：137 还有 2046 还有 8851", ["137", "2046", "8851"], "PHONE"),
    ("area code first: +61\nthen 412 555 019", ["+61", "412 555 019"], "PHONE"),
    ("card number, one group a line:\n4539\n1488\n0343\n6467", ["4539", "1488", "0343", "6467"], "CARD"),
])
def test_a_value_sent_in_pieces_over_chat_lines_is_masked_piece_by_piece(text, pieces, kind):
    found = [text[s:e] for k, s, e in find_pii(text) if k == kind]
    assert found == pieces, find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("送到 nineteen oh four Cedar Lane, apartment two B, Portland", "nineteen oh four Cedar Lane, apartment two B, Portland"),
    ("it's sixty-one Rose Gardens, flat three, Bristol", "sixty-one Rose Gardens, flat three, Bristol"),
])
def test_an_address_read_out_in_words_is_masked(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("email: olga.smirnova@яндекс.рф", "olga.smirnova@яндекс.рф"),
    ("郵箱 chenjia【at】126.com 收一下", "chenjia【at】126.com"),
    ("加薇 xiaoqi_0520 发图", "xiaoqi_0520"),
    ("Phone on file changed | Acct: MLOPEZ84 | please update", "MLOPEZ84"),  # a login after "acct"
])
def test_emails_in_other_scripts_and_ids_after_a_dodged_label(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "打了5120 7788客服熱線一直沒人接",  # the company's number, named after it
    "I waited forty minutes on Pine Street for the driver",  # a number word, a street: no house number
])
def test_not_personal_after_all(text):
    assert find_pii(text) == [], find_pii(text)


@pytest.mark.parametrize("text", [
    "手机买了两台，一台3999一台4999，总共8998",  # prices on one line, after a phone as a product
    "电话打了12次，等了45分钟，还是没人接",
    "call me after 3 or 4, I called 2 times",
])
def test_numbers_after_a_phone_word_are_not_phone_pieces(text):
    assert [s for s in find_pii(text) if s[0] == "PHONE"] == [], find_pii(text)


@pytest.mark.parametrize("text", [
    "tracking 9400 1112 0206 1882 3391 04 (USPS)",  # a phone-shaped piece of a longer number
    "free from a landline: 0800 028 1234",
    "統一編號53912876（公司）開發票",
    "我是在2026-11-05 14:30下单的iPhone 15 Pro",  # a date and "iPhone" is no phone word
])
def test_numbers_that_are_not_a_persons_phone(text):
    assert [s for s in find_pii(text) if s[0] == "PHONE"] == [], find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("address is RR 3 Box 92, Pikeville, KY 41501 — the driver knows", "RR 3 Box 92, Pikeville, KY 41501"),
    ("address Rua do Campo, No. 12, Edf. Wa Lok, 3 andar B, Macau", "Rua do Campo, No. 12, Edf. Wa Lok, 3 andar B, Macau"),
    ("ship it to 1150 Rue Saint-Denis, Apt 3, Montréal, QC H2X 3J6", "1150 Rue Saint-Denis, Apt 3, Montréal, QC H2X 3J6"),
    ("寄到新竹縣竹北市光明十一路二段66號5樓，謝謝", "新竹縣竹北市光明十一路二段66號5樓"),  # a road named by a number
    ("取件地址：香港仔石排灣邨碧雲樓12樓1203室", "香港仔石排灣邨碧雲樓12樓1203室"),  # a public estate (邨)
    ("地址杭州市西湖区文三路 478 号，放门卫", "杭州市西湖区文三路 478 号"),  # no colon; spaces round the number
    ("Postal: 4/22 Beach Rd, Bondi NSW 2026", "4/22 Beach Rd, Bondi NSW 2026"),  # a unit/number
    ("收货地址：广州市天河区 体育西路 华师大厦 12楼B室，周末不在", "广州市天河区 体育西路 华师大厦 12楼B室"),  # spaces between parts
    ("can you switch the delivery to Lot 7, Jalan Mawar 3, 47301 Petaling Jaya", "Lot 7, Jalan Mawar 3, 47301 Petaling Jaya"),
])
def test_addresses_after_their_label_in_any_format(text, value):
    assert _masked_whole(text, value), find_pii(text)


def test_a_place_after_delivery_to_is_not_an_address():
    assert find_pii("the delivery to my office was late by 3 days") == []


@pytest.mark.parametrize("text,value", [
    ("電子發票載具 /Q7W+2K9 沒有歸戶", "/Q7W+2K9"),  # Taiwan's phone barcode carrier names its owner
    ("驾驶证档案编号 440300219876，过户要用", "440300219876"),
    ("Ph: 0822 413 9921 / 99871 20433 (after 6pm)", "99871 20433"),  # a second number after a phone
    ("A/c no 30218877410592 at the Andheri branch", "30218877410592"),
    ("居留許可號碼 QK7765012 到期了", "QK7765012"),
    ("加我绿泡泡 xiaolu_0815 发图", "xiaolu_0815"),
    ("Consumer no 5512093, the meter reading is wrong", "5512093"),
    ("客人：一 三 八，零 零 一 三，八 八 六 六", "一 三 八，零 零 一 三，八 八 六 六"),  # read digit by digit, with pauses
])
def test_more_personal_numbers(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("the app logs me out every time, user mira_k_88", "mira_k_88"),  # an English login label
    ("抽了80次都没出 UID204418873", "204418873"),  # a number straight after its label
    ("他让我加 wxid_p4n7r2q8z1 私聊", "wxid_p4n7r2q8z1"),  # a WeChat id by its shape
    ("my gamertag is NightOwlTrader and it shows banned", "NightOwlTrader"),  # mixed case: an id
    ("學號 B10923045 的成績單", "B10923045"),
    ("病历号 0002931756 挂周五的号", "0002931756"),
    ("Medicare card 2953 81742 1 expired", "2953 81742 1"),
    ("please mail the form to 8 Jalan Kenari 2, 81300 Skudai, Johor", "8 Jalan Kenari 2, 81300 Skudai, Johor"),
    ("we moved to Prinsengracht 88-III, 1015 DZ Amsterdam last month", "Prinsengracht 88-III, 1015 DZ Amsterdam"),
    ("pizza never came addres 77 w division st apt 4 phone 3125550188", "77 w division st apt 4"),
    ("用户：我的电话是幺三八\n用户：零零二一\n用户：四四五六", "幺三八\n用户：零零二一\n用户：四四五六"),  # read out over chat lines
])
def test_set_nine_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "the user interface is broken",
    "we moved to a new office in 2023",
    "料號WX330-TW-BK 的配件",  # "WX" of a part number is not WeChat
    "用户：买了两个\n用户：三个都坏了",
    "Remedies for this scenario: voucher, freeze_account, security_investigation",  # an identifier, not a label
])
def test_set_nine_look_alikes_are_left(text):
    assert find_pii(text) == [], find_pii(text)



@pytest.mark.parametrize("text,value", [
    ("我住 新界葵涌 石蔭邨 安逸樓 12樓 1207 室 平日冇人", "新界葵涌 石蔭邨 安逸樓 12樓 1207 室"),  # spaces between its parts
    ("寄到我公司，台中市西屯區 市政路 386巷 9號 12樓", "台中市西屯區 市政路 386巷 9號 12樓"),
    ("我住在成都市武侯区 桐梓林 紫荆西路8号 2栋3单元", "成都市武侯区 桐梓林 紫荆西路8号 2栋3单元"),
])
def test_chinese_addresses_with_spaces(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "IFSC SBIN0004512, branch Andheri",  # a bank's branch code is the bank's
    "我住的地方没有信号",
    "我买了两三个，一两天就坏了",
])
def test_bank_codes_and_everyday_words_are_left(text):
    assert find_pii(text) == [], find_pii(text)




@pytest.mark.parametrize("text,value", [
    ("邮箱lili艾特126点com", "lili艾特126点com"),
    ("mail me: chen.yu@gmail。com", "chen.yu@gmail。com"),
    ("信箱 amy_lin 小老鼠 gmail.com", "amy_lin 小老鼠 gmail.com"),
    ("new address: аnna.k@outlооk.com", "аnna.k@outlооk.com"),  # Cyrillic а and о
    ("invoice to accounts@brightleaf-studio.co.uk please", "accounts@brightleaf-studio.co.uk"),
])
def test_more_email_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


def test_a_piece_of_a_text_is_masked_as_it_reads_in_the_whole():
    from service.privacy.masking import mask_spans, mask_within
    whole = "我的QQ邮箱 5520193847@qq.com 收不到邮件"
    assert "5520193847" not in mask_within(whole, "我的QQ邮箱 5520193847@qq")
    reply = "Passport: EA 2817 365, please check"
    masked, findings = mask_spans(reply, [{"start": 0, "end": 8}])  # a finding on "Passport" alone
    assert "2817" not in masked.replace("…7365", "") and masked[findings[0]["start"]:findings[0]["end"]] == "Passport"


# kinds the tenth independent set (tests/data/pii_heldout10.jsonl) brought; the team's own
# sentences, each written anew
@pytest.mark.parametrize("text,value", [
    ("微信 l i u y a n g 8 8 加我", "l i u y a n g 8 8"),  # a letter at a time
    ("email: m a r k . t @ o u t l o o k . c o m thanks", "m a r k . t @ o u t l o o k . c o m"),
    ("要实拍图加我vchenxi_0520", "chenxi_0520"),  # WeChat as sellers write it
    ("v：lanlan1995 备注订单", "lanlan1995"),
    ("加V tianmi-888 私聊", "tianmi-888"),
    ("绿泡泡💚 momo_2021 找我", "momo_2021"),  # an emoji between label and id
    ("ping me at t.me/oleg_kuznetsov_k", "oleg_kuznetsov_k"),
    ("Ausweisnummer T22000129 bitte", "T22000129"),  # an id with few digits, by its own country's name
    ("codice fiscale RSSMRA80A01H501U per la fattura", "RSSMRA80A01H501U"),
    ("livraison au 8 rue du Moulin, Apt 4, 33000 Bordeaux", "8 rue du Moulin"),
])
def test_set_ten_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "we drove via the old bridge to 3 shops",
    "the server is a b c d e f in the table",  # single letters, no value
    "v: 2.3 is the version we run",
])
def test_set_ten_look_alikes_are_left(text):
    assert not [f for f in find_pii(text) if f[0] != "NUMBER"], find_pii(text)


# kinds the twelfth independent set (tests/data/pii_heldout12.jsonl) brought; the team's own
# sentences, each written anew
@pytest.mark.parametrize("text,pieces", [
    ("[买家 14:20] 137\n[买家 14:20] 2290\n[买家 14:21] 6615", ["137", "2290", "6615"]),  # no label at all
    ("[Customer] 415\n[Customer] 820\n[Customer] 7731\n[Customer] that's my cell", ["415", "820", "7731"]),
    ("[客戶] 0918\n[客戶] 552\n[客戶] 604 這樣比較安全", ["0918", "552", "604"]),
    ("[买家] 2\n[买家] 159\n[买家] 2036\n[买家] 8841", ["159", "2036", "8841"]),  # after a quantity's line
])
def test_a_phone_sent_a_few_digits_a_line_with_no_label_is_masked(text, pieces):
    assert [text[s:e] for k, s, e in find_pii(text) if k == "PHONE"] == pieces, find_pii(text)


@pytest.mark.parametrize("text", [
    "[买家] 2\n[买家] 3\n[买家] 5",  # quantities
    "[Customer] 120\n[Customer] 450\n[Customer] which size fits",  # not a phone's length
])
def test_numbers_a_line_that_are_no_phone_are_left(text):
    assert not [f for f in find_pii(text) if f[0] == "PHONE"], find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("重置链接 https://id.example.com/reset?user=wu.fang%40126.com&k=3", "wu.fang%40126.com"),  # "@" as %40
    ("我的手机 幺5八3七6二零9四一", "幺5八3七6二零9四一"),  # digits among numerals
    ("电话 139 二七四零 5518", "139 二七四零 5518"),
    ("联系电话 壹叁捌 陆贰零柒 肆玖伍壹", "壹叁捌 陆贰零柒 肆玖伍壹"),  # capital numerals
    ("Deliver to:\n88 Harbor Rd\nPortland, ME 04101", "Portland, ME 04101"),  # the town on the next line
    ("Flat 4, 21 Mill Lane\nLeeds LS6 2BN", "Leeds LS6 2BN"),
    ("id,name,address\n7,Ann Lee,90 Ocean Dr, Miami, FL 33139", "90 Ocean Dr, Miami, FL 33139"),  # a CSV field
    ("➕V xiaoyu_0311 拿图", "xiaoyu_0311"),  # WeChat labels with a symbol in them
    ("v❤ mei-le_22 备注", "mei-le_22"),
    ("kik: rob_t2000", "rob_t2000"),
])
def test_set_twelve_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


def test_an_amount_before_a_street_word_is_not_an_address():
    assert not [f for f in find_pii("we paid $1,250 Main St rent last month") if f[0] == "ADDRESS"]


@pytest.mark.parametrize("text,value", [
    ("line/telegram both li_wen_07 找我", "li_wen_07"),  # several apps named before one handle
    ("viber too: daria.k88", "daria.k88"),
    ("登录用户 chen_lu2019 进不去了", "chen_lu2019"),  # a login after its label
    ("username: kellyb please reset it", "kellyb"),
    ("acct: gpark / phone on file", "gpark"),  # a bare word standing alone after "acct:"
    ("暱稱：阿豪打球去 被盜用了", "阿豪打球去"),  # a Chinese nickname
    ("my page https://forum.example.org/members/tina_w77 got locked", "tina_w77"),
    ("[买家] 广州市天河区体育东路\n[买家] 118号财富广场2506", "118号财富广场2506"),  # road and number split
    ("refund to account\n6222\n0210\n8833\n1047", "8833"),  # one group per line
])
def test_set_twelve_follow_up_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text,word", [
    ("refund to my account: sort code 20-11-04 please", "sort"),  # said of the account, not a login
    ("I'm the account holder. Can you check?", "holder"),
    ("Account no. is on the bill", "no."),
    ("open https://shop.example.com/account/reset?step=2", "reset"),  # a site's page, not a person
    ("see https://m.example.cn/member/center?from=app", "center"),
    ("昵称改不了 一直报错", "改不了"),  # said of the nickname
    ("用户名不对 登不上", "不对"),
    ("游戏账号UID 305512 充值没到", "UID"),
    ("message us on WhatsApp: https://wa.me/12025550100", "https"),
])
def test_words_after_login_and_app_labels_are_left(text, word):
    start = text.index(word)
    assert not [f for f in find_pii(text) if f[1] <= start < f[2]], find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("邮箱：zhou.min 在 163点com", "zhou.min 在 163点com"),  # 在 for "at" after an email label
    ("新地址 花蓮縣吉安鄉中山路三段二十之一號", "中山路三段二十之一號"),  # a numeral house number with 之
    ("遊戲ID：夜雨聞鈴 伺服器二區", "夜雨聞鈴"),  # a game name after its label
    ("角色名 北冥有鱼 被封号了", "北冥有鱼"),
    ("登入名稱：hoyin_chan07 鎖咗", "hoyin_chan07"),
    ("我個賬戶係 siuming_88", "siuming_88"),
    ("crashes right after I log in as dana_k_1990", "dana_k_1990"),
    ("抖音 @Zz小周在路上 私信我", "Zz小周在路上"),
    ("Instagram @lily在台北 有照片", "lily在台北"),  # a handle running on into Chinese
    ("企业微信搜 Chen-Rui-Ops 就能加", "Chen-Rui-Ops"),
    ("IBAN: DE89 3704\n0044 0532 0130 00", "0044 0532 0130 00"),  # an IBAN wrapped onto the next line
    ("ship to 88 Broadway Unit 402, Vancouver", "88 Broadway Unit 402"),  # no street word, a unit after
])
def test_set_thirteen_kinds(text, value):
    assert _masked_whole(text, value), find_pii(text)


@pytest.mark.parametrize("text", [
    "we sell 300 Dell Unit 5 docks a month",  # a count and a product, not an address
    "我在 qq 上看到的活动",  # 在 with no email label
    "客服热线 400-820-1234 一直占线",  # a company hotline is not personal data
])
def test_set_thirteen_look_alikes_are_left(text):
    assert not [f for f in find_pii(text) if f[0] in ("ADDRESS", "EMAIL", "PHONE")], find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("手机号138****8000已绑定，如非本人操作请尽快联系客服", "138****8000"),  # already masked
    ("The email on the account shows as j***@gmail.com, is that mine?", "j***@gmail.com"),
    ("腾讯会议号：582 771 903，九点准时开始", "582 771 903"),  # a meeting's number
    ("申通 773219850346612 三天没更新了是不是丢件了", "773219850346612"),  # a courier's waybill
    ("Track here: https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490", "9400111899223197428490"),
    ("Tracking URL https://www.fedex.com/fedextrack/?trknbr=773122894457 shows an exception", "773122894457"),
    ('{"ticket_id":"TK-20240618-0451","order_no":"SO88120937"}', "SO88120937"),  # a JSON key is a label
    ("門市電話 (02)2345-8876，信義店，營業到晚上十點", "(02)2345-8876"),  # a shop's own line
    ("品牌客服 kf@lemonbeauty.cn 让我直接回邮件", "kf@lemonbeauty.cn"),  # a desk's address
])
def test_what_looks_like_personal_data_but_is_not_is_left(text, value):
    """Masking an order's waybill, a meeting number or a value the helpdesk already masked hides
    what the agent and the reviewer need, and protects no one."""
    at = text.index(value)
    assert not any(s < at + len(value) and at < e for _, s, e in find_pii(text)), find_pii(text)


@pytest.mark.parametrize("text,value", [
    ("https://example.com/track?phone=13912345678", "13912345678"),  # a link's query names a phone
    ("我嘅Facebook專頁facebook.com/kitty.baking.hk 你哋點樣可以合作", "facebook.com/kitty.baking.hk"),
    ("Account 31926819, sort code 40-12-76", "40-12-76"),  # with the account number, it is the account
])
def test_personal_data_beside_those_is_still_masked(text, value):
    at = text.index(value)
    assert any(s < at + len(value) and at < e for _, s, e in find_pii(text)), find_pii(text)


# Set 15's two misses, by kind, and a label inside a name: the model's prompt lists the remedy
# "change_address (for …): 订单发货前可以修改收货地址,我们会在6小时内…", which was masked as an
# address (the word after "change_" read as a label), so the model never saw that remedy's text.
@pytest.mark.parametrize("text,value", [
    ('{"line1":"88 Orchard St","line2":"Apt 5F","city":"New York"}', "Apt 5F"),
    ("address2: Unit 12B, Springfield", "Unit 12B"),
    ("游戏ID：夜雨听风#5521 王者荣耀微信区 充值没到账", "夜雨听风#5521"),
])
def test_an_address_second_line_and_a_game_tag_are_masked(text, value):
    assert value not in mask(text), mask(text)


@pytest.mark.parametrize("text", [
    "- change_address (for inquiry, other, late_or_lost_parcel): 订单发货前可以修改收货地址,我们会在6小时内为您改好",
    "line 2: 3 items left in the cart",
])
def test_a_label_inside_a_name_or_a_numbered_line_masks_nothing(text):
    assert mask(text) == text
