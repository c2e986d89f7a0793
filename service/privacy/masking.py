"""Masking of personal data before it is stored or logged.

Recognised, in Chinese (simplified and traditional) and English text:

* ID      mainland resident ID numbers (18 digits, region + birth date + checksum, X ending; a
          15-digit legacy number or a mistyped checksum only when labelled as an ID), Taiwan
          national / resident IDs (letter + 9 digits, checksum; a bad checksum only when labelled),
          US social security numbers (123-45-6789, labelled "SSN" / "social security"), Hong Kong
          IDs, mainland travel permits (C/H/M + 8 digits) and Taiwan compatriot permits (台胞证)
          labelled anywhere earlier in their sentence
* PHONE   mainland mobiles (+86 / 0086, spaced, dashed or dotted), Taiwan 09xx and +886, Hong Kong
          +852, "852-…" / "886 …" without the "+", UK 07 mobiles, North-American "(415) 555-0134" /
          "+1 415 555 0134", other "+CC ..." numbers, landlines with an area code ("010-6234 5678",
          "(02) 2345-6789", "(037) 351-234"), numbers read out one digit at a time, bare local
          numbers labelled as a phone (Cantonese "電話係…" too), and Hong Kong 8-digit numbers
          (2/3/5/6/9…) in a clause that speaks of phoning. 400/800 company hotlines, toll-free
          numbers and numbers labelled as a hotline ("客服專線", "hotline") are not personal data.
* CARD    16-19 digit card / bank numbers that pass Luhn or are grouped like a card (4-4-4-4),
          15-digit 4-6-5 numbers that pass Luhn; 12-19 digits labelled as a card or account
          ("卡号", "银行卡", "card number"), even if Luhn fails
* EMAIL   addresses, also obfuscated ("wang at gmail dot com", "chen（at）163（dot）com", "x#yahoo.com.hk")
          and non-ASCII ones; a company address passed in `keep` stays, and so does a role
          address at a company's domain ("support@…", "billing@…")
* PASSPORT  mainland E/G + 8 digits or E + letter + 7 digits; other formats when labelled, in
          groups too ("passport 612 908 334")
* ADDRESS Chinese addresses with a road or estate and a house number ("北京市朝阳区建国路88号
          3单元502室", "新北市板橋區文化路一段188巷3弄5號2樓", numbers in Chinese numerals too),
          Hong Kong estates with block, floor and flat ("新都城二期三座二十五樓D室"), English
          street addresses ("123 Main Street, Apt 4B, Springfield", "7 Birch Grove"), number-
          first ones ("No. 5, Alley 2, Lane 10, Heping E. Rd.") and Hong Kong flats
          ("Flat B, 12/F, Block 3, Taikoo Shing")
* ACCOUNT bank accounts after a label ("账号", "戶口號碼", "account number is"), valid IBANs
* SOCIAL  WeChat, QQ, LINE, Telegram and Skype ids after the app's name, @handles, profile links
* NUMBER  the last pass, deny by default: any run of six or more digits (letters and any separators
          between its groups allowed, numbers read out in words too) that no recogniser above named
          and nothing vouches for as not a person's (a label of an order, tracking, invoice, model,
          version, flight or ticket number before or after it, a list after one such label, the
          shape of a date, a time, an amount, an IP address, a postal parcel number or a UUID, a
          company hotline, the ticket's own order number in `keep`); one after an address in its
          sentence is the address's postcode

Numbers labelled as an order, tracking, invoice, SKU or model number ("订单号", "tracking") are
left alone unless their structure is unambiguous (a checksummed ID, a "+" country code).

`find_pii` returns the spans; `mask` replaces each with a tag that keeps the last four letters
and digits of the value, e.g. [PHONE …5678]. Matching is done on a copy with full-width digits
and letters folded to ASCII (one character for one, so offsets hold). A value just after a JSON
escape (the "\\n" of a dumped string) is still found.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["mask", "mask_name", "mask_facts", "mask_spans", "mask_tree", "mask_within", "find_pii", "luhn_ok", "id_checksum_ok", "tw_id_ok", "TYPES"]

TYPES = ("ID", "PHONE", "CARD", "EMAIL", "PASSPORT", "ADDRESS", "ACCOUNT", "SOCIAL", "NUMBER")

# ---------------------------------------------------------------------------------------------
# checksums

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_checksum_ok(number: str) -> bool:
    """Mainland 18-character resident ID check character (ISO 7064 MOD 11-2)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


_TW_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))


def tw_id_ok(value: str) -> bool:
    """Taiwan national ID checksum (letter code, then weights 8..1 and the check digit)."""
    if len(value) != 10 or not value[1:].isdigit() or value[0].upper() not in _TW_LETTERS:
        return False
    code = _TW_LETTERS[value[0].upper()]
    digits = [int(d) for d in value[1:]]
    total = code // 10 + (code % 10) * 9 + sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2, 1, 1)))
    return total % 10 == 0


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Province-level codes that open a mainland ID (11 Beijing ... 65 Xinjiang, 71 Taiwan, 81/82 HK/Macao).
_PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
                       "61 62 63 64 65 71 81 82 83 91".split())


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= date.today().year


def _date8(digits: str) -> bool:
    """Eight digits that read as a date, 20240815 (past or future)."""
    if len(digits) != 8 or digits[:2] not in ("19", "20"):
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return True


def _id18_shape(digits: str) -> bool:
    """Region and birth date of an 18-character ID are plausible (checksum not looked at)."""
    return (digits[:2] in _PROVINCES
            and _valid_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])))


def _id15_shape(digits: str) -> bool:
    return digits[:2] in _PROVINCES and _valid_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))


# ---------------------------------------------------------------------------------------------
# patterns

def _fold_table() -> dict[int, int]:
    table = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII -> ASCII
    table.update({0x3000: 0x20, 0x00A0: 0x20, 0xFE52: 0x2E, 0xFE6B: 0x40})  # (small ﹒ and ﹫ of an email)
    # invisible characters that split a number ("137\u200b6120\u200b9988") read as a space
    table.update({c: 0x20 for c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
    # dashes of every width read as "-" ("139—2018—7736")
    table.update({c: 0x2D for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63)})
    # Cyrillic and Greek letters that look Latin ("rоbert@оutlook.com" with Cyrillic о)
    table.update({ord(a): ord(b) for a, b in zip("аеорсухіјѕАВЕКМНОРСТХοα", "aeopcyxijsABEKMHOPCTXoa")})
    return table


_FOLD = _fold_table()
_NEEDS_FOLD = re.compile(r"[\uff01-\uff5e\u3000\u00a0\ufe52\ufe6b\u200b-\u200d\u2010-\u2015\u2060\u2212\ufe58\ufe63\ufeff"
                         r"\u0391-\u03c9\u0400-\u045f]")
# A number spoken in Chinese numerals ("一三九 二二八七 六五四三", "幺五零…"): a run of seven or
# more is read as the digits it spells (one character each, so offsets hold). Shorter runs are
# house and floor numbers ("五零二室"), which the address recogniser reads as they are.
# (capital numerals too, "壹叁柒 零贰肆伍…", and digits among them, "一3九8七2零…", "158 一零二六 3371";
# a numeral within a phone's first twelve characters: a bounded look, or a long digit run costs n²)
_CN_DIGITS = str.maketrans("零〇一幺么二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖", "00111223456789122334566789")
_CN_RUN = re.compile(r"(?=[\d ]{0,12}[零〇一幺么二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖])"
                     r"[零〇一幺么二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖\d](?:[ \-]?[零〇一幺么二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖\d]){6,}")
# ... and read out in groups, with pauses: "一八二，嗯，一七四，五九九零三" (the pauses read as spaces)
# (a group may be read digit by digit with spaces: "九 七 三 六，一 一 八 二")
# ... or over the customer's chat lines: "用户：幺五九\n用户：二三七八\n用户：零四六一"
_CN_GROUPS = re.compile(r"[零〇一幺么二两三四五六七八九](?: ?[零〇一幺么二两三四五六七八九])+(?:[，,、\s]*(?:嗯|呃|额|額|啊|對|对|然后是|然後是|然后|然後|最后是|最後是|最后|最後|接着是|接著是|还有|還有)?[，,、\s]*"
                        r"(?:(?<=\n)(?:客人|客户|客戶|用户|用戶|顾客|顧客|买家|買家|会员|會員)[：:]\s*)?"
                        r"[零〇一幺么二两三四五六七八九](?: ?[零〇一幺么二两三四五六七八九])+)+")
_CN_PAUSE = re.compile(r"[^零〇一幺么二两三四五六七八九]")
# A stretch of at least 7 digits, maybe spaced, dashed or bracketed: every number recogniser
# below is run only around these (a window 3 characters wider to the left for "+", "(" and the
# letters of a Taiwan ID or passport, 2 to the right for an ID's X and the boundary after it).
_CLUSTER = re.compile(r"\d(?:[ ()+.\-]{0,3}\d|\n[ \-]?\d){6,}")
_PASSPORT_WORDS = ("护照", "護照", "assport", "ASSPORT")
_DIGIT = re.compile(r"\d")

_L = r"(?:(?<![0-9A-Za-z])|(?<=\\[nrt]))"  # no letter or digit before (a JSON "\n" is fine)
_R = r"(?![0-9A-Za-z])"
_S = r"[ \-]"  # separator inside a phone or card number
_SD = r"[ .\-]"  # ... and inside a mobile number, where a dot is common too

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9])")
_ID18 = re.compile(_L + r"(\d{6}[ \-]?\d{8}[ \-]?\d{3}[\dXx])" + _R)
_ID15 = re.compile(_L + r"(\d{15})" + _R)
_URL_EMAIL = re.compile(r"(?<![A-Za-z0-9._+-])[A-Za-z0-9][A-Za-z0-9._+-]*%40[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])")
_AMEX = re.compile(r"\d{4}[ \-]\d{6}[ \-]\d{5}")
_ID18_GROUPED = re.compile(_L + r"(\d(?:[ \-]?\d){16}[ \-]?[\dXx])" + _R)  # read out in any grouping
# a US social security number, when labelled as one
_SSN = re.compile(_L + r"((?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4})" + _R)
_TW_ID = re.compile(_L + r"([A-Za-z][1289]\d{8})" + _R)
_PASSPORT = re.compile(_L + r"([EeGg]\d{8}|E[A-HJ-NP-Z]\d{7})" + _R)
# A passport number after the word "passport", a few English words on ("the passport I used
# was …"), maybe in groups: US and UK passports are nine digits, often read out 3-3-3.
_PASSPORT_LABELLED = re.compile(
    r"(?:护照|護照|passport)(?:[\s:：#,，.\-]|号码|號碼|号|號|是|为|為|(?<![A-Za-z])[a-z']{1,12}(?![A-Za-z])){0,14}?"
    r"(?<![0-9A-Za-z])([A-Za-z]{0,2}(?:\d{6,9}|\d{3}[ \-]\d{3}[ \-]\d{3}|\d{4}[ \-]\d{4,5}))" + _R, re.I)
_CARD = re.compile(_L + r"(\d{13,19}|\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,4})?|\d{4}[ \-]\d{6}[ \-]\d{5}"
                   r"|\d{4,6}(?:[ \-]\d{2,11}){1,4})" + _R)  # any other grouping: the digits are counted below
# (every alternative opens with a digit, "(" or "+": the lookahead lets the scan skip other
# characters at once instead of trying each alternative there)
_PHONES = re.compile("(?=[0-9(+])(?:" + "|".join([
    # mainland mobile, optionally +86 / 0086 / (+86)
    # (groups may be split by dots too: 139.8765.4321)
    _L + r"(?:(?:\+|00)?86" + _S + r"{0,2}|\(\+?86\) ?)?1[3-9]\d" + _SD + r"?\d{4}" + _SD + r"?\d{4}" + _R,
    # Taiwan mobile: 0912-345-678, 0912 345678, 0912.345.678, +886 912 345 678, +886-9-1234-5678
    _L + r"09\d{2}" + _SD + r"?\d{3}" + _SD + r"?\d{3}" + _R,
    r"(?:\+|(?<![0-9A-Za-z])00)886" + _S + r"?(?:\(0\))?9\d{2}" + _S + r"?\d{3}" + _S + r"?\d{3}" + _R,
    r"(?:\+|(?<![0-9A-Za-z])00)886" + _S + r"?9" + _S + r"?\d{4}" + _S + r"?\d{4}" + _R,
    # any other "+CC" / "00CC" number (Hong Kong +852, UK +44, ...): 8-15 digits in groups
    r"(?:\+|(?<![0-9A-Za-z\-])00)[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,5}){1,5}" + _R,
    r"\(\+?[1-9]\d{0,2}\) ?\d{1,5}(?:[ .\-]?\d{1,5}){1,4}" + _R,
    # North America without a country code: (415) 555-0134, 415-555-0134, 415.555.0134
    _L + r"(?:1[ .\-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}" + _R,
    # UK mobile, 07 and nine digits: 07911 123 456, 07911 123456
    _L + r"07\d{3}" + _S + r"?\d{3}" + _S + r"?\d{3}" + _R,
    # landline with an area code: 010-6234 5678, (021) 6123-4567, (02) 2345-6789
    _L + r"(?:\(0\d{1,3}\) ?|0\d{1,3}[ \-])\d{3,4}[ \-]?\d{4}" + _R,
    # Taiwan landlines with a six- or five-digit local number: (037) 123-456, (089)312345, (0836)12-345
    r"\(0[3-9]\d{1,2}\) ?\d{2,3}[ \-]?\d{3}" + _R,
]) + ")")
# a bare local number, counted only when labelled as a phone: 8 digits in Hong Kong, 7-11 elsewhere
_LOCAL_NUMBER = re.compile(_L + r"(\d{3,4}" + _S + r"?\d{4}|\d{9,11}|0\d{2,3}" + _S + r"?\d{7,8})" + _R)
# a number read out one digit at a time ("1 5 9 0 1 2 3 4 5 6 7"): a phone when labelled as one
# or shaped like a mobile (mainland 1[3-9], Taiwan 09, UK 07)
_SPELLED = re.compile(r"(?<![0-9A-Za-z])(?<!\d )(\d(?: \d){6,14})(?![0-9A-Za-z])(?! \d)")
_MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}|09\d{8}|07\d{9}")
# Hong Kong (852) and Taiwan (886) numbers written without the "+": a phone when a separator
# follows the country code ("852 6234 9876", "886-933-456-789") or when labelled as one
_NO_PLUS_CC = re.compile(
    _L + r"(?:852(" + _SD + r")?[235679]\d{3}" + _SD + r"?\d{4}|886(" + _SD + r")?(?:9\d{2}" + _SD + r"?\d{3}" + _SD
    + r"?\d{3}|[2-8]\d?" + _SD + r"?\d{3,4}" + _SD + r"?\d{4}))" + _R)
# A Hong Kong number (8 digits, opening with 2/3/5/6/9) with no label right before it: a phone
# when the clause around it speaks of phoning ("手機係…", "打返俾我", "…係我手機") and not of a
# hotline. A code such as "CT-91234567" or a date such as "20240815" is not one.
_HK_LOCAL = re.compile(r"(?<![0-9A-Za-z])(?<![A-Za-z][\-_#/])([235679]\d{3}[ \-]?\d{4})" + _R)
_PHONE_CUE = re.compile(r"(?i)电话|電話|手机|手機|手提|联系|聯絡|聯繫|联络|致电|回电|回電|回拨|回撥|打给|打給|打我|打返|打嚟|"
                        r"打(?=\s?[\d+(]|\s?$)|我的号码|我的號碼|(?<![a-z])my (?:phone |mobile |cell )?number|reach me|"
                        r"短信|短訊|whatsapp|signal|(?<!i)phone|mobile|(?<![a-z])(?:cell|tel|call|text|sms)(?![a-z])")
_HOTLINE_AFTER = re.compile(r"(?i)[ (（]*(?:(?:客服|官方)(?:热线|熱線|专线|專線|电话|電話)|热线|熱線|专线|專線|hotline|helpline)")
_HOTLINE_CUE = re.compile(r"(?i)热线|熱線|专线|專線|客服电话|客服電話|hotline|helpline|toll[ \-]free")
# an amount: a currency before the number or a unit after it ("¥ 6123 4567", "6234 5678 元")
_CURRENCY_BEFORE = re.compile(r"(?:[¥$€£￥]|HKD|RMB|USD|NTD|CNY)\s?\Z")
_UNIT_AFTER = re.compile(r"\s?(?:元|圆|圓|蚊|块|塊|港元|港幣|港币|dollars?|HKD|RMB|USD)")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?:\s|$)")
_CLAUSE_END = re.compile(r"[，,。！？!?；;\n]|\.(?:\s|$)")


_DATE_START = re.compile(r"(?:19|20)\d{2}[\-/.]\d{1,2}[\-/.]\d{1,2}(?!\d)")


def _phone_cue(t: str, s: int, e: int) -> bool:
    """The sentence before `s` (up to 20 characters) or the clause after `e` (up to 12) speaks of
    phoning, the sentence before does not name a hotline, and the number is not an amount."""
    before = t[max(0, s - 20):s]
    ends = [m.end() for m in _SENTENCE_END.finditer(before)]
    if ends:
        before = before[ends[-1]:]
    after = t[e:e + 12]
    m = _CLAUSE_END.search(after)
    if m:
        after = after[:m.start()]
    if _HOTLINE_CUE.search(before) or _CURRENCY_BEFORE.search(before) or _UNIT_AFTER.match(t, e):
        return False
    return bool(_PHONE_CUE.search(before) or _PHONE_CUE.search(after))

# Labels that say what a number is. Looked for right before the number, with only "filler" in
# between ("订单号：", "my phone number is "); matched on the reversed text, anchored, for speed.
_LABELS = {
    "id": ["身份证", "身份證", "身分證", "证件", "證件", "id card", "identity card", "national id", "identity", "id",
           "ssn", "social security", "social security number"],
    "order": ["统一编号", "統一編號", "統編", "税号", "稅號", "tax id", "vat", "订单", "訂單", "单号", "單號", "运单", "運單", "快递", "快遞", "物流", "包裹", "发票", "發票", "流水", "交易",
              "工单", "工單", "售后", "售後", "退款单", "退货单", "退貨單", "型号", "型號", "货号", "貨號", "序列", "序号",
              "序號", "批次", "券", "order", "tracking", "track", "waybill", "invoice", "ticket", "case", "reference",
              "ref", "transaction", "txn", "sku", "model", "serial", "imei", "parcel", "shipment", "rma", "batch",
              "coupon", "voucher"],
    "card": ["卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "儲蓄卡", "借记卡", "借記卡", "扣款卡", "账号", "帳號",
             "賬號", "账户", "帳戶", "card", "account", "acct", "iban"],
    # a company's number: not the customer's (before "phone", so that "客服电话" reads as one)
    "hotline": ["热线", "熱線", "专线", "專線", "客服电话", "客服電話", "店电话", "店電話", "门市电话", "門市電話",  # (店电话: 门店电话 too)
                "店铺电话", "店舖電話", "hotline", "helpline", "toll free", "toll-free", "store phone"],
    "phone": ["电话", "電話", "手机", "手機", "手提", "联系方式", "聯絡方式", "联系", "聯絡", "致电", "回电", "回電", "打给", "打給",
              "拨打", "撥打", "回拨", "回撥", "telephone", "phone", "mobile", "cell", "tel", "call", "whatsapp", "text",
              "reach", "contact",
              # "my number is ...", "我的號碼係 ...": a number of one's own is a phone number
              "my number", "我的号码", "我的號碼", "我嘅號碼", "我個號碼", "我个号码"],
}
_FILLER_WORDS = ["号码", "號碼", "号", "號", "码", "碼", "编号", "編號", "是", "为", "為", "number", "no", "num", "nr",
                 "is", "was", "it's", "it", "its", "my", "id", "me", "我", "at", "on",
                 "係", "系", "喺"]  # Cantonese "is" ("我嘅電話係 ...")


def _trie(words: list[str]) -> str:
    """A regex matching any of `words`, written as a trie so that a failing match fails fast."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict) -> str:
        alts = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        end = "" in node
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return walk(tree)


def _reversed_words(words: list[str]) -> str:
    """Reversed words, the ASCII ones whole words only, as one trie-shaped alternation."""
    ascii_ = [w[::-1] for w in words if w.isascii()]
    other = [w[::-1] for w in words if not w.isascii()]
    parts = []
    if other:
        parts.append(_trie(other))
    if ascii_:
        parts.append(r"(?<![a-z])" + _trie(ascii_) + r"(?![a-z])")
    return "|".join(parts)


_LABEL_BEFORE = re.compile(
    r"(?:[\s:：#＃,，=\-–—.()（）\"'_]|" + _reversed_words(_FILLER_WORDS) + r")*"
    + "(?:" + "|".join(f"(?P<{kind}>{_reversed_words(words)})" for kind, words in _LABELS.items()) + ")")


def _label(t: str, start: int) -> str | None:
    """The kind of label ("order", "id", "card", "phone") right before `start`, if any."""
    m = _LABEL_BEFORE.match(t[max(0, start - 28):start][::-1].lower())
    return m.lastgroup if m else None


# Chinese addresses -------------------------------------------------------------------------------
# A place name is made of ideographs that are not everyday function words and verbs (so that
# "寄到" or "我住在" do not join the address in front of it), Cantonese ones too ("我住喺…", "地址係…").
_NOT_PLACE = set("的我你他她您们們是在到住寄送址请請把给給了吗嗎呢吧啊呀哦也就还還要想往从從与與或说說让讓叫找等"
                 "填写寫改换換收货貨件递遞员員麻烦煩帮幫已经經被错錯这這那个個现現搬附近"
                 "係喺嘅咗俾唔咩嚟啲佢哋")


def _class_without(lo: int, hi: int, skip: set[str]) -> str:
    out, run = [], None
    for c in range(lo, hi + 1):
        if chr(c) in skip:
            if run is not None:
                out.append((run, c - 1))
                run = None
        elif run is None:
            run = c
    if run is not None:
        out.append((run, hi))
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in out)


_N = "[" + _class_without(0x4E00, 0x9FFF, _NOT_PLACE) + "\u3400-\u4dbf]"
_CN_NUM = "[一二三四五六七八九十百千零〇两]"
_UNIT_SUFFIX = r"(?:特别行政区|特別行政區|自治区|自治區|自治州|省|市|区|區|县|縣|州|盟|旗|镇|鎮|乡|鄉|街道)"
_ROAD_SUFFIX = r"(?:大道|大街|路|街|道|巷|弄|胡同)"
_ESTATE_SUFFIX = (r"(?:小区|小區|社区|社區|花园|花園|家园|家園|公寓|大厦|大廈|广场|廣場|苑|新村|村|园|園|大楼|大樓|"
                  r"宿舍|山庄|山莊|公馆|公館|邨|屋邨|屋苑)")
# Building, phase, entrance, block, floor and flat: "3号楼", "三期", "六门", "W6区", "十二樓之三",
# "十五楼C" (a flat letter after the floor), and a flat number left bare at the end, in digits
# or read out in Chinese digits ("七栋六零一", "一单元一零零二").
_BLDG_SUFFIX = r"(?:号楼|號樓|栋|棟|幢|座|单元|單元|楼|樓|层|層|室|房|户|戶|F|f|号|號|组|組|期|门|門|区|區)"
_CN_DIGIT = "[零〇一二三四五六七八九]"
# (a single space may sit between the parts and before a suffix: "玉屏樓 2座 9樓 906 室")
_BLDG = (r"(?: ?附?" + _N + r"{0,8}?(?:[A-Za-z]?\d+[A-Za-z]?|[A-Za-z]|" + _CN_NUM + r"{1,5}) ?" + _BLDG_SUFFIX
         + r"(?:之(?:\d+|" + _CN_NUM + r"{1,3}))?"
         + r"(?:(?<=[楼樓层層座])[A-Za-z](?![A-Za-z0-9])(?!" + _BLDG_SUFFIX + r"))?"
         + r"(?: ?(?:\d{2,4}|" + _CN_DIGIT + r"{3,4})(?![0-9A-Za-z])(?!" + _CN_NUM + r")(?! ?" + _BLDG_SUFFIX + r"))?)")
# Section (by number or by direction: "四段", "北段"), lane and alley, then the house number
# ("四段二一六巷三弄五號", "三百九十八号", "十九号附一号")
_HOUSE_NO = (r"(?:(?:\d+|" + _CN_NUM + r"{1,4}|[东南西北中東])段)? ?(?:(?:\d+|" + _CN_NUM + r"{1,5}) ?[巷弄] ?)*"
             r"(?:\d+(?:-\d+)?(?:之\d+)?|" + _CN_NUM + r"{1,7}(?:之" + _CN_NUM + r"{1,3})?) ?[号號](?:院)?(?:附(?:\d+|" + _CN_NUM + r"{1,3})[号號])?"
             r"(?:-\d{1,4}(?:-\d{1,4})?(?!\d))?")
_ZH_ADDRESS = re.compile(
    r"(?:香港|澳门|澳門|北京|上海|天津|重庆|重慶|台湾|台灣|臺灣)?(?:" + _N + r"{1,7}?" + _UNIT_SUFFIX + r" ?){0,5}"
    r"(?:" + _N + r"{1,8}?" + _ROAD_SUFFIX + r"(?<!知道)(?<!味道)(?<!频道)(?<!頻道)(?<!渠道)(?<!通道)(?<!报道)(?<!報道)"
    r"(?<!难道)(?<!難道)(?<!顺路)(?<!順路)(?<!线路)(?<!線路)(?<!走路)(?<!上街)(?<!逛街)"
    r"[东南西北中東]? ?" + _HOUSE_NO + _BLDG + r"*"
    r"|" + _N + r"{1,8}?" + _ESTATE_SUFFIX + _BLDG + r"+"
    # an estate named without a suffix, then its block and more ("將軍澳新都城二期三座二十五樓D室")
    r"|" + _N + r"{2,10}?(?:\d+|" + _CN_NUM + r"{1,4})(?:座|栋|棟|幢|期|号楼|號樓)" + _BLDG + r"+)")
# a house, building or floor number, in digits or in Chinese numerals ("八十八号", "十二樓")
_ZH_HINT = re.compile(r"(?:\d|[一二三四五六七八九十百千零〇两]{1,5}) ?(?:[号號栋棟幢座楼樓层層室巷弄组組]|单元|單元)")

# English street addresses ------------------------------------------------------------------------
_STREET = (r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|"
           r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Close|Crescent|Cres|Row|Walk|Alley|Plaza|Trail|Mews|"
           # British street names ("7 Birch Grove", "22 Canal Wharf", "9 Rose Gardens")
           r"Gardens|Gdns|Grove|Rise|Vale|Parade|Quay|Wharf|Embankment|Esplanade)")
# a flat, floor, block or tower: "Apt 4B", "Room 2103", "Tower 1", "Block C", "12/F", "3F.", "3rd Floor"
_UNIT = (r"(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Building|Bldg|Tower|Twr|Block|Blk|Level|Lvl)"
         r"\.?\s*#?\s*[A-Za-z0-9-]+|\d{1,3}/?F\b\.?|[GLU]/F\b|\d{1,3}(?:st|nd|rd|th)\s+(?:Floor|Fl)\b\.?)")
_WORD = r"(?:[A-Z][A-Za-z'’.\-]*|\d{1,3}(?:st|nd|rd|th)|[NSEW]\.?)"
_NOT_CITY = (r"(?!(?:Please|Thanks|Thank|Thx|I|I'm|We|My|Our|Can|Could|Would|Will|And|But|So|The|It|This|That|"
             r"Call|Phone|Email|Tel|Order|Regards|Best|Cheers|Sorry|Hi|Hello)\b)")
# a district, city or region, up to three in a row ("Wan Chai, Hong Kong", "Haidian District, Beijing")
_CITY = _NOT_CITY + r"[A-Z][a-zà-ÿ'’]+(?:\s[A-Z][a-zà-ÿ'’]+){0,2}(?:\.(?=,))?"  # ("Da'an Dist., Taipei City")
_EN_ADDRESS = re.compile(
    r"\d(?<![0-9A-Za-z.$¥€£#/\-]\d)(?<![$¥€£]\d,\d)(?<![$¥€£]\d\d,\d)(?<![$¥€£]\d\d\d,\d)\d{0,5}[A-Za-z]?(?:[-/]\d{1,6})?\s+(?:" + _WORD + r"\s+){0,3}" + _WORD + r"\s+" + _STREET
    + r"\.?(?![A-Za-z])(?:\s+(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\b)?"
    r"(?:,?\s*(?:" + _UNIT + r"|#\s?[A-Za-z0-9-]+))?"
    r"(?:,\s*" + _CITY + r"){0,3}"
    r"(?:,?\s*(?:[A-Z]{2,3}\s+)?\d{4,5}(?:-\d{4})?(?!\d)|,?\s*(?:[A-Z]{2}\s+)?[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"
    r"|,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|,\s*[A-Z]{2}\b)?")
# ... whose town, state and ZIP code or postcode are on the next line, as on a label ("455 W 37th
# St" / "New York, NY 10018"; "114 Cowley Rd" / "Oxford OX4 1JE")
_EN_NEXT_LINE = re.compile(r"\n[ \t]*(" + _CITY + r"(?:,\s*" + _CITY + r")?,?\s+(?:[A-Z]{2},?\s+\d{5}(?:-\d{4})?(?!\d)"
                           r"|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|[A-Z]{2}\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d\b))")
_EN_UNIT_BEFORE = re.compile(r"(?<![A-Za-z0-9])(?:" + _UNIT + r",?\s+)+\Z")  # "Room 2103, 21/F, Tower 1, 33 Harbour…"
# ... and read out in words, by a caller or a voice assistant: "twelve oh eight Maple Avenue,
# apartment three C, Evanston"
_NUMBER_WORD = (r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
                r"ninety|hundred|thousand|double|triple)")
_SPOKEN_NUMBER = (r"(?i:(?<![a-z])" + _NUMBER_WORD + r"(?:[\s\-]+(?:and\s+)?" + _NUMBER_WORD + r")*)(?![A-Za-z])")
_EN_SPOKEN_ADDRESS = re.compile(
    _SPOKEN_NUMBER + r"\s+(?:" + _WORD + r"\s+){0,3}" + _WORD + r"\s+" + _STREET + r"\.?(?![A-Za-z])"
    r"(?:,?\s*(?i:apartment|apt|unit|suite|flat|room)\.?\s+(?:" + _SPOKEN_NUMBER + r"|\d+)(?:\s+[A-Z](?![a-z]))?)?"
    r"(?:,\s*" + _CITY + r"){0,3}")
_SPOKEN_HINT = re.compile(r"(?i)(?<![a-z])" + _NUMBER_WORD + r"\s+[a-z]")
# Taiwan and mainland addresses in English put the number first: "No. 12 Jianshe Road, Haidian
# District"; "3F., No. 5, Alley 2, Lane 10, Heping E. Rd., Sec. 1, Da'an Dist., Taipei City 106"
_EN_ADDRESS_NO = re.compile(
    r"(?<![A-Za-z])No\.?\s?\d{1,5}(?:-\d{1,4})?[A-Za-z]?,?\s+(?:(?:Lane|Ln|Alley|Aly|Section|Sec)\.?\s?\d{1,4},?\s+)*"
    r"(?:" + _WORD + r"\s+){0,3}" + _WORD + r"\s+" + _STREET + r"\.?(?![A-Za-z])"
    r"(?:,?\s*(?:Section|Sec)\.?\s?\d{1,2}\b)?(?:,\s*" + _CITY + r"){0,3}(?:,?\s*\d{3,6}(?!\d))?")
# A Hong Kong flat named by flat, floor and block, then the estate, with no street:
# "Flat B, 12/F, Block 3, Taikoo Shing, Hong Kong"
_EN_FLAT = re.compile(
    r"(?<![A-Za-z0-9])(?:" + _UNIT + r",?\s+){2,}" + _NOT_CITY + r"[A-Z][A-Za-z'’\-]+(?:\s[A-Z][A-Za-z'’\-]+){0,3}"
    r"(?:,\s*" + _CITY + r"){0,3}")
_FLAT_WORDS = ("/F", "Flat", "Room", "Rm", "Unit", "Floor", "Block", "Blk", "Tower")
_SECOND_LINE = re.compile(r"(?i)(?<![a-z0-9])(?:(?:address|addr|street)(?:[_ ]?line)?[_ ]?2|line_?2)\\?\"?\s*[:=]\s*\\?\"?"
                          r"([^\"\\\n,;]{1,40}?)(?=\\?\"|[\n,;]|$)")

# Written in lower case ("310 w 72nd st, new york ny 10023"): only with a state and a ZIP code at
# the end, or "2 park avenue bags" would be an address.
_EN_ADDRESS_ZIP = re.compile(
    r"(?i)(?<![0-9a-z])\d{1,6}[a-z]?\s+(?:[a-z0-9'.\-]+\s+){0,3}" + _STREET + r"\.?(?![a-z])"
    r"(?:,?\s*(?:" + _UNIT + r"|#\s?[a-z0-9-]+))?,?\s+(?:[a-z]+\s+){0,3}[a-z]{2},?\s+\d{5}(?:-\d{4})?(?!\d)")
_EN_UNIT_BEFORE_ANY = re.compile(r"(?i)(?<![a-z0-9])(?:" + _UNIT + r",?\s+)+\Z")
_EN_HINT = re.compile(_STREET + r"\b")
_ZIP_HINT = re.compile(r"(?<!\d)\d{5}(?:-\d{4})?(?!\d)")

# ---------------------------------------------------------------------------------------------


_NON_DIGIT = re.compile(r"\D")
_NON_KEY = re.compile(r"[^0-9a-z@._]")
_GROUPED_4 = re.compile(r"\d{4}(?:[ \-]\d{4}){3}(?:[ \-]\d{1,3})?")
_CC86 = re.compile(r"\(?(?:\+|00)?86\b|\(?(?:\+|00)86")
_CC1 = re.compile(r"\(?(?:\+|00)?1\b")


def _digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def _norm(value: str) -> str:
    return _NON_KEY.sub("", value.lower())


def _hotline(value: str) -> bool:
    """A company number, not a person's: mainland 400/800 hotlines, North-American toll-free
    (800, 833 ... 888) and 900 numbers."""
    d = _digits(value)
    if _CC86.match(value):
        d = d[4:] if d.startswith("0086") else d[2:]
    elif _CC1.match(value) or len(d) == 11 and re.match(r"1[ \-.(]", value):
        d = d[3:] if d.startswith("001") else d[1:]
    if len(d) == 10 and d[:3] in ("400", "800"):
        return True
    if d[:4] in ("0800", "0808") and 9 <= len(d) <= 11:  # UK and Taiwan freephone
        return True
    return len(d) == 10 and (d[:3] == "900" or d[0] == "8" and d[1] == d[2])


def _spans(t: str) -> list[tuple[str, int, int, int]]:
    """Candidate (type, start, end, priority) spans in the folded text; lower priority wins."""
    found: list[tuple[str, int, int, int]] = []
    add = found.append
    if "@" in t:
        for m in _EMAIL.finditer(t):
            add(("EMAIL", m.start(), m.end(), 0))
    if "%40" in t:  # in a link, "@" is written %40 ("reset?email=li.na%40163.com")
        for m in _URL_EMAIL.finditer(t):
            add(("EMAIL", m.start(), m.end(), 0))
    for c in _CLUSTER.finditer(t):
        a, b = c.span()
        lo, hi = max(0, a - 3), min(len(t), b + 2)
        nd = len(_digits(c.group()))
        if nd >= 17:
            for m in _ID18.finditer(t, lo, hi):
                v = _digits(m.group(1)[:-1]) + m.group(1)[-1]
                if _id18_shape(v) and (id_checksum_ok(v) or _label(t, m.start()) == "id"):
                    add(("ID", m.start(1), m.end(1), 1))
            for m in _ID18_GROUPED.finditer(t, lo, hi):  # "4301 0419 9605 0337 48"
                v = _digits(m.group(1)[:-1]) + m.group(1)[-1]
                if (v != m.group(1) and _id18_shape(v) and _label(t, m.start()) != "card"
                        and (id_checksum_ok(v) and not (v.isdigit() and luhn_ok(v))
                             or _label(t, m.start()) == "id")):
                    add(("ID", m.start(1), m.end(1), 1))
        if nd >= 15:
            for m in _ID15.finditer(t, lo, hi):
                if _id15_shape(m.group(1)) and _label(t, m.start()) == "id":
                    add(("ID", m.start(1), m.end(1), 1))
        if nd == 9 and "-" in c.group():
            for m in _SSN.finditer(t, lo, hi):
                if _label(t, m.start()) == "id":
                    add(("ID", m.start(1), m.end(1), 1))
        if a and t[a - 1].isascii() and t[a - 1].isalpha():  # a letter just before: a Taiwan ID, a passport
            for m in _TW_ID.finditer(t, lo, hi):
                if tw_id_ok(m.group(1)) or _label(t, m.start()) == "id":
                    add(("ID", m.start(1), m.end(1), 1))
            for m in _PASSPORT.finditer(t, lo, hi):
                if _label(t, m.start()) != "order":
                    add(("PASSPORT", m.start(1), m.end(1), 2))
        if nd >= 12:
            for m in _CARD.finditer(t, lo, hi):
                v = m.group(1)
                d = _digits(v)
                label = _label(t, m.start())
                if label == "card":
                    ok = 12 <= len(d) <= 19
                elif label == "order":
                    ok = False
                elif v != d and _GROUPED_4.fullmatch(v) is None and _AMEX.fullmatch(v) is None:
                    ok = False  # an unusual grouping counts only with a card label: a phone looks alike
                elif 16 <= len(d) <= 19:
                    grouped = v != d and _GROUPED_4.fullmatch(v) is not None
                    id_like = len(d) == 18 and _id18_shape(d)
                    ok = grouped or (luhn_ok(d) and not id_like)
                else:
                    ok = len(d) == 15 and v != d and luhn_ok(d)  # Amex 4-6-5
                if ok:
                    add(("CARD", m.start(1), m.end(1), 3))
        for m in _PHONES.finditer(t, lo, hi):
            v = m.group(0)
            d = _digits(v)
            if 8 <= len(d) <= 15 and not _hotline(v):
                label = _label(t, m.start())
                if label != "hotline" and (v.lstrip("(").startswith("+") or label != "order"):
                    add(("PHONE", m.start(), m.end(), 4))
        if nd >= 11 and (" " in c.group() or "-" in c.group() or "." in c.group()):
            for m in _NO_PLUS_CC.finditer(t, lo, hi):
                label = _label(t, m.start())
                if label == "phone" or (m.group(1) or m.group(2)) and label not in ("order", "hotline"):
                    add(("PHONE", m.start(), m.end(), 4))
        if " " in c.group():
            for m in _SPELLED.finditer(t, lo, hi):
                label = _label(t, m.start())
                if label == "phone" or label is None and _MOBILE_SHAPE.fullmatch(_digits(m.group(1))):
                    add(("PHONE", m.start(1), m.end(1), 4))
        if nd <= 11 or " " in c.group() or "-" in c.group():
            for m in _LOCAL_NUMBER.finditer(t, lo, hi):
                if _label(t, m.start()) == "phone" and not _hotline(m.group(1)):
                    add(("PHONE", m.start(1), m.end(1), 5))
            if nd == 8:
                for m in _HK_LOCAL.finditer(t, lo, hi):
                    d = _digits(m.group(1))
                    if _label(t, m.start()) is None and _phone_cue(t, m.start(), m.end()) and not _date8(d):
                        add(("PHONE", m.start(1), m.end(1), 5))
        # whatever the separators ("0910 -617 -283" after a zero-width space, "4 1 5 - 5 5 5 - 0 1 6 3"),
        # a cluster whose digits are a mobile number, or a number of phone length where the text
        # speaks of phoning, is a phone
        if 8 <= nd <= 15 and not (a and t[a - 1].isascii() and t[a - 1].isalnum()) and not _DATE_START.match(t, a):
            d = _digits(c.group())
            label = _label(t, a)
            if label not in ("order", "hotline", "card", "id") and not _hotline(c.group()) and not _date8(d):
                if (_MOBILE_SHAPE.fullmatch(d) or label == "phone"
                        or nd <= 13 and _phone_cue(t, a, b) and not _HOTLINE_CUE.search(t, max(0, a - 20), a)):
                    add(("PHONE", a, b, 9))
    if any(w in t for w in _PASSPORT_WORDS):
        for m in _PASSPORT_LABELLED.finditer(t):
            if _label(t, m.start(1)) not in ("order", "phone", "card") and not _date8(_digits(m.group(1))):
                add(("PASSPORT", m.start(1), m.end(1), 2))
    windows: list[list[int]] = []  # 60 characters either side of each house number, merged
    for h in _ZH_HINT.finditer(t):
        lo, hi = max(0, h.start() - 60), min(len(t), h.end() + 60)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        for m in _ZH_ADDRESS.finditer(t, lo, hi):
            s = m.start()
            if t[s] == "成" and s and t[s - 1] in "改换換变變写寫填弄搞":  # "改成北京市…": "成" is the verb's
                s += 1
            add(("ADDRESS", s, m.end(), 6))
    if _EN_HINT.search(t):
        for m in _EN_ADDRESS.finditer(t):
            s = m.start()
            u = _EN_UNIT_BEFORE.search(t, max(0, s - 60), s)
            s = u.start() if u else s
            add(("ADDRESS", s, m.end(), 6))
            n = _EN_NEXT_LINE.match(t, m.end())
            if n:
                add(("ADDRESS", n.start(1), n.end(1), 6))
        if _SPOKEN_HINT.search(t):
            for m in _EN_SPOKEN_ADDRESS.finditer(t):
                add(("ADDRESS", m.start(), m.end(), 6))
        if "No" in t:
            for m in _EN_ADDRESS_NO.finditer(t):
                u = _EN_UNIT_BEFORE.search(t, max(0, m.start() - 60), m.start())
                s = u.start() if u else m.start()
                add(("ADDRESS", s, m.end(), 6))
    if any(w in t for w in _FLAT_WORDS):
        for m in _EN_FLAT.finditer(t):
            add(("ADDRESS", m.start(), m.end(), 7))
    if "2" in t:  # an address's second line as a field of its own ("line2": "Apt 5F", address2: Unit 12)
        for m in _SECOND_LINE.finditer(t):
            if any(c.isdigit() for c in m.group(1)):
                add(("ADDRESS", m.start(1), m.end(1), 7))
    if _ZIP_HINT.search(t):
        for m in _EN_ADDRESS_ZIP.finditer(t):
            s = m.start()
            u = _EN_UNIT_BEFORE_ANY.search(t, max(0, s - 60), s)
            s = u.start() if u else s
            add(("ADDRESS", s, m.end(), 7))
    return found


# ---------------------------------------------------------------- written around the recognisers

# (the app names of the labelled values below are found by their own label scan, _labels_in)
_WORDY = re.compile(r"(?i)微信|wechat|weixin|wxid|\bqq\b|\bline\b|telegram|skype|通行证|通行證| at |\[at\]|\(at\)|（at）|【at】|#|"
                    r"艾特|老鼠|加薇|薇信|威信|昵称|暱稱|角色名|用户名|用戶名|游戏id|遊戲id|游戏账号|遊戲帳號")
# an email written to dodge a filter: "wang at gmail dot com", "wang[at]qq.com", "li（at）163点com",
# "wang@ qq .com", "gaoyan#sohu.com". Chinese text may touch it on either side ("发到li(at)qq.com"),
# and a full stop may end the sentence after it ("... at fastmail dot com."); a dot with a space
# after it but none before ("at Harrods. The") ends a sentence, not a domain.
_AT = r"(?:\s*@\s*|\s+at\s+|\s*\[at\]\s*|\s*\(at\)\s*|\s*（at）\s*|\s*【at】\s*|#|\s*(?:艾特|小老鼠|老鼠)\s*)"
_DOT = r"(?:\s+\.\s*|\.|\s+dot\s+|\s*\[dot\]\s*|\s*\(dot\)\s*|\s*（dot）\s*|\s*【dot】\s*|点|點|。)"
_EMAIL_END = r"(?![A-Za-z0-9_@/]|\.[A-Za-z0-9])"  # (a domain with a path after it is a link: "me at t.me/…")
_OBFUSCATED_EMAIL = re.compile(r"(?i)(?<![A-Za-z0-9_.%+-])[a-z0-9][A-Za-z0-9_.%+-]*" + _AT + r"[a-z0-9][a-z0-9-]*(?:"
                               + _DOT + r"[a-z]{2,10})+" + _EMAIL_END)
# a local part or a domain in other scripts: "张伟@例子.中国", "françois.lefèvre@orange.fr"; a domain
# label is Latin or Chinese, so "wu@mail.example三天没回复" ends at ".example"
_LATIN = "A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # (and Greek and Cyrillic: "иван@почта.рф")
_UNICODE_EMAIL = re.compile(r"(?:(?<![" + _LATIN + r"._%+-])[" + _LATIN + r"][" + _LATIN + r"._%+-]*"
                            r"|[\u4e00-\u9fff\u3400-\u4dbf]{2,4})"
                            r"@(?:[" + _LATIN + r"-]+|[\u4e00-\u9fff\u3400-\u4dbf]+)"
                            r"(?:\.(?:[" + _LATIN + r"-]+|[\u4e00-\u9fff\u3400-\u4dbf]+))+(?![" + _LATIN + r"-])")
_CODICE_FISCALE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")
# Hong Kong ID A123456(7), XA382715(9); mainland travel permits for HK, Macau, Taiwan, labelled
_HKID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\d{6}\s?\([0-9A]\))")
_GAP = r"(?:[^。!?！？\n.]|\.(?!\s)|(?<=[Nn]o)\.){0,28}?"  # the rest of the sentence ("No." does not end it)
# (the number may come later in the sentence: "证件类型：港澳通行证，证件号码C…", "Exit-Entry
# Permit for Hong Kong and Macau: C…", "證件號M…"), and Taiwan compatriot permits (台胞证), eight or ten digits
# (spelled out case by case: a case-blind scan costs twice as much on every log line)
_PERMIT = re.compile(r"(?:通行证|通行證|回乡证|回鄉證|回乡卡|回鄉卡|[Pp]ermit|PERMIT|证件|證件)" + _GAP
                     + r"(?<![A-Za-z0-9])([CHMchm]\d{8}(?:\d{2})?)(?!\d)")
_TW_PERMIT = re.compile(r"(?:台胞证|台胞證|台胞卡|[Tt]aiwan [Cc]ompatriot|for [Tt]aiwan [Rr]esidents)" + _GAP
                        + r"(?<![A-Za-z0-9\-])(\d{8}(?:\d{2})?)(?!\d)")
# a passport number written in groups ("E 1234 5678", "EA 9876543", "E-2734-0918")
_PASSPORT_GROUPED = re.compile(r"(?<![A-Za-z0-9])([EeGgKkHh][A-Za-z]?[ \-]\d{3,4}[ \-]?\d{3,4})(?!\d)")
_PASSPORT_NEAR = re.compile(r"(?i)护照|護照|passport")
# A chat id after its app's name. Between them a label and filler, in Chinese or English ("微信号是",
# "my WeChat ID is", "on WeChat (ID: …)", "my QQ number is"). With no explicit label ("ID", "号", ":")
# the value must look like an id (a digit, "_", "." or "-" in it), so "WeChat is down" is no id;
# after "微信" a bare name ("加我微信 zhangsan") is one.
_APPS = r"(?:weixin|wechat|qq|line|telegram|skype|kik|snap|snapchat|discord|viber|whatsapp)"
# several apps named before one handle ("kik/snap both jay_22") are label, not value
_SOCIAL = re.compile(
    r"(?i)(?:微信|(?<![A-Za-z])" + _APPS + r"(?![A-Za-z]))"
    r"((?:\s*(?:号码|號碼|账号|帳號|号|號|是|为|為|係|搜索|搜尋|搜|:|：|#|=|\(|（|/|(?<![A-Za-z])" + _APPS + r"(?![A-Za-z])|"
    r"(?<![A-Za-z])(?:id|is|was|number|no|num|handle|username|user name|account|name|both|also|too)(?![A-Za-z])\.?)){0,4})\s*"
    r"(@?(?:wxid_)?[A-Za-z][A-Za-z0-9_.\-]{3,30}(?:#\d{4})?|\d{5,11})(?![A-Za-z0-9_])")
_SOCIAL_LABEL = re.compile(r"(?i)id|号|號|:|：|#|=|number|no|num|handle|user|account|name")
# what is said of an id rather than the id ("my WeChat ID is private")
_NOT_AN_ID = frozenset("private secret same below above here there changed unchanged different correct wrong blocked "
                       "banned deleted new old available unavailable attached missing invalid fine gone hacked "
                       "locked frozen suspended http https kik snap snapchat line wechat whatsapp telegram discord viber skype "
                       "both also".split())
_ID_LIKE = re.compile(r"[0-9_.\-]|[a-z][A-Z]")
# A bank account after its label, with a number word or "is" between ("户口號碼", "account number is",
# "Account no."); Hong Kong banks write it in several groups ("004-123456-838").
_ACCOUNT_LABELLED = re.compile(
    r"(?i)(?:银行账号|銀行帳號|账号|帳號|帳戶|账户|户口|戶口|account|acct\.?)"
    r"(?:\s*(?:号码|號碼|号|號|是|为|為|係|:|：|#|(?<![a-z])(?:no\.?|number|num|is|was)(?![a-z])))*\s*"
    r"(\d[\d \-]{4,28}\d)(?!\d)")
# (its groups may wrap onto the next line: "NL92 INGB\n7625 5662 58"; the checksum decides)
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:(?: ?| ?\n)[A-Z0-9]{4}){3,7}(?:(?: ?| ?\n)[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
# a street with no street word, its house number before and its unit after ("455 Kingsway Unit 1208,"),
# the line or the clause ending there ("300 Dell Unit 5 docks" is a count)
_EN_UNIT_ADDRESS = re.compile(r"(?<![\w$£€.,])\d{1,5} [A-Z][a-z]{2,20}(?: [A-Z][a-z]{2,20})? (?:Unit|Apt\.?|Apartment|Suite|Ste\.?|#) ?"
                              r"\d{1,5}[A-Z]?(?=\s*(?:[,;\n)]|$))")


# a number read out in English words ("four one five, five five five, zero one nine one")
_DIGIT_WORD = re.compile(r"zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple")
_SPOKEN_DIGITS = re.compile(
    r"(?i)(?<![a-z])(?:(?:double|triple)\s+)?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
    r"(?:[\s,\-]+(?:(?:double|triple)\s+)?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)){5,}(?![a-z])")
# a street with its kind first (French, Spanish, Italian, Portuguese): "1150 Rue Sherbrooke Ouest,
# Apt 804, Montréal, QC H3A 2R7", "Calle de Alcalá 45, 28014 Madrid"
_ROMANCE_KIND = r"(?:(?-i:rue|avenue|boulevard|chemin|allée|impasse|calle|avenida|via|viale|piazza|rua|praça)|Rue|Avenue|Av\.|Boulevard|Boul\.|Bd|Chemin|Allée|Impasse|Calle|C/|Avenida|Avda\.?|Via|Viale|Piazza|Rua|Praça|Route)"
_ROMANCE_HINT = re.compile(r"(?<![A-Za-z])" + _ROMANCE_KIND + r"\s")
_ROMANCE_NAME = r"(?:(?:de|du|des|la|le|les|del|della|da|do|dos|d'|l')\s*)*[A-ZÀ-Ý][\w'’\-]+(?:\s+(?:(?:de|du|des|la|le|del|della|da|do)\s+)*[A-ZÀ-Ý][\w'’\-]+){0,3}"
_ROMANCE_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{1,5}[A-Za-z]?,?\s+" + _ROMANCE_KIND + r"\s+" + _ROMANCE_NAME
    + r"|" + _ROMANCE_KIND + r"\s+" + _ROMANCE_NAME + r",?\s+\d{1,5}[A-Za-z]?(?![0-9]))"
    r"(?:\s+(?:Ouest|Est|Nord|Sud))?"
    r"(?:,?\s*(?:" + _UNIT + r"|#\s?[A-Za-z0-9-]+))?"
    r"(?:,\s*(?:\d{4,5}\s+)?" + _CITY + r"){0,3}"
    r"(?:,?\s*(?:[A-Z]{2}\s+)?[A-Z]\d[A-Z]\s?\d[A-Z]\d\b|,?\s*\d{4,5}(?!\d))?")


def _iban_ok(value: str) -> bool:
    v = value.replace(" ", "").replace("\n", "")
    if not 15 <= len(v) <= 34:
        return False
    n = "".join(str(int(c, 36)) for c in v[4:] + v[:4])
    return int(n) % 97 == 1


_AT_DOMAIN = re.compile(r"(?i) at \s*[a-z0-9][a-z0-9-]*(?:" + _DOT + r"[a-z]{2,10})+" + _EMAIL_END)
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_PASSPORT_SPACED = re.compile(r"(?<![A-Za-z0-9])[EeGg][ \-]\d{4}[ \-]\d{4}(?!\d)")
_IBAN_HINT = re.compile(r"[A-Z]{2}\d{2}")
_SOCIAL_WORDS = ("微信", "wechat", "weixin", "wxid", "qq", "line", "telegram", "skype", "kik", "snap", "discord", "viber",
                 "whatsapp")
# A login name after its label ("用户sunny_wu88", "account: omarh", "登录账号 zhaolei@corp-mail",
# "遊戲帳號 小熊不睡覺"). An ASCII value must look like an id (a digit, "_", "." or "-" in it) or
# follow an explicit ":" / "是"; a Chinese nickname only follows a nickname or login-name label.
_LOGIN_LABELLED = re.compile(
    r"(?i)(?<![A-Za-z])(?:用户名|用戶名|用户|用戶|会员名|會員名|登录账号|登錄帳號|登入帳號|登录名称|登錄名稱|登入名稱|登录名|登錄名|"
    r"登入名|账号|帳號|賬號|賬戶|账户|帳戶|(?:logged in|log in|login|signed in|sign in) as|"
    r"游戏账号|遊戲帳號|username|user name|user id|userid|login|log-in|account|acct)"
    r"(\s*(?:名|是|为|為|係|:|：|=|(?<![A-Za-z])(?:is|name|id)(?![A-Za-z]))?\s*)"
    r"([A-Za-z][A-Za-z0-9_.\-]{1,29}[A-Za-z0-9_](?:@[A-Za-z0-9\-]{2,30}(?![.A-Za-z0-9]))?)(?![A-Za-z0-9_@]|\.[A-Za-z0-9])")
# A name-only login (no digit, "_" or ".") follows only a login-name label and an explicit ":" or
# "是", or stands alone after "account:" ("account: omarh / email ..."): otherwise a bare word
# is said of the account ("account: sort code", "account holder")
_ALONE_AFTER = re.compile(r"\s*(?:$|[/,;)，；）\n|])")
_LOGIN_NAME_LABEL = re.compile(r"(?i)用户名|用戶名|会员名|會員名|登录名|登錄名|username|user name|login")
# a site's own pages in a profile-like path ("/member/center", "/users/settings")
_PAGE_WORDS = frozenset("center centre settings setting profile edit login logout signin signup register reset home "
                        "index orders order me self info account dashboard security password".split())
_NICK_LABELLED = re.compile(r"(?:昵称|暱稱|用户名|用戶名|游戏账号|遊戲帳號|游戏帐号|遊戲帳户|游戏(?:ID|id)|遊戲(?:ID|id)|"
                            r"(?:游戏|遊戲)?角色名(?:称|稱)?)((?:是|为|為|係|:|：)?)\s*"
                            r"([\u4e00-\u9fffA-Za-z0-9_]{2,12}(?:#\d{3,6})?)(?=\s|$|[,，。!！?？;；、])")  # (a game's "#5521" tag too)
# with no "是" or ":" after the label, what follows may be said of the name ("昵称改不了",
# "用户名不对"), not the name: a value opening with a verb or negation is no nickname
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NICK_NOT = frozenset("改修换換不没沒无無被已怎可能要还還也都就在有会會显顯叫设設重忘找登")
_LOGIN_WORDS = ("用户", "用戶", "会员名", "會員名", "账号", "帳號", "賬號", "賬戶", "账户", "帳戶", "登录名", "登錄名", "登入名",
                "昵称", "暱稱", "角色名", "游戏id", "遊戲id", "user", "login", "log-in", "log in", "logged in", "sign",
                "account", "acct")
# a profile page on any site ("https://app.example.com/users/dan.hughes91")
# ("/account/reset" is a settings page, not a person)
_PROFILE_PATH = re.compile(r"(?i)https?://[^\s/]+/(?:users?|u|profiles?|people|members?|@)/"
                           r"([A-Za-z0-9_.\-]{3,40}[A-Za-z0-9_])(?![A-Za-z0-9_.\-])")
# an address whose road ends one line and whose house number starts the next, maybe after the
# chat's speaker tag ("[买家] 天津市南开区鞍山西道\n[买家] 192号金谷大厦1203"): the rest of that
# line is the building and the room
_ZH_ADDRESS_SPLIT = re.compile(
    r"((?:" + _N + r"{1,7}?" + _UNIT_SUFFIX + r" ?){1,5}" + _N + r"{1,8}?" + _ROAD_SUFFIX + r")[ \t]*\n[ \t]*"
    r"(?:[\[【][^\]】\n]{1,10}[\]】][ \t]*)?(" + _HOUSE_NO + r"(?:[^\s，,。；;!！?？]{0,24}[^\s，,。；;!！?？的])?)")
# a bank account read out in groups, one per line, after its label
_ACCOUNT_LINES = re.compile(
    r"(?i)(?:account|acct|账号|帳號|账户|帳戶|卡号|卡號|card)[^\n]{0,24}((?:\n[ \t]*(?:[\[【][^\]】\n]{1,12}[\]】][ \t]*)?"
    r"\d{3,6}[ \t]*(?=\n|$)){2,6})")
_ACCOUNT_WORDS = ("账号", "帳號", "帳戶", "账户", "户口", "戶口", "account", "acct")
_PERMIT_WORDS = ("通行", "回乡", "回鄉", "permit", "证件", "證件")
_TW_PERMIT_WORDS = ("台胞", "taiwan")


def _more_spans(t: str, named: dict) -> list[tuple[str, int, int, int]]:
    """What the number and address recognisers above do not see: obfuscated and non-ASCII
    emails, Hong Kong IDs and travel permits, passports written in groups, labelled chat ids
    (WeChat, QQ, LINE), labelled bank accounts and valid IBANs. Each runs only where a cheap
    test says it may match: this is on the path of every log line."""
    found: list[tuple[str, int, int, int]] = []
    add = found.append
    low = t.lower()
    if ("[at]" in low or "(at)" in low or "（at）" in low or "【at】" in low or "#" in t or "@ " in t or " @" in t or "艾特" in t
            or "老鼠" in t or "@" in t and "。" in t):
        for m in _OBFUSCATED_EMAIL.finditer(t):
            add(("EMAIL", m.start(), m.end(), 1))  # (a plain email found above goes first)
    i = low.find(" at ")
    while i >= 0:  # "wang at gmail dot com": a local part, " at ", a domain with a dot word
        m = _AT_DOMAIN.match(t, i)
        if m and (" dot " in m.group().lower() or "." in m.group()):
            a = i
            while True:
                while a > 0 and t[a - 1] in _LOCAL_CHARS and i - a < 64:
                    a -= 1
                if a > 5 and low[a - 5:a] == " dot " and t[a - 6] in _LOCAL_CHARS:  # "anna dot schmidt at ..."
                    a -= 5
                else:
                    break
            if a < i and t[a].isalnum():
                add(("EMAIL", a, m.end(), 1))
        i = low.find(" at ", i + 4)
    if "@" in t and not t.isascii():
        for m in _UNICODE_EMAIL.finditer(t):
            if not m.group().isascii():
                add(("EMAIL", m.start(), m.end(), 0))
    if "(" in t:
        for m in _HKID.finditer(t):
            add(("ID", m.start(1), m.end(1), 1))
    for m in _CODICE_FISCALE.finditer(t):  # (its shape is its own: six letters, digits and letters in turn)
        add(("ID", m.start(), m.end(), 1))
    if any(w in low for w in _PERMIT_WORDS):
        for m in _PERMIT.finditer(t):
            if _label(t, m.start(1)) != "order":
                add(("ID", m.start(1), m.end(1), 1))
    if any(w in low for w in _TW_PERMIT_WORDS):
        for m in _TW_PERMIT.finditer(t):
            if _label(t, m.start(1)) != "order" and not _date8(m.group(1)):
                add(("ID", m.start(1), m.end(1), 1))
    if _PASSPORT_NEAR.search(t) or _PASSPORT_SPACED.search(t):
        for m in _PASSPORT_GROUPED.finditer(t):
            add(("PASSPORT", m.start(1), m.end(1), 2))
    if any(w in low for w in _SOCIAL_WORDS):
        for m in _SOCIAL.finditer(t):
            v, between = m.group(2), m.group(1).lower()
            if v.lower() in _NOT_AN_ID or not v.isdigit() and re.search(r"(?<![a-z])(?:number|no|num)(?![a-z])", between):
                continue  # a "QQ number" is digits
            if v.isdigit() and re.match(r"[ \-.]?\d", t[m.end(2):m.end(2) + 2]):
                continue  # digits in groups ("WhatsApp 00852 7854 5346") are a phone's
            if _SOCIAL_LABEL.search(between) or _ID_LIKE.search(v) or not t[m.start()].isascii():
                add(("SOCIAL", m.start(2), m.end(2), 2))
    if any(w in low for w in _ACCOUNT_WORDS):
        for m in _ACCOUNT_LABELLED.finditer(t):
            d = _digits(m.group(1))
            # Card numbers in use are 15-19 digits and pass Luhn: one of that length that fails it
            # is the account's own number, and goes before a CARD read from the same digits. A
            # shorter one is still typed CARD, as tests/data/pii_labelled.jsonl has it.
            account = 15 <= len(d) <= 19 and not luhn_ok(d)
            add(("ACCOUNT", m.start(1), m.end(1), 2 if account else 3))
    for m in (_SPOKEN_DIGITS.finditer(t) if len(named.get("spoken", ())) >= 7 else ()):
        words = _DIGIT_WORD.findall(m.group().lower())
        n = sum(2 if w == "triple" else 1 for w in words)  # "double five" is two digits
        if n >= 7 and (_label(t, m.start()) == "phone" or _phone_cue(t, m.start(), m.end())):
            add(("PHONE", m.start(), m.end(), 4))
        elif n >= 7 and not _reference_before(named, m.start()):
            add(("NUMBER", m.start(), m.end(), 12))  # a number read out, nothing says whose: masked
    if "romance" in named and _ROMANCE_HINT.search(t):
        for m in _ROMANCE_ADDRESS.finditer(t):
            add(("ADDRESS", m.start(), m.end(), 6))
    if any(w in low for w in _LOGIN_WORDS):
        for m in _LOGIN_LABELLED.finditer(t):
            v, between = m.group(2), m.group(1)
            if v.lower() in _NOT_AN_ID or not (_ID_LIKE.search(v) or between.strip() and not v.isupper() and (
                    _LOGIN_NAME_LABEL.fullmatch(m.group(0)[:m.start(1) - m.start()])
                    or _ALONE_AFTER.match(t, m.end(2)))):
                continue
            add(("ACCOUNT", m.start(2), m.end(2), 5))
        for m in _NICK_LABELLED.finditer(t):
            if not m.group(1) and m.group(2)[0] in _NICK_NOT or not _CJK.search(m.group(2)):
                continue
            add(("ACCOUNT", m.start(2), m.end(2), 5))
        if "\n" in t:
            for m in _ACCOUNT_LINES.finditer(t):
                for d in re.finditer(r"\d{3,6}", m.group(1)):
                    add(("ACCOUNT", m.start(1) + d.start(), m.start(1) + d.end(), 3))
    if "://" in t and "/" in t[t.find("://") + 3:]:
        for m in _PROFILE_PATH.finditer(t):
            if m.group(1).lower() not in _PAGE_WORDS:
                add(("SOCIAL", m.start(1), m.end(1), 6))
    if "\n" in t and _ZH_HINT.search(t):
        for m in _ZH_ADDRESS_SPLIT.finditer(t):
            add(("ADDRESS", m.start(1), m.end(1), 6))
            add(("ADDRESS", m.start(2), m.end(2), 6))
    if "Unit" in t or "Apt" in t or "Suite" in t or "Ste" in t or "Apartment" in t or " #" in t:
        for m in _EN_UNIT_ADDRESS.finditer(t):
            add(("ADDRESS", m.start(), m.end(), 6))
    if _IBAN_HINT.search(t):
        for m in _IBAN.finditer(t):
            if _iban_ok(m.group(1)):
                add(("ACCOUNT", m.start(1), m.end(1), 3))
    return found


# A role address names a desk, not a person ("support@…", "billing@…", "customer-service@…"): the
# company's own, or a shop's, is not personal data. A desk a customer's own business has
# ("accounts@", "finance@", "office@", "admin@") is the customer's, and is masked. The local part is a role word, or words
# joined by "-" or "_" that end in one; at a public mailbox provider it is still someone's.
_ROLE_WORDS = frozenset(
    "service services support help helpdesk info information contact contacts enquiry enquiries inquiry "
    "inquiries billing sales care customercare customerservice cs kefu noreply donotreply webmaster postmaster "
    "hostmaster abuse security privacy feedback complaint complaints order orders return returns refund kf "
    "refunds".split())
_FREE_MAIL = frozenset("gmail googlemail outlook hotmail live msn yahoo ymail icloud me mac aol proton protonmail pm qq "
                       "foxmail 163 126 yeah sina sohu 139 189 aliyun netvigator gmx yandex".split())
_ROLE_LOCAL = re.compile(r"(?i)(?:[a-z0-9]+[_\-])*([a-z]+)")
_LOCAL_PART = re.compile(r"(?i)([^@#\s\[(（]+)(?:\s*@|\s+at\s|\s*[\[(（]at[\])）]|#)(.*)")


def _role_address(value: str) -> bool:
    m = _LOCAL_PART.match(value)
    if not m or re.split(r"[\s.\[(（点點]", m.group(2).strip().lower(), 1)[0] in _FREE_MAIL:
        return False
    r = _ROLE_LOCAL.fullmatch(m.group(1))
    return bool(r) and r.group(1).lower() in _ROLE_WORDS


# Values after their label -----------------------------------------------------------------------
# Whatever a value's format, a label right before it says what it is: "身分證字號K2598 00370",
# "港澳通行证C 6209 8175", "Macau ID 1/584027/3", "收款账户变更为 3100 1598 …", "V信Lmy_0712",
# "抖音号meimei_daily", "IG：@lulu.bakes.tw". The recognisers above know the formats; this one
# knows the labels, so a format nobody listed is still masked when it is labelled. Between label
# and value only punctuation and number words ("号码", "number", "is", "changed to").
_VALUE_LABELS = {
    "ID": ["身份证", "身份證", "身分證", "身分证", "身份证明", "身份證明", "证件", "證件", "证件号", "證件號", "證號", "证号", "hkid",
           "hk id", "hong kong id", "macau id", "macao id", "taiwan id", "national id", "resident id", "identity card",
           "id card", "id number", "id no", "ssn", "social security", "ni number", "national insurance", "nric",
           "medicare", "medicare card", "nhs number", "kra pin", "医保卡", "醫保卡", "社保卡", "健保卡", "医保卡号", "社保卡号",
           # travel and residence permits, driving licences
           "通行证", "通行證", "回乡证", "回鄉證", "回乡卡", "回鄉卡", "台胞证", "台胞證", "居留证", "居留證", "居留许可", "居留許可", "居住证",
           "居住證", "驾照", "駕照", "驾驶证", "駕駛證", "驾驶执照", "駕駛執照", "档案编号", "檔案編號", "permit", "driver's license",
           "driver's licence", "drivers license", "drivers licence", "driving licence", "driving license",
           "licence number", "license number", "licence no", "license no", "driver license", "driver licence",
           "social", "nino", "ni", "pr card", "green card", "brp", "residence card", "居留卡", "绿卡", "綠卡",
           # other countries' ids by their own names
           "codice fiscale", "carta d'identità", "carta di identità", "personalausweis", "personalausweis-nr",
           "ausweisnummer", "steuer-id", "steuernummer", "carte d'identité", "numéro fiscal", "dni", "nie", "nif",
           "cédula", "cedula", "curp", "rfc", "cpf", "rut", "bsn", "pesel", "personnummer", "aadhaar", "pan card",
           "mykad", "ic number", "nik", "ktp", "my number", "マイナンバー", "주민등록번호", "sin", "tfn", "ird number",
           "emirates id", "iqama", "id-nr", "ausweis"],
    "PASSPORT": ["护照", "護照", "passport"],
    "ACCOUNT": ["银行账号", "銀行帳號", "银行账户", "銀行帳戶", "收款账户", "收款帳戶", "收款账号", "收款帳號", "账号", "帳號",
                "賬號", "账户", "帳戶", "賬戶", "帐号", "帐户", "银行帐号", "收款帐户",  # (帐: 帳 simplified by OpenCC)
                "户口", "戶口", "卡号", "卡號", "银行卡", "銀行卡", "account number", "a/c", "a/c no", "a/c number",
                "account no", "acct", "acc", "bank account", "iban", "bsb", "sort code", "sort", "fps", "轉數快",
                "识别码", "識別碼"],
    # a member's or a loyalty scheme's number names the customer, like an account's
    "MEMBER": ["会员号", "會員號", "会员编号", "會員編號", "会员卡号", "會員卡號", "会员卡", "會員卡", "会员账号", "會員帳號",
               "会员号码", "會員號碼", "积分卡", "積分卡", "member", "membership", "member id", "member number",
               "membership number", "membership no", "member no", "loyalty", "loyalty number", "loyalty card",
               "rewards number", "clubcard", "nectar", "aadvantage", "frequent flyer", "skymiles", "skywards",
               "krisflyer", "asia miles", "mileageplus", "avios", "costco", "会员id", "會員id", "会员uid",
               "consumer no", "consumer number", "customer no", "customer number", "学员编号", "學員編號", "学号", "學號",
               "student id", "student number", "病历号", "病歷號", "病历号码", "病歷號碼", "就诊卡号", "就診卡號", "patient id",
               "medical record number", "mrn", "用户编号", "用戶編號", "客户编号", "客戶編號"],
    # a bank's name before a long number: "國泰世華 0125-0808-7731-29", "HSBC 004-123456-838"
    "BANK": ["银行", "銀行", "bank", "工行", "建行", "农行", "農行", "中行", "招行", "交行", "中银", "中銀", "匯豐", "汇丰",
             "恒生", "渣打", "东亚", "東亞", "国泰世华", "國泰世華", "中信", "中國信託", "中国信托", "玉山", "台新", "富邦",
             "兆豐", "兆丰", "合庫", "華南", "永豐", "郵局", "邮局", "hsbc", "chase", "barclays", "lloyds", "natwest",
             "santander", "citi", "citibank", "wells fargo", "monzo", "revolut", "dbs", "ocbc", "boc"],
}
_HANDLE_LABELS = ["微信", "微信号", "微信號", "v信", "vx", "wx", "威信", "薇信", "qq", "扣扣", "line", "telegram", "tg",
                  "电报", "電報", "whatsapp", "skype", "signal", "viber", "kakao", "kakaotalk", "支付宝", "支付寶", "alipay",
                  "微博", "weibo", "小红书", "小紅書", "抖音", "douyin", "快手", "tiktok", "instagram", "insta", "ig",
                  "twitter", "facebook", "fb", "threads", "脸书", "臉書", "discord", "wechat", "weixin", "wxid",
                  "ptt", "钉钉", "釘釘", "钉钉号", "dingtalk", "淘宝", "淘寶", "蝦皮", "虾皮", "shopee", "闲鱼", "閒魚",
                  "賴", "赖", "cash app", "cashapp", "venmo", "reddit", "snapchat", "linkedin", "dcard", "youtube",
                  # a login on any site: its value must look like an id
                  "账号", "帳號", "賬號", "帐号", "username", "user name", "user id", "userid", "login", "用户名", "用戶名",
                  "登录名", "登錄名", "登入名", "登陆名", "登陸名", "登录账号", "登入帳號", "login name", "login id", "user",
                  "account", "my account", "acct", "my acct",
                  # a player's or a member's name on a platform
                  "昵称", "暱稱", "昵稱", "uid", "steam", "steam id", "gamertag", "psn", "xbox", "epic id", "riot id",
                  "battle.net", "roblox", "nintendo id", "apple id", "icloud", "google account",
                  "阿里旺旺", "旺旺", "payme", "好友代码", "好友代碼", "friend code", "游戏id", "遊戲id",
                  "绿泡泡", "綠泡泡", "snap", "账号名", "帳號名", "账户名", "帳戶名",
                  # WeChat as sellers write it: "加我v dawei_0913", "v：hanmei1992", "加V xiaomei-1314"
                  "加v", "加我v", "加个v", "加個v", "v:", "v：", "vx号", "wx号",
                  "加薇", "加我薇", "薇信", "威信",  # (the same, in characters that dodge a filter)
                  "➕v", "+v", "v❤", "v❤️", "薇❤", "薇❤️", "v💚", "kik"]  # ("➕V lily_2023", "v❤ momo_88")
_VALUE_FILLER = ["吧", "我", "加我", "加一下", "後面是", "后面是", "號碼係", "号码是", "号码", "號碼", "号", "號", "码", "碼", "字号", "字號", "编号", "編號", "证号", "證號", "是", "为", "為",
                 "係", "系", "喺", "变更为", "變更為", "改为", "改為", "改成", "换成", "換成", "更新为", "更新為", "账号",
                 "帳號", "帐号", "用户名", "用戶名", "id", "number", "no", "num", "nr", "is", "was", "to", "handle", "username",
                 "user name", "account", "name", "changed to", "now", "me", "on", "at"]
_VALUE_GAP = r"(?:[\s:：#＃=,，(（「『\"“'‘\-–—.]|" + _reversed_words(_VALUE_FILLER) + r")*"
_VALUE_LABEL_BEFORE = re.compile(
    _VALUE_GAP + "(?:" + "|".join(f"(?P<{k}>{_reversed_words(w)})" for k, w in
                                  [*_VALUE_LABELS.items(), ("SOCIAL", _HANDLE_LABELS)]) + ")")
# a number-like value: letters, then digits in groups (a group after a space starts with a
# digit), maybe a check digit in brackets: "K2598 00370", "1/584027/3", "Y278775 8", "7165432(1)"
_ID_VALUE = re.compile(r"(?<![0-9A-Za-z])(?:[A-Za-z]{1,5}-?|[A-Z]{1,2} )?\d(?:[0-9A-Za-z]|[\-/.](?=[0-9A-Za-z])|[ \n](?=\d))*"
                       r"(?: ?\([0-9A-Za-z]\)| [A-Z])?(?![0-9A-Za-z])")
# a chat or social id: "@lulu.bakes.tw", "hk_ivyng_88", "459201837", "@吃货小王的日常"
_HANDLE_VALUE = re.compile(r"[@$]?[A-Za-z0-9][A-Za-z0-9_.\-]{1,40}[A-Za-z0-9_](?:#\d{4})?"
                           r"|@[\w\u4e00-\u9fff\u3400-\u4dbf]{2,24}")
# a profile link ("linkedin.com/in/…", "facebook.com/profile.php?id=…") or a Reddit user
_PROFILE_LINK = re.compile(
    r"(?i)(?<![A-Za-z0-9_\-])(?:https?://)?(?:www\.|m\.|mobile\.)?(?:facebook|fb|instagram|linkedin|twitter|x|tiktok|weibo|threads|"
    r"xiaohongshu|douyin|youtube|reddit|github|pinterest|snapchat)\.com/(?!(?:help|about|legal|privacy|policies|"
    r"terms|business|home|explore|login|search|hashtag|share)\b)[^\s,，。;；)）\]】>\"'“”]{2,80}"
    r"|(?<![\w/])u/[A-Za-z0-9_\-]{3,20}(?![\w/])"
    r"|(?i:paypal\.me|cash\.app|venmo\.com(?:/u)?)/[$A-Za-z0-9_.\-]{2,40}[A-Za-z0-9_]"
    r"|(?i:t\.me|telegram\.me|line\.me/ti/p)/[~@A-Za-z0-9_\-]{4,40}")
# an email read out (a voice transcript): "邮箱是 w a n g l e i 八八 at 一六三 点 com",
# "email 係 wing 底線 ling 八九 at gmail 點 com", "邮箱:yang 在 qq点com": after an email label, to its ending
_SPOKEN_EMAIL = re.compile(
    r"(?i)(?:邮箱|郵箱|信箱|电邮|電郵|e-?mail|mail)(?:前缀|前綴)?\s*(?:是|係|为|為|:|：|is|address is)?\s*"
    r"((?:[a-z0-9_.\-]|\s|底线|底線|下划线|下劃線|点|點|dot|underscore|[零〇一幺么二两三四五六七八九]){2,60}?"
    r"\s*(?:at|艾特|小老鼠|老鼠|@|在)\s*(?:[a-z0-9\-]|\s|[零〇一幺么二两三四五六七八九]){2,30}?"
    r"\s*(?:点|點|dot|\.)\s*(?:com|net|org|edu|cn|hk|tw|sg|uk|co)(?:\s*(?:点|點|dot|\.)\s*(?:cn|hk|tw|uk|sg))?)(?![a-z])")
_EMAIL_WORD = re.compile(r"(?i)mail|邮|郵|箱")  # (the label's words, before the long regex runs)
# a payment address with no domain ending: an Indian UPI id ("rahul.k@okhdfcbank", "98203…@ybl")
_PAYMENT_ID = re.compile(r"(?<![A-Za-z0-9._%+@-])[A-Za-z0-9][A-Za-z0-9._\-]{1,40}@[A-Za-z]{2,20}(?![A-Za-z0-9.@\-])")
# an Indian PAN ("ABCPK4821F") and a Singapore NRIC / FIN ("F3636615W")
_FIXED_ID = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{5}\d{4}[A-Z]|[STFGM]\d{7}[A-Z])(?![A-Za-z0-9])")
# Taiwan's e-invoice phone barcode (手機條碼載具): a slash and seven of 0-9 A-Z + - . ; it names
# its owner. After its label only: "/K8Q2.P3" could be a path anywhere else.
_CARRIER = re.compile(r"(?:載具|载具|手機條碼|手机条码|carrier)[^/\n]{0,8}(/[0-9A-Z+\-.]{7})(?![0-9A-Za-z+\-])")
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[a-z0-9]{6,24}(?![A-Za-z0-9_])")
# an @handle anywhere: a person on a social network ("@mikeyb_reviews", "Instagram @lenakdesigns",
# "@momo在吃饭" running on into Chinese up to a space or a stop)
_AT_HANDLE = re.compile(r"(?<![A-Za-z0-9_.@])@[A-Za-z0-9_](?:[A-Za-z0-9_]|\.(?=[A-Za-z0-9_])){1,30}"
                        r"(?:[\u4e00-\u9fff]{1,12}(?=[\s,，。!！?？]|$))?(?![\w@(])")  # ("@SUM(A1)" is a formula)
_PHONE_LIKE = re.compile(r"\+?\d+(?:[\-.]\d+)+")
_STOP_WORDS = frozenset("me us you him her them it is was the a an and or to at on in my your our if for of with "
                        "please pls thanks thank ok okay but so".split())


_GENERIC_NUMBER_BEFORE = re.compile(r"(?i)(?:号码|號碼|证号|證號|number|no\.?)\s*[:：#]?\s*\Z")
_VALUE_NOUN_KIND = {w: k for k, words in _VALUE_LABELS.items() for w in words if k not in ("ACCOUNT", "BANK", "MEMBER")}
_VALUE_NOUN = re.compile("(?i)" + "|".join(re.escape(w) for w in sorted(_VALUE_NOUN_KIND, key=len, reverse=True)))


_GROUP_BEFORE = re.compile(r"(?<!\d)\d{1,4}[ \-]\Z")
_GROUP_AFTER = re.compile(r"[ \-]\d{1,4}(?!\d)")


def _in_longer_run(t: str, s: int, e: int) -> bool:
    """A short digit group touches the number on either side: it is a piece of a longer grouped number."""
    return bool(_GROUP_BEFORE.search(t, max(0, s - 6), s) or _GROUP_AFTER.match(t, e))


# words that say a number is a reference, not a person's (looked for just before it, or after)
_REFERENCE_WORDS = (
    "version", "ver", "v", "build", "firmware", "flight", "booking", "pnr", "error", "err", "code", "policy", "ticket",
    "case", "ref", "reference", "order", "invoice", "tracking", "consignment", "sku", "model", "part", "serial", "s/n",
    "imei", "batch", "barcode", "claim", "complaint", "meeting", "request", "delivery", "timestamp", "ein", "abn",
    "vat", "uen", "gst", "rma", "receipt", "transaction", "txn", "appointment",
    "版本", "韌體", "固件", "航班", "预订", "預訂", "错误", "錯誤", "故障", "代码", "代碼", "保单", "保單", "条码", "條碼",
    "批号", "批號", "工单", "工單", "案件", "型号", "型號", "编码", "編碼", "编号", "編號", "序号", "序號", "单号", "單號",
    "客票", "票号", "票號", "识别号", "識別號", "统一编号", "統一編號", "时间戳", "時間戳", "投诉单", "投訴單", "客訴單",
    "报案", "報案", "预约", "預約", "取件码", "取件碼", "保修卡", "保固", "交易", "流水", "快递", "快遞",
    "物流", "运单", "運單", "追蹤", "追踪", "报关", "報關", "发票", "發票", "订单", "訂單", "isbn", "ip", "ts", "usps", "ups",
    "fedex", "dhl", "shipping label", "label", "event", "session", "coupon", "voucher", "promo", "gift card",
    "ifsc", "swift", "bic", "routing", "联行号", "聯行號", "行号", "行號",  # (a bank's branch code is the bank's)
    # a meeting's number, and a courier's name before its waybill number
    "会议", "會議", "zoom", "teams", "webex", "申通", "韵达", "韻達", "圆通", "圓通", "中通", "顺丰", "順豐", "极兔", "極兔",
    "德邦", "邮政", "郵政", "ems", "黑猫", "黑貓", "宅急便", "新竹物流", "嘉里", "yamato", "royal mail", "evri", "hermes",
    "dpd", "parcelforce", "canada post", "sf express")


def _label_automaton():
    import ahocorasick  # one pass over the text finds every label (a regex of ninety names costs 4x)

    kinds: dict[str, set[str]] = {}  # a word may be a label of several kinds ("账号": a login and an account)

    def add(kind: str, words) -> None:
        for w in words:
            kinds.setdefault(w, set()).add(kind)

    add("handle", _HANDLE_LABELS)
    add("address", ("address", "地址", "住址", "寄到", "寄去", "寄往", "送到", "送去", "送往", "我住", "住在", "住喺", "家住", "ship", "deliver", "delivery", "send", "moved", "moving", "move", "live",
                    "living", "stay", "staying", "addres", "adress", "addr",
                    "mail", "post"))
    for words in _VALUE_LABELS.values():
        add("value", words)
    add("value", ("号码", "號碼", "证号", "證號", "number", "no"))
    add("reference", _REFERENCE_WORDS)
    add("phone", _LABELS["phone"])
    add("spoken", ("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))
    add("romance", ("rue", "avenue", "av.", "boulevard", "boul.", "bd", "chemin", "allée", "impasse", "calle", "c/",
                    "avenida", "avda", "via", "viale", "piazza", "rua", "praça", "route"))
    a = ahocorasick.Automaton()
    for w, ks in kinds.items():
        a.add_word(w, (tuple(sorted(ks)), w))
    a.make_automaton()
    return a


_LABEL_AC = _label_automaton()


def _labels_in(low: str) -> dict[str, list[tuple[int, str]]]:
    """The labels in lower-cased text by kind, each as (end offset, word); an English word only
    on its own (not "line" of "online", "ig" of "big")."""
    out: dict[str, list[tuple[int, str]]] = {}
    for last, (kinds, w) in _LABEL_AC.iter(low):
        end, start = last + 1, last + 1 - len(w)
        if w.isascii() and ((start and low[start - 1].isascii() and (low[start - 1].isalpha() or low[start - 1] == "_"))
                            or (end < len(low) and w[-1].isalnum() and low[end].isascii()
                                and (low[end].isalpha() or low[end] == "_"))):  # ("v:hanmei1992": a colon ends a label)
            continue  # (nor "account" of "freeze_account", an identifier)
        for kind in kinds:
            out.setdefault(kind, []).append((end, w))
    return out


_ATTACHED_LABELS = frozenset(["uid", "qq", "user id", "userid"])
_ATTACHED_IDS = frozenset(["加v", "加我v", "加个v", "加個v", "加薇", "加我薇"])  # "加我vdawei_0913": an id-like value may touch them  # "UID117093842" (not "WX330-TW-BK", a part number)
_SAID_GAP = re.compile(r"(?:\s*[:：]\s*|\s*(?:是|为|為|係)\s*[:：]?\s*)?")  # ("帳號wuchiahao", "帳號是 wuchiahao", not "帳號 password 忘了")
_LOGIN_LABELS = frozenset(["账号", "帳號", "賬號", "帐号", "用户名", "用戶名", "登录名", "登錄名", "登入名", "登陆名",
                           "登陸名", "登录账号", "登入帳號"])
_VALUE_GAP_AFTER = re.compile(r"(?:[\s:：#＃=,，(（「『\"“'‘\-–—.\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]|" + "|".join(
    (r"(?<![a-z])" + re.escape(w) + r"(?![a-z])") if w.isascii() else re.escape(w)
    for w in sorted(_VALUE_FILLER, key=len, reverse=True)) + r")*")
_HANDLE_BEFORE = re.compile(r"[A-Za-z0-9_.@$]")
# a few words, then a colon: "username on your site: kimberly_r_1990", "LINE (personal): …"
_WORDS_THEN_COLON = re.compile(r"(?:\s*\(?[a-z']{1,10}\)?){1,4}\s*[:：]\s*"
                               r"|(?:\s+[a-z']{1,10}){1,4}?\s+(?:is|was)\s+")  # ("username on your site is …")
# a login or a shop name in Chinese and Latin letters: "甜甜圈de小窝", "momo_購物狂_77", "小兔子乖乖2015"
_MIXED_HANDLE = re.compile(r"[A-Za-z0-9_\u4e00-\u9fff\u3400-\u4dbf]{3,24}(?![A-Za-z0-9_\u4e00-\u9fff])")
_MIXED_LATIN = re.compile(r"_|(?!id(?![a-z]))[a-z]{2}|\d{3}", re.I)
_NOT_MIXED = re.compile(r"[后後尾末前]|.*[码碼号號位]\d")  # "後五碼12345": a number's last digits, said
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")


def _value_label(t: str, start: int) -> str | None:
    m = _VALUE_LABEL_BEFORE.match(t[max(0, start - 30):start][::-1].lower())
    return m.lastgroup if m else None


# An address after its label, to the end of its sentence (a Chinese one to the end of its clause):
# whatever its country's format ("address is RR 2 Box 148, Hazard, KY 41701", "address Rua de
# Pedro Coutinho, No. 27, …, Macau"), if it holds a number.
_ADDRESS_LABEL = re.compile(
    r"(?i)(?:(?<![a-z_])(?:(?:home|mailing|postal|delivery|shipping|billing|new|my)\s+)?address(?![a-z_])(?:\s+is)?"
    r"|(?<![a-z])(?:ship|deliver|delivery|send|mail|post)(?:\s+[a-z']+){0,3}?\s+to"
    r"|(?<![a-z])(?:moved|moving|move)\s+to|(?<![a-z])(?:i\s+)?(?:live|living|stay|staying)\s+at"
    r"|(?<![a-z])(?:addres|adress|addr)\.?"
    r"|地址|住址|寄到|寄去|寄往|送到|送去|送往|我住在|我家住在|我住喺|我住|住在|住喺|家住)(?:\s*(?:是|为|為|係|:|：|-|=)\s*|\s+|(?<=[址到去往住在喺])(?=[\u4e00-\u9fff]))")
_ADDRESS_CLAUSE_ZH = re.compile(r"[^\n。！？!?；;，,\"\\]{6,60}")
_ADDRESS_LAST_ZH = re.compile(r"\d+\s?[A-Za-z]?\s?(?:号楼|號樓|单元|單元|号|號|楼|樓|层|層|室|座|栋|棟|房|户|戶|F)"
                              r"(?:\s?[A-Za-z]\s?(?:座|室))?(?:\s?\d{2,4}(?!\s?[\d号號楼樓层層室]))?")
_ADDRESS_START = re.compile(r"[0-9A-Z#\u4e00-\u9fff]")  # an address after "ship to" starts like one
# (never over a quote or a backslash: masking runs on JSON text too, and must not cut its strings)
_ADDRESS_TAIL_EN = re.compile(r"[^\n。！？!?；;—\"\\]{8,160}?(?=[\n。！？!?；;\"\\]|\s[—–-]\s|\s\(|$"
                              r"|,?\s(?i:phone|ph|tel|mobile|cell|email|e-mail)\b)")  # (the next label ends it)
# a full stop ends the address unless it ends an abbreviation ("No. 27", "Edf. Hoi Fu", "St. Mary")
_FULL_STOP = re.compile(r"(?<![A-Za-z])([A-Za-z]+)\.\s")
_ABBREVIATIONS = frozenset("no edf ed st rd ave apt blk bldg fl flr dr ln sec mt ft av bd blvd ste rm twr lvl n s e w "
                           "ne nw se sw dist".split())
# (a space only next to a number: "民治大道 1079 号")
_ADDRESS_TAIL_ZH = re.compile(r"(?:[^\n。！？!?；;，,\s\"\\]|(?<=\d) (?=\S)| (?=\d)){6,60}")
def _labelled_values(t: str, named: dict) -> list[tuple[str, int, int, int]]:
    found: list[tuple[str, int, int, int]] = []
    add = found.append
    if "@" in t:
        for m in _AT_HANDLE.finditer(t):
            add(("SOCIAL", m.start(), m.end(), 8))
    if ".com/" in t or "u/" in t or ".me/" in t or ".app/" in t:
        for m in _PROFILE_LINK.finditer(t):
            add(("SOCIAL", m.start(), m.end(), 7))
    for m in (_SPOKEN_EMAIL.finditer(t) if _EMAIL_WORD.search(t) else ()):
        add(("EMAIL", m.start(1), m.end(1), 5))
    if "@" in t:
        for m in _PAYMENT_ID.finditer(t):
            add(("ACCOUNT", m.start(), m.end(), 9))
    for m in _FIXED_ID.finditer(t):
        add(("ID", m.start(), m.end(), 6))
    if "wxid_" in t:
        for m in _WXID.finditer(t):
            add(("SOCIAL", m.start(), m.end(), 6))
    if "/" in t:
        for m in _CARRIER.finditer(t):
            add(("ACCOUNT", m.start(1), m.end(1), 8))
    for m in (_ID_VALUE.finditer(t) if "value" in named else ()):
        d = len(_digits(m.group()))
        if d < 4 or d > 34:
            continue
        start = m.start()
        kind = _value_label(t, start)
        if kind is None and _GENERIC_NUMBER_BEFORE.search(t, max(0, start - 8), start):
            # "能用回乡证实名吗？号码H60218834": a bare "number" label, its noun just before
            nouns = _VALUE_NOUN.findall(t, max(0, start - 40), start)
            kind = _VALUE_NOUN_KIND.get(nouns[-1].lower()) if nouns else None
        if kind is None and not t[start].isdigit():  # "Macau ID 1/584027/3": the letters were the label's
            start = next(i for i in range(start, m.end()) if t[i].isdigit())
            kind = _value_label(t, start)
        if kind in (None, "SOCIAL") or _label(t, start) == "order":
            continue
        if kind == "BANK":  # a bank's name says a long number is an account
            if d < 10:
                continue
            kind = "ACCOUNT"
        if kind == "MEMBER":  # ("AAdvantage number 7KX29P4": a scheme's numbers are short)
            kind, d = "ACCOUNT", max(d, 6)
        mixed_id = kind == "ID" and d >= 3 and len(m.group()) >= 8 and m.group().isalnum()  # ("L01X7RT45")
        if kind == "PASSPORT" and d < 4 or kind != "PASSPORT" and d < 6 and not mixed_id:
            continue  # (a German passport has as few as four digits: "C4X9R2F71")
        add((kind, start, m.end(), 8))
    low = t.lower()
    for lm in (_ADDRESS_LABEL.finditer(t) if "address" in named else ()):
        at = lm.end()
        zh = at < len(t) and "\u4e00" <= t[at] <= "\u9fff"
        tail = (_ADDRESS_TAIL_ZH if zh else _ADDRESS_TAIL_EN).match(t, at)
        if zh and (tail is None or not _DIGIT.search(t, at, tail.end())):
            # spaces between its parts: "…大馬路 海洋花園 紫羅蘭閣 15樓D座", "新界元朗 朗屏邨 玉屏樓 2座 9樓 906 室"
            wide = _ADDRESS_CLAUSE_ZH.match(t, at)
            last = [m.end() for m in _ADDRESS_LAST_ZH.finditer(t, at, wide.end())] if wide else []
            if last:
                add(("ADDRESS", at, last[-1], 9))
            continue
        if tail is None or (lm.group().lower().rstrip().endswith("to") and not _ADDRESS_START.match(t, at)):
            continue  # "the delivery to my office was late by 3 days": a place, not an address
        end = tail.end()
        for stop in _FULL_STOP.finditer(t, at, end):
            if stop.group(1).lower() not in _ABBREVIATIONS:
                end = stop.start() + len(stop.group(1))
                break
        if end - at >= 6 and _DIGIT.search(t, at, end):
            add(("ADDRESS", at, end, 9))
    for end, word in named.get("handle", ()):  # each app name, then its value
        g = _WORDS_THEN_COLON.match(low, end) or _VALUE_GAP_AFTER.match(low, end)
        mixed = _MIXED_HANDLE.match(t, g.end())
        if (mixed and _CJK.search(mixed.group()) and _MIXED_LATIN.search(mixed.group())
                and not _NOT_MIXED.match(mixed.group())
                and not (g.end() and _HANDLE_BEFORE.match(t, g.end() - 1))):
            add(("SOCIAL", mixed.start(), mixed.end(), 8))
            continue
        v = _HANDLE_VALUE.match(t, g.end())
        if not v or (v.start() and _HANDLE_BEFORE.match(t, v.start() - 1)
                     and not (v.start() == end and t[end].isdigit() and word in _ATTACHED_LABELS)
                     and not (v.start() == end and word in _ATTACHED_IDS and _ID_LIKE.search(v.group()))):
            continue
        value = v.group().rstrip("._-")
        bare = value.lstrip("@$")
        if (value.lower() in _STOP_WORDS or value.lower() in _NOT_AN_ID or len(bare) < (5 if bare.isascii() else 2)
                or _PHONE_LIKE.fullmatch(value)):
            continue  # an id is five characters or more; "1-800-555-0100" after "line is" is a number
        # an English app name is an everyday word too ("LINE is down", "my fb friends"), and a
        # login is any site's: the value must look like an id; after a Chinese app name a bare
        # name is one ("加我微信 zhangsan")
        if (word.isascii() or word in _LOGIN_LABELS) and not (value[0] in "@$" or _ID_LIKE.search(value)
                                                               or not word.isascii() and bare.isalpha()
                                                               and _SAID_GAP.fullmatch(t, end, v.start())):
            continue  # (a Latin word straight after a Chinese login label is the login: "帳號wuchiahao")
        add(("SOCIAL", v.start(), v.start() + len(value), 8))
    return found


# Numbers nothing vouches for ------------------------------------------------------------------
# The recognisers above know formats and labels; a format or label nobody listed still gets
# through them ("FIN G4288250Q", "139👉1146👉0258", "Aadhaar 7636 5630 9355"). So the last pass
# turns the question round: a run of six or more digits (maybe with letters, and whatever
# separates its groups: spaces, dashes, dots, "&nbsp;", an emoji) is masked as NUMBER unless
# something vouches for it as not a person's: a label of an order, tracking, invoice, model or
# hotline number before it, a version, flight, booking, error or policy word, the shape of a
# date, a time or an amount, a company hotline, or the ticket's own order number (`keep`).
_RUN_SEP = r"(?:[\-._](?=[0-9A-Za-z])|/(?=\d)|(?:[ \t()（）]|&nbsp;|[^\w\s:：,，。;；!?！？\"'“”「」<>]){1,6}(?=\d))"
_RUN = re.compile(r"(?<![0-9A-Za-z])(?:[A-Za-z]{1,5}-?)?\d(?:" + _RUN_SEP + r"?[0-9A-Za-z])+")
_RUN_DIGITS = 6
_RUN_TRIM = " \t-./_(（"
# ... or just after it: "C12345678 is my booking", "12345678是订单号"
_VOUCH_AFTER = re.compile(r"(?i)\s*(?:号|號|is|was|是|为|為|係)?\s*(?:my|the|our|your|我的|你们的|你們的)?\s*(?:" + "|".join(
    (re.escape(w) + r"(?![a-z])") if w.isascii() else re.escape(w)
    for w in sorted(_REFERENCE_WORDS, key=len, reverse=True) if len(w) > 2 or not w.isascii()) + ")")
# a list after one label: "运单SF1234567890123，YT9876543210987"
_LIST_GAP = re.compile(r"\s*(?:[,，、/;；]|和|及|与|與|and|or|&)\s*\Z")
_IPV4 = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")
_DATE_TIME = re.compile(r"(?:(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d{2}"
                        r"|1\d{2}/\d{1,2}/\d{1,2}|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"  # (a Taiwan date in the Minguo year: 113/06/11)
                        r"(?:[ T]\d{1,2}(?:[:.]\d{2}){0,2})?")
_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+\.\d{1,2}|\d{1,3}\.\d+")  # (a score: 0.9876543)
# parcel numbers of the post (UPU S10: "EE123456789IN") and request ids (UUIDs)
_REFERENCE_SHAPE = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}|[A-Z]{4}0[A-Z0-9]{6}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                             r"|(?=[0-9a-f]*[a-f])[0-9a-f]{32}")  # (and a system's own hex ids: a draft's, in a logged path)


def _enumeration(digits: str) -> bool:
    """1 2 3 4 5 6 7 8: counting, not a number."""
    return all(int(b) - int(a) == 1 for a, b in zip(digits, digits[1:]))


_GENERIC_REFERENCE = frozenset(("编号", "編號", "编码", "編碼", "序号", "序號", "number", "code"))


def _reference_before(named: dict, s: int) -> bool:
    """A reference word ("订单", "tracking", "版本") ends in the 16 characters before `s`; a
    generic one ("编号", "number") only when no personal label comes just before it
    ("驾驶证档案编号", "藍卡）編號" are a licence's and a permit's numbers)."""
    personal = [end for kind in ("value", "handle") for end, _ in named.get(kind, ())]
    for end, w in named.get("reference", ()):
        if s - 16 <= end <= s and not (w in _GENERIC_REFERENCE and any(end - len(w) - 12 <= p <= end for p in personal)):
            return True
    return False


def _vouched(t: str, v: str, s: int, e: int, named: dict, piece: bool = False) -> bool:
    """Something says the number [s, e) is not a person's. A `piece` of a value is not taken
    for counting by its own digits ("1234" of "138 / 1234 / 5678")."""
    d = _digits(v)
    core = v.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")  # ("IP172.16.8.20")
    if " " in v and all(_DATE_TIME.fullmatch(p) for p in v.split()):
        return True  # dates side by side ("15/05/2026 2026-11-22")
    return bool(_reference_before(named, s) or _label(t, s) in ("order", "hotline")
                or _VOUCH_AFTER.match(t, e) or _HOTLINE_AFTER.match(t, e) or _DATE_TIME.fullmatch(core) or _DECIMAL.fullmatch(v)
                or _REFERENCE_SHAPE.fullmatch(v) or _IPV4.fullmatch(core) or _hotline(v)
                or len(d) == 8 and d == v and _date8(d) or not piece and _enumeration(d)
                or _CURRENCY_BEFORE.search(t, max(0, s - 5), s) or _UNIT_AFTER.match(t, e))


_HOUR_AT_END = re.compile(r"[ T(（]\s*\d{1,2}\Z")


def _before_hour(t: str, s: int, e: int) -> int:
    """Where the number [s, e) ends when its last group is the hour of a time that follows
    ("2026 18" of "2026 18:07", "(9" of "(9:00-21:00)"): that group is not the number's."""
    if t[e:e + 1] in (":", "："):
        hour = _HOUR_AT_END.search(t, s, e)
        if hour:
            return hour.start()
    return e
_ADDRESS_GAP = re.compile(r"(?:[^\n。！？!?；;.]|\.(?!\s)){0,40}\Z")


def _joined(t: str, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A number later in an address's sentence is its postcode ("…Ave 6, #08-123, Singapore
    560123"): the address runs to it."""
    out: list[tuple[str, int, int]] = []
    for kind, s, e in spans:
        if kind == "NUMBER" and out and out[-1][0] == "ADDRESS" and _ADDRESS_GAP.match(t[out[-1][2]:s]):
            out[-1] = ("ADDRESS", out[-1][1], e)
            continue
        out.append((kind, s, e))
    return out


# A value given in pieces, over several chat messages or with a pause: "my SSN is 451-22-" …
# "8093"; "身分證前半 H2093" … "再打後半 46767"; "my mobile starts with 0405" … "then 118" … "362".
# After a personal label whose value is too short to be whole, and a sign that more is coming
# (a word such as "then" or "後半", a dangling dash), every digit group in the next few lines is
# a piece of it.
_PIECE_CUE = re.compile(r"(?i)(?<![a-z])(?:starts? with|begins? with|first|then|next|rest|last|second|remaining)(?![a-z])|"
                        r"後半|后半|後面|后面|前半|前面|前几位|前幾位|接下來|接下来|然後|然后|再打|剩下|後幾位|后几位")
_PIECE_NOT = re.compile(r"\s*(?:分钟|分鐘|小时|小時|天|日|次|个|個|件|元|块|塊|min|minutes?|hours?|days?|times?|items?|pcs)", re.I)
_EMERGENCY = frozenset(("110", "119", "120", "122", "911", "999", "112", "000", "995"))
_PIECE_WINDOW = re.compile(r"(?:[^\n]*\n){0,4}[^\n]*")


def _piece(t: str, m: re.Match, named: dict) -> bool:
    """A run of two to six digits that may be a piece of a value: not a decimal, not the tail
    kept in a tag ("[PHONE …0873]"), not an emergency line, a quantity or anything vouched for."""
    v, s, e = m.group(), m.start(), m.end()
    return (2 <= len(_digits(v)) <= 6 and v not in _EMERGENCY and t[s - 1:s] not in ("…", ".", "-", ":", "：")
            and t[e:e + 1] not in ("]", ".", ":", "：") and not _PIECE_NOT.match(t, e)
            and not _vouched(t, v, s, e, named))


def _pieces(t: str, named: dict, taken: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for kind in ("value", "phone"):
        for end, _ in named.get(kind, ()):
            first = _RUN.search(t, end, min(len(t), end + 30))
            if not first or not _piece(t, first, named):
                continue
            window_end = _PIECE_WINDOW.match(t, first.end()).end()
            if not (t[first.end():first.end() + 1] == "-" or _PIECE_CUE.search(t, max(0, end - 12), window_end)):
                continue
            for m in _RUN.finditer(t, first.start(), window_end):
                if _piece(t, m, named) and not any(m.start() < b and a < m.end() for _, a, b in taken + out):
                    out.append(("NUMBER", m.start(), m.end()))
    return out


# A phone or a card number sent in pieces with other words between them ("我的手机前三位是138" …
# "中间是1234" … "后四位5678"; "电话138 1234" … "等下" … "5678"; "country code +353" … "then 87 914
# 2260"; "Card number split up:" and four lines of four digits): after a phone or a card label,
# or from a lone country code, digit groups in the next few lines whose digits together make the
# whole (ten to thirteen for a phone; a card's length and Luhn check) are each a piece of it.
_PIECE_GAP = 40
_PHONE_PIECE_CUE = re.compile(_PIECE_CUE.pattern + r"|[前中后後][一二三四五六七八九两兩几幾\d]位|中间|中間|最后|最後|还有|還有"
                              r"|(?<![a-z])(?:and then|plus|followed by)(?![a-z])")
_COUNTRY_CODE = re.compile(r"(?<![0-9A-Za-z+])\+\d{1,4}(?![0-9])(?!\s?\d)")
_TIME_SIDE = (".", ":", "：")
_NOT_PIECE_LABELS = {"PHONE": ("order", "id", "card", "hotline"), "CARD": ("order", "id", "phone", "hotline")}
_PIECE_RUN = re.compile(r"(?<![0-9A-Za-z])\d+(?:[ \-]\d+)*(?![0-9A-Za-z])")  # a group of digits, maybe spaced


def _value_pieces(t: str, named: dict, taken: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    starts = [("PHONE", end) for end, _ in named.get("phone", ())]
    phones = [end for end, _ in named.get("phone", ())]
    starts += [("CARD", end) for kind in ("card", "value") for end, _ in named.get(kind, ())
               if not any(end - 6 <= p <= end for p in phones)]  # (Luhn decides; not "電話號碼")
    starts += [("PHONE", m.start()) for m in _COUNTRY_CODE.finditer(t)] if "+" in t else []
    for kind, end in starts:
        lo_digits, hi_digits = (10, 13) if kind == "PHONE" else (13, 19)
        first = _PIECE_RUN.search(t, end, end + 40)
        if first is None or len(_digits(first.group())) >= lo_digits or _PIECE_RUN.search(t, first.end()) is None:
            continue  # (a whole number after its label, the usual case, or no second piece: nothing to join)
        others = [e for k in _NOT_PIECE_LABELS[kind] for e, _ in named.get(k, ())]
        runs: list[tuple[int, int]] = []
        digits = ""
        pos, reach = end, 30
        code = t[end:end + 1] == "+"  # from a lone country code: it is the first piece
        after = {k: [x for x in v if x[0] > end] for k, v in named.items()}  # (labels before it name other things)
        for m in _PIECE_RUN.finditer(t, end):
            if m.start() - pos > reach or any(pos < o <= m.start() for o in others):
                break
            s, e = m.start(), m.end()
            if _time_side(t, s, e):
                pos = e  # a chat line's time ("[客户 10:03] 2078"): passed over
                continue
            d = _digits(t[s:e])
            if not 2 <= len(d) <= 9 or not (code and not runs or _piece_of(t, s, e, after)) or not runs and len(d) >= lo_digits:
                break
            if runs and not ("\n" in t[runs[-1][1]:s] or _PHONE_PIECE_CUE.search(t, runs[-1][1], s)):
                break  # (pieces come in lines of their own, or after "then", "后四位": not "一台3999一台4999")
            runs.append((s, e))
            digits += d
            pos, reach = e, _PIECE_GAP
            if len(digits) >= lo_digits and (kind == "PHONE" or luhn_ok(digits)):
                break
        if (len(runs) < 2 or not lo_digits <= len(digits) <= hi_digits or _enumeration(digits)
                or kind == "CARD" and not luhn_ok(digits)):
            continue
        if code:
            runs[0] = (end, runs[0][1])  # (the country code's "+")
        lo, hi = runs[0][0], runs[-1][1]
        inside = [x for x in taken if lo <= x[1] and x[2] <= hi]
        if any(k == kind and a <= lo and hi <= b for k, a, b in taken):
            continue  # (one number already, across its line break)
        if any(k not in ("PHONE", "NUMBER", "ID") for k, _, _ in inside) or any(
                x[1] < hi and lo < x[2] and x not in inside for x in taken):
            continue
        taken = [x for x in taken if x not in inside] + [(kind, s, e) for s, e in runs]
    return taken


# A phone sent a few digits per chat line with no label at all ("[客户 09:15] 159" / "[客户 09:15]
# 2036" / "[客户 09:16] 8841 这是我号码"): two to four lines in a row, each starting with a group of
# digits, whose digits together are a mobile number's shape, or ten digits where the lines speak
# of phoning ("thats my cell"), are each a piece of it.
_LINE_PIECE = re.compile(r"^[ \t]*(?:\[[^\]\n]{1,30}\][ \t]*)?(\d{2,5})(?![0-9A-Za-z:：.])([^\n]*)$", re.M)
_LINE_PHONE_CUE = re.compile(r"(?i)(?<![a-z])(?:cell|mobile|phone|number|call|text me)(?![a-z])|号码|號碼|电话|電話|手机|手機|打这个|打這個")


def _line_pieces(t: str, taken: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    lines = list(_LINE_PIECE.finditer(t))
    i = 0
    while i < len(lines):
        run = [lines[i]]
        while (len(run) < 4 and i + len(run) < len(lines) and lines[i + len(run)].start() == run[-1].end() + 1
               and not _DIGIT.search(run[-1].group(2))):
            run.append(lines[i + len(run)])
        # the longest run from this line whose digits make a phone ("[客户] 2" before the pieces is
        # a quantity: the run from the next line is tried too)
        while len(run) >= 2:
            digits = "".join(m.group(1) for m in run)
            words = t[max(0, run[0].start() - 40):min(len(t), run[-1].end() + 40)]
            if ((_MOBILE_SHAPE.fullmatch(digits) or len(digits) == 10 and digits[0] in "23456789"
                 and _LINE_PHONE_CUE.search(words)) and not _enumeration(digits)):
                break
            run.pop()
        i += len(run) if len(run) >= 2 else 1
        if len(run) < 2:
            continue
        spans = [(m.start(1), m.end(1)) for m in run]
        if any(x[1] < b and a < x[2] and x[0] not in ("NUMBER", "PHONE") for x in taken for a, b in spans):
            continue
        taken = [x for x in taken if not any(x[1] < b and a < x[2] for a, b in spans)] + [("PHONE", a, b) for a, b in spans]
    return taken


def _time_side(t: str, s: int, e: int) -> bool:
    """[s, e) is a side of a time or a decimal ("10:03", "3.5"): a dot or colon, then a digit."""
    return (t[e:e + 1] in _TIME_SIDE and t[e + 1:e + 2].isdigit()
            or t[s - 1:s] in _TIME_SIDE and t[s - 2:s - 1].isdigit())


def _piece_of(t: str, s: int, e: int, named: dict) -> bool:
    """Digits that may be a value's piece: not a quantity, or vouched for."""
    return not _PIECE_NOT.match(t, e) and not _vouched(t, t[s:e], s, e, named, piece=True)


def _runs_outside(t: str, taken: list[tuple[str, int, int]]):
    """Each run of digits, less what a recogniser already took: "0832 242 7718 / 98221 30764"
    is one run to the pattern, a phone taken, and a second number after it."""
    for m in _RUN.finditer(t):
        s, e = m.start(), m.start() + len(m.group().rstrip(_RUN_TRIM))
        for _, a, b in sorted(x for x in taken if x[1] < e and s < x[2]):
            if a > s:
                yield from _run_piece(t, s, a)
            s = max(s, b)
        if s < e:
            yield from _run_piece(t, s, e)


def _run_piece(t: str, s: int, e: int):
    m = _RUN.search(t, s, e)  # (from its first digit or letter, past the separators)
    if m:
        yield m.start(), m.start() + len(m.group().rstrip(_RUN_TRIM))


def _unvouched(t: str, taken: list[tuple[str, int, int]], kept: set[str], named: dict) -> list[tuple[str, int, int]]:
    out = []
    vouched_end = -1  # where the last vouched number ended: a list after one label is vouched by it
    for s, e in _runs_outside(t, taken):
        e = _before_hour(t, s, e)  # ("Nov 18, 2026 18:07")
        v = t[s:e]
        if len(_digits(v)) < _RUN_DIGITS:
            continue
        if (kept and _norm(v) in kept or _vouched(t, v, s, e, named)
                or vouched_end >= 0 and _LIST_GAP.match(t[vouched_end:s])):
            vouched_end = e
            continue
        out.append(("NUMBER", s, e))
    return out


def _cn_groups(m: re.Match) -> str:
    g = m.group()
    if len(_CN_PAUSE.sub("", g)) < 7:
        return g
    return _CN_PAUSE.sub(" ", g).translate(_CN_DIGITS)


# a value typed a letter at a time ("y u x i n 9 9 @ g m a i l . c o m", "V信 z h o u 6 6 8 8")
_SPACED = re.compile(r"(?<![A-Za-z0-9@._\-])(?:[A-Za-z0-9@._\-] ){5,}[A-Za-z0-9](?![A-Za-z0-9@._\-])")


_MASKED = re.compile(r"[*＊•●]{2,}")
_LINK = re.compile(r"(?i)\bhttps?://[^\s<>\"'“”，。）)]+")
_PERSONAL_QUERY = re.compile(r"(?i)(?:phone|mobile|tel|email|mail|user(?:name)?|uid|name|id(?:card)?|ssn|account)=[^&=]*\Z")


def _not_personal_here(text: str, kind: str, s: int, e: int) -> bool:
    """A number inside a link (a tracking page's "?nu=YT745…", "/waybill/SF162…"), unless its
    query key names a person's value: not a person's data. (A sort code is masked: with the
    account number it is the account, and three of four held-out authors marked it so.)"""
    if kind not in ("NUMBER", "ACCOUNT"):
        return False
    for m in _LINK.finditer(text):
        if m.start() <= s and e <= m.end():
            return not _PERSONAL_QUERY.search(text, m.start(), s)
    return False


def find_pii(text: str | None, keep: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """Personal data in `text` as (type, start, end), in order and not overlapping; `type` is one
    of TYPES. Values in `keep` (the ticket's order number, the company's email) are left out.
    A value typed with a space after every letter is read with the spaces taken out too."""
    found = _find(text, keep)
    if found and _MASKED.search(text):  # a value already masked ("138****8000", "j***@gmail.com") is no one's now
        found = [f for f in found if not _MASKED.search(text, max(0, f[1] - 2), f[2])]
    if found and "://" in text:
        found = [f for f in found if not _not_personal_here(text, *f)]
    if not text or " " not in text or not _SPACED.search(text):
        return found
    index: list[int] = []  # the offset in `text` of each character of the text read without them
    for m in _SPACED.finditer(text):
        start = index[-1] + 1 if index else 0
        index.extend(range(start, m.start()))
        index.extend(i for i in range(m.start(), m.end()) if text[i] != " ")
    index.extend(range(index[-1] + 1 if index else 0, len(text)))
    joined = "".join(text[i] for i in index)
    for kind, s, e in _find(joined, keep):
        a, b = index[s], index[e - 1] + 1
        if b - a != e - s and not any(a < y and x < b for _, x, y in found):  # (only what the spaces hid)
            found.append((kind, a, b))
    return sorted(found, key=lambda x: x[1])


def _find(text: str | None, keep: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    if not text:
        return []
    t = text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text
    named = _labels_in(t.lower())
    if not (_DIGIT.search(t) or "@" in t or named or ".me/" in t or _CN_RUN.search(t) or _CN_GROUPS.search(t) or _WORDY.search(t)
            or _EN_HINT.search(t) and _SPOKEN_HINT.search(t)  # ("twelve oh eight Maple Avenue")
            or not t.isascii() and _ZH_HINT.search(t)):  # "…路三百九十八号", no digit
        return []
    if _CN_RUN.search(t):
        t = _CN_RUN.sub(lambda m: m.group().translate(_CN_DIGITS), t)
    if _CN_GROUPS.search(t):
        t = _CN_GROUPS.sub(_cn_groups, t)
    candidates = _spans(t) + _more_spans(t, named) + _labelled_values(t, named)
    kept = {_norm(k) for k in keep if k}
    taken: list[tuple[str, int, int]] = []
    for kind, s, e, _ in sorted(candidates, key=lambda c: (c[3], c[1], -c[2])):
        if kind in ("PHONE", "CARD"):
            end = _before_hour(t, s, e)  # ("400-820-1234 (9:00-21:00)")
            if end != e and kind == "PHONE" and _hotline(t[s:end]):
                continue
            e = end
        if kind == "PHONE" and _HOTLINE_AFTER.match(t, e):
            continue  # "我打2833 8333客服熱線": the company's number, named after it
        if kept and _norm(t[s:e]) in kept:
            continue
        if kind == "EMAIL" and _role_address(t[s:e]):
            continue
        if kind == "PHONE" and t[s] not in "+(" and _in_longer_run(t, s, e):
            continue  # "tracking 9400 1112 0206 1882 3391 04": a piece of a longer number
        over = [x for x in taken if s < x[2] and x[1] < e]
        if over and kind == "ADDRESS" and "\u4e00" <= t[s] <= "\u9fff" and all(k == "ADDRESS" and s <= a and b <= e for k, a, b in over):
            taken = [x for x in taken if x not in over]  # a Chinese address after its label, wider than its shape
        elif over:
            continue
        taken.append((kind, s, e))
    if _DIGIT.search(t):
        taken = taken + _unvouched(t, taken, kept, named)
        taken = _joined(t, sorted(taken + _pieces(t, named, taken), key=lambda x: x[1]))
        if "phone" in named or "card" in named or "value" in named or "+" in t:
            taken = _value_pieces(t, named, taken)
        if "\n" in t:
            taken = _line_pieces(t, taken)
    return sorted(taken, key=lambda x: x[1])


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _tag(kind: str, value: str) -> str:
    """[PHONE …5678]: the last four letters and digits help a reader tell values apart; a value
    of fewer than eight (a piece of one) keeps none, or the tag would hold all of it."""
    alnum = _NOT_ALNUM.sub("", value)
    return f"[{kind} …{alnum[-4:]}]" if len(alnum) >= 8 else f"[{kind}]"


def mask(text: str | None, keep: tuple[str, ...] = ()) -> str | None:
    """`text` with personal data replaced by tags. Values in `keep` (e.g. the ticket's order
    number, the company's own contact email) are never masked."""
    if not text:
        return text
    spans = find_pii(text, keep)
    if not spans:
        return text
    out, pos = [], 0
    for kind, s, e in spans:
        out.append(text[pos:s])
        out.append(_tag(kind, text[s:e].translate(_FOLD)))
        pos = e
    out.append(text[pos:])
    return "".join(out)


def mask_name(value: str | None) -> str | None:
    """A field that names someone, such as a reply's agent: masked like any text, except that a
    field which is one bare number and nothing but the last pass calls personal is the
    helpdesk's own user id (an export's `author_id`), the key of the per-agent summary."""
    if not value:
        return value
    if ";" in value:  # a conversation's agents, joined
        return ";".join(mask_name(v) or "" for v in value.split(";"))
    if value.isdigit() and find_pii(value) == [("NUMBER", 0, len(value))]:
        return value
    return mask(value)


def mask_within(whole: str | None, part: str | None, keep: tuple[str, ...] = ()) -> str | None:
    """`part`, a piece cut from `whole`, masked as it reads inside `whole`: a value the cut runs
    through ("1029384756@qq" of an email) or that lost its label ("EA 2817 365" without
    "Passport:") is still masked, whole tag for a piece of it."""
    if not part or not whole:
        return mask(part, keep)
    return _within(whole, find_pii(whole, keep), part, keep)


def mask_facts(whole: str | None, facts: dict, keep: tuple[str, ...] = ()) -> dict:
    """Facts cut from `whole` (a triage's entities), each string masked as it reads inside
    `whole` (mask_within), with `whole` scanned once for all of them."""
    spans = find_pii(whole, keep) if whole else []
    return {k: (_within(whole, spans, v, keep) if whole and v else mask(v, keep)) if isinstance(v, str) else v
            for k, v in facts.items()}


def mask_tree(value, whole: str | None, keep: tuple[str, ...] = ()):
    """A JSON-shaped value (a draft's sections, its review, its triage) with every string in it
    masked as it reads inside `whole`, the text its strings were cut from; keys, numbers and
    the shape are left as they are. (Masking the dumped JSON text instead read a score or a
    key's digits as part of a number.) A string under eight characters is masked on its own:
    a rule's name or a severity is not looked for inside the text."""
    spans = find_pii(whole, keep) if whole else []

    def walk(v):
        if isinstance(v, str):
            return _within(whole, spans, v, keep) if whole and len(v) >= 8 else mask(v, keep)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value)


def _within(whole: str, spans: list, part: str, keep: tuple[str, ...]) -> str | None:
    i = whole.find(part)
    if i < 0:
        return mask(part, keep)
    j = i + len(part)
    out, pos = [], 0
    for kind, s, e in spans:
        if s < j and i < e:
            a, b = max(s, i) - i, min(e, j) - i
            out.append(part[pos:a])
            out.append(_tag(kind, whole[s:e].translate(_FOLD)))
            pos = b
    out.append(part[pos:])
    return mask("".join(out), keep)


def mask_spans(reply, findings: list[dict], keep: tuple[str, ...] = ()) -> tuple[str | None, list[dict]]:
    """The reply with personal data masked, and the findings' offsets moved to match. Personal
    data is found in the whole reply (a finding's edge may fall inside a value, or between a
    label and its value); an offset inside a masked value moves to the edge of its tag."""
    if not isinstance(reply, str):
        return None, findings
    spans = find_pii(reply, keep)
    if not spans:
        return reply, findings
    out, pos, starts, ends = [], 0, [], []
    for kind, s, e in spans:
        out.append(reply[pos:s])
        tag = _tag(kind, reply[s:e].translate(_FOLD))
        at = sum(map(len, out))
        starts.append((s, e, at, at + len(tag)))
        out.append(tag)
        pos = e
    out.append(reply[pos:])

    def moved(x: int, edge: str) -> int:
        shift = 0
        for s, e, a, b in starts:
            if x <= s:
                break
            if x < e:
                return a if edge == "start" else b
            shift = b - e
        return x + shift

    return "".join(out), [dict(f, start=moved(f["start"], "start"), end=moved(f["end"], "end"))
                          if f.get("start") is not None else f for f in findings]
