"""What only the service may put in a reply: numbers, number words, currencies, percentages,
links, contacts and accounts; and, in the words a model wrote, no commitment, no claimed action
and no request of the customer.

The model writes words; the policy writes numbers and promises. Recognising every way of
writing "five thousand yuan" cannot win, so this module does not try to read amounts: it finds
anything that *looks like* a number, a link, a contact or an account, on text normalised so
that disguises fall away (NFKC, zero-width and bidi characters removed, confusable letters
folded to Latin, traditional characters to simplified), and then:

- in text a model wrote (`free_text`): every such token is a violation, whatever it says. The
  service renders remedies, asks, contacts and the ticket's facts itself; a model has no
  reason to write a digit.
- in a whole reply (`reply_tokens`, for drafts and for `POST /v1/reviews` with `policy`): a
  token is allowed only when the policy or the ticket holds it (`Allowed`).

Every finding's span is an offset into the original text."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from .review import Finding
from .text import to_script, to_simplified

__all__ = ["Allowed", "cn_number", "offers_of", "skeleton", "free_text", "reply_tokens", "unknown_choice"]


# ---------------------------------------------------------------- normalising

# letters that look Latin (Cyrillic, Greek, a few others) folded to the Latin letter
_CONFUSABLE = str.maketrans(
    "аеорсхуіјѕԁһкмнтвгѵԝӏɑοκνρτχυіıΑΒΕΖΗΙΚΜΝΟΡΤΥΧаАВЕКМНОРСТХ",
    "aeopcxyijsdhkmhtbrvwlaokvptxuiiABEZHIKMNOPTYXaABEKMHOPCTX")
_DROP = {"Cf", "Cc", "Mn"}  # format (zero-width, bidi), controls, combining marks


# characters that pass through unchanged (ASCII letters, digits and punctuation, common
# ideographs): the loop below only looks up the rest
_PLAIN = re.compile(r"[ \n!-~\u4e00-\u9fff\u3001\u3002\uff0c\uff1a\uff1b\uff01\uff1f]+")


@functools.lru_cache(maxsize=8192)
def _skeleton(text: str) -> tuple[str, tuple[int, ...]]:
    if _PLAIN.fullmatch(text):  # nothing to fold but case and script: offsets are one to one
        s = text.lower()
        if len(s) == len(text):
            simplified = to_simplified(s)
            return (simplified if len(simplified) == len(s) else s), tuple(range(len(text)))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in "\n\t ":
            out.append(" " if ch == "\t" else ch)
            index.append(i)
            continue
        if ord(ch) < 128 or "\u4e00" <= ch <= "\u9fff":
            out.append(ch.lower())
            index.append(i)
            continue
        cat = unicodedata.category(ch)
        if cat in _DROP or ch == "\u00ad":
            continue
        piece = unicodedata.normalize("NFKC", ch)
        if cat.startswith("Z"):
            piece = " "
        for c in piece.translate(_CONFUSABLE).lower():
            out.append(c)
            index.append(i)
    s = "".join(out)
    simplified = to_simplified(s)
    if len(simplified) == len(s):
        s = simplified
    return s, tuple(index)


def skeleton(text: str) -> tuple[str, tuple[int, ...]]:
    """The text with disguises removed, lower-cased and in simplified characters, and for
    each of its characters the offset of the original character it came from. Cached: the
    policy's values and the catalogue's texts are skeletoned on every check."""
    return _skeleton(text)


def _span(index: list[int], a: int, b: int) -> tuple[int, int]:
    return index[a], index[b - 1] + 1


# ---------------------------------------------------------------- the tokens

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_EN_NUMBERS = (r"zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
               r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty"
               r"|seventy|eighty|ninety|hundred|thousand|million|billion|grand|dozen")
_UNIT_ZH = r"(?:个)?(?:小时|钟头|分钟|天|日|周|星期|礼拜|月|年|工作日|秒)"
_UNIT_EN = r"(?:hours?|minutes?|mins?|days?|weeks?|months?|years?|business days?|working days?|seconds?)"
_CLASSIFIER = r"(?:个|位|件|台|部|张|份|次|回|遍|元|块|毛|角|倍|折|成|号|箱|盒|瓶|单|笔|项|条|种|趟|套|双|万|千|百)"

_NUMBER_CORE = (
    r"\d+(?:[.,:]\d+)*(?:\s\d(?![\d.,:]))*(?:\s?(?:k|grand|thousand|million|千|万)\b)?"  # 5000, 1,234.50, 9:00, 8 8 8 8, 5 grand
    r"|(?<![一二两三四五六七八九十百千万])(?!十分(?!钟)|千万(?![元块])|万一|一一|万万|一直|一块儿)"
    r"[" + _CN_DIGITS + r"]{2,}"                          # 五千, 二十四, 伍仟
    r"|[壹贰叁肆伍柒捌玖佰仟]"                              # capital numerals: money, and only money
    r"|[一二两三四五六七八九十半几]" + _UNIT_ZH +             # 两小时, 一天, 几天
    r"|[一二两三四五六七八九十](?:元(?![素件旦宵气老首])|倍|折|成|万|千|百)"
    r"|\b(?:(?:" + _EN_NUMBERS + r"|one|a|and)[\s-]+)*(?:" + _EN_NUMBERS + r")\b"
    r"|\b(?:an?|one|half an?|a few|few|several|a couple of|couple of)\s+" + _UNIT_EN + r"\b")
# in a model's words any counted thing is a number too ("两台", "三次"); in a whole reply a
# count of things ("碎成两块") is a fact, and only times, money and multiples are checked
_NUMBER = re.compile(_NUMBER_CORE + r"|[二两三四五六七八九十半几]" + _CLASSIFIER)
NUMBER_FULL = re.compile(_NUMBER_CORE)
_PERCENT = re.compile(r"%|百分之|\bper\s?cent\b")
_CURRENCY = re.compile(
    r"[¥$€£₩₹₽]|\b(?:rmb|cny|usd|eur|hkd|twd|ntd|gbp|jpy|dollars?|bucks?|euros?|yuan|quid|cents?)\b"
    r"|美元|美金|欧元|英镑|日元|港币|港元|台币|人民币|澳门币")
_TLD = (r"com|net|org|cn|io|co|xyz|top|ly|cc|gl|me|info|biz|site|online|shop|link|vip|club|tw|hk|app"
        r"|dev|ai|us|uk|de|ru|tk|ml|ga|cf|gq|so|to|in|example|store|page|live|pro|icu|work|mo|sg|jp")
_LINK = re.compile(
    r"://|\bwww\b|\bhxxps?\b|\bh\*\*ps?\b|\[\s?\.\s?\]|\(\s?\.\s?\)|\{\s?\.\s?\}|\[dot\]|\(dot\)"
    r"|\bdot\s?(?:" + _TLD + r")\b|点\s?(?:com|cn|net|org)\b|\bxn--|<\s*/?\s*(?:img|a|iframe|script|svg)\b"
    r"|!\[|\]\(|\bdata:|\bftp\b|\bmailto:|\btel:|\bjavascript:|二维码|扫码|扫一扫|\bqr\b"
    r"|(?<![\w@])[a-z0-9-]{2,}(?:(?:[.。]|\s[.。]\s)[a-z0-9-]{2,})*(?:[.。]|\s[.。]\s)(?:" + _TLD + r")(?![a-z0-9-])")
_CONTACT = re.compile(
    r"@\s?[a-z0-9_]{2,}|\b[a-z0-9._%+-]+\s?(?:\(at\)|\[at\]|[ \t]at[ \t])\s?[a-z0-9-]+"
    r"(?:\s?(?:\(dot\)|\[dot\]|[ \t]dot[ \t])\s?|\.)(?:" + _TLD + r")\b"
    r"|微信|威信|薇信|v信|\bvx\b|\bwx\b|weixin|wechat|\bqq\b|扣扣|企鹅号|\bline\s?(?:id|帐号|账号|号)\b|加\s?line"
    r"|telegram|\btg\b|whatsapp|skype|discord|messenger|kakao|viber|snapchat|instagram|facebook|微博|抖音|快手|小红书"
    r"|公众号|小程序|钉钉|飞书|群号|q群|加群|进群|\bgroup chat\b|\bsignal\s?(?:app|id|number)\b"
    r"|远程(?:控制|协助|桌面)|向日葵|teamviewer|anydesk|todesk|屏幕共享|共享屏幕|screen\s?shar"
    r"|私人(?:电话|手机|微信|号码|邮箱)|个人(?:电话|手机|微信|号码)|\b(?:personal|private|direct)\s+(?:cell|mobile|phone|number|line|email)\b"
    r"|(?:热线|专线|客服电话|电话|hotline|phone line)[^,，。;；\n]{0,6}?(?:已停用|停用|已关闭|作废|不再使用|换号|更换为|改为"
    r"|is closed|closed|discontinued|no longer)")
_ACCOUNT = re.compile(
    r"支付宝|alipay|paypal|venmo|zelle|cash\s?app|\biban\b|\bswift\b|routing number|account number"
    r"|sort code|bitcoin|\bbtc\b|usdt|crypto|wallet address|gift\s?cards?|收款(?:账户|账号|码|人)|户名"
    r"|银行账户|对公账户|(?:转账|汇款|打款)(?:到|至)|[a-z]{2}\d{2}[a-z0-9]{10,30}"
    r"|(?:账号|帐号|账户)?密码(?:都)?(?:是|为)|\bpassword (?:is|:)|\blog ?in (?:is|:)"
    r"|正反面|两面|(?:both sides|front and back|front|back) of (?:your |the )?(?:bank |credit |debit )?card"
    r"|(?:银行卡|信用卡)(?:照片|图片)|(?:账号|帐号|账户|卡号)\s*[:：]?\s*\d"
    r"|(?:code|digits)\b[\w\s]{0,20}\b(?:texted|sent to your phone|sms)|短信(?:里)?的?(?:验证)?码|收到的(?:验证)?码")
# in a model's words even naming these is out: the catalogue's texts say what to say about them
_SENSITIVE_FREE = re.compile(
    r"卡号|银行卡|信用卡|身份证|护照|驾照|密码|验证码|安全码|住址|门牌|\bcvv\b|\bcvc\b|\botp\b|\bpin\b|passport"
    r"|password|passcode|verification code|security code|card number|social security|\bssn\b|driver'?s licen[cs]e"
    r"|home address|date of birth|出生日期")
_LINE_UPPER = re.compile(r"\bLINE\b")

# a commitment: the company (or "you will get") + a verb of giving or doing, within a clause
_COMMIT_ZH = re.compile(
    r"(?:(?P<zfree>免费|无偿|额外|另外|加倍)(?=补寄|补发|赠送|送|升级|更换|换|寄|提供|退)"
    r"|(?:我们|我|本店|公司|平台|团队|专员|主管|同事|店铺|商家)(?:这边|这里)?"
    r"(?:会|将|可以|能|愿意|马上|立即|立刻|这就|已经|已|正在|一定|承诺|保证)"
    r"|(?:会|将|已经|已|马上|立即|立刻)?(?:为您|给您|帮您|替您|向您|为你|给你|帮你))"
    r"[^,，。;；!！?？\n]{0,6}?"
    r"(?P<verb>退款|退还|退回|退|赔偿|赔付|赔|补偿|补发|重发|补寄|寄送|寄出|发出|发货|发放|换货|更换|换新|换一"
    r"|赠送|送|报销|承担|负担|支付|返还|返现|免单|免除|免费|升级|开通|充值|打款|转账|到账|回电|致电|上门|安排|处理|加倍"
    r"|核实|核查|查询|查看|确认|提交|登记|反馈|转交|上报|冻结|加急|优先|申请)")
_COMMIT_EN = re.compile(
    r"\b(?:(?:we|i|our team|the team|a supervisor|someone|the company|our company|the store|the shop|management)(?:'ll|'ve|'d|\s+will|\s+shall|\s+can|\s+have|\s+had"
    r"|\s+are going to|\s+am going to|\s+just|\s+already|\s+would|\s+have already)"
    r"|you(?:'ll|\s+will)\s+(?:receive|get|be))\s+(?:\w+\s+){0,2}?"
    r"(?P<verb>refund|reimburse|compensat|credit|give|send|ship|reship|resend|replace|upgrade|waive|cover|pay"
    r"|offer|grant|issue|arrange|rebook|book|provide|add|deliver|call|contact|reach out|escalat|process|submit"
    r"|fix|repair|exchange|return|check|verif|confirm|investigat|expedit|look into|freez|trace|refunded|credited)"
    r"|\b(?P<free>free of charge\b|\bon the house\b|\bcomplimentary\b|\bat no (?:extra )?cost)\b")
# the verbs of giving something: a reply's promise of one is the catalogue's, or not allowed
_GIVING = re.compile(
    r"退款|退还|退回|退(?=给|您|你)|赔偿|赔付|赔(?=给|您|你)|补偿|补发|重发|补寄|寄送|寄出|发出|发货|发放|换货|更换|换新"
    r"|换一|赠送|送(?=您|你|给)|报销|承担"
    r"|返还|返现|免单|免除|免费|升级|开通|充值|打款|转账|到账|refund|reimburse|compensat|credit|give|send|ship|reship"
    r"|resend|replace|upgrade|waive|cover|pay|offer|grant|issue|rebook|book|provide|add|deliver|exchange|free of charge"
    r"|负担|支付|加倍"
    r"|on the house|complimentary|at no (?:extra )?cost")
_NEGATED = re.compile(r"不|没|无法|不能|未|n't|\bnot\b|\bnever\b|\bno\b")
# a request of the customer: asks come from the policy's catalogue
_REQUEST_ZH = re.compile(
    r"(?:请|麻烦|烦请|劳烦|需要|务必|方便)(?:您|你)?[^,，。;；!！?？\n]{0,4}?"
    r"(?:提供|发送|发给|发来|发一下|上传|告知|告诉|拍|填写|输入|扫|下载|安装|点击|点开|添加|加我|登录|登陆"
    r"|转账|汇款|付款|支付|验证|私信|截图|截屏|寄回|报上|念|读)")
_REQUEST_EN = re.compile(
    r"\b(?:please|kindly|could you|can you|would you|will you|you need to|you must|we need|we'll need"
    r"|i need|we require|let (?:us|me) know your)\b\s+(?:\w+\s+){0,2}?"
    r"(?:send|provide|share|upload|tell|give|enter|type|download|install|click|tap|scan|add|log in|login"
    r"|sign in|transfer|wire|pay|verify|text|dm|message us|reply with|screenshot|photograph|take a photo"
    r"|read|forward|attach|submit|fill)\b|\blet (?:us|me) know your\b")
# a deadline in words: the policy's times are "within N hours"; these are not the policy's
_DEADLINE = re.compile(
    r"今天|今日|明天|明日|后天|今晚|当天|当日|本周|这周|下周|周末|月底|年底|马上|立即|立刻|即刻|立马|当场|秒到"
    r"|\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week|weekend)|next week|by (?:monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|the end of)|immediately|right away|straight away|instantly"
    r"|same[- ]day|overnight|asap)\b")

# a reply talks about the customer's problem, never about writing replies: words about drafts,
# prompts, instructions and the answer's own format are a leak, in any language or paraphrase
_META = re.compile(
    r"草稿|撰写回复|写回复|回复规则|提示词|指令|补救清单|\bdrafts?\b|\bprompts?\b|\binstructions?\b"
    r"|\bwrite (?:the )?repl(?:y|ies)\b|customer-service agents|\bjson\b|\bschema\b|\bcatalogue\b")
# ...of which a person's reply may say "follow the instructions" or "系统提示您": only these
_META_REPLY = re.compile(r"草稿|撰写回复|提示词|回复规则|\bsystem prompt\b|\byou write replies\b|customer-service agents")
_TO_CUSTOMER = re.compile(r"请|您|please|you ")

_KINDS = (("number", _NUMBER), ("percent", _PERCENT), ("currency", _CURRENCY), ("link", _LINK),
          ("contact", _CONTACT), ("account", _ACCOUNT), ("sensitive", _SENSITIVE_FREE))

_MESSAGES = {
    "number": ("数字“%s”不是系统填入的:时间、金额和编号只能由政策或工单事实填入",
               'The number "%s" was not put there by the service: times, amounts and references come only from the policy or the ticket.'),
    "percent": ("百分比“%s”不在政策里", 'The percentage "%s" is not in the policy.'),
    "currency": ("货币“%s”不是系统填入的金额", 'The currency "%s" is not an amount the service put there.'),
    "link": ("“%s”像是链接,不在政策允许的链接里", '"%s" looks like a link the policy does not allow.'),
    "contact": ("“%s”像是联系方式,回复里只能有政策里的联系人", '"%s" looks like a contact the policy does not hold.'),
    "account": ("“%s”像是收款或账户信息", '"%s" looks like payment or account details.'),
    "commitment": ("“%s”是模型自己写的承诺:补救措施只能从政策的补救清单里选", '"%s" is a commitment the model wrote: remedies come only from the policy\'s catalogue.'),
    "claimed_action": ("“%s”声称做了一件系统没有做的事", '"%s" claims an action the service did not take.'),
    "offer": ("“%s”承诺了政策补救清单里没有的东西", '"%s" promises something the policy\'s remedy catalogue does not offer.'),
    "mismatch": ("“%s”是政策里的数字,但不是这项补救的时限或金额", '"%s" is a number of the policy, but not the one it sets for this remedy.'),
    "meta": ("“%s”在谈论写回复的指令,不是顾客的问题", '"%s" talks about the instructions for writing replies, not the customer\'s problem.'),
    "sensitive": ("“%s”是敏感信息:模型的话里不提,需要时由政策里的文字说", '"%s" is sensitive data: the model\'s words leave it out; the policy\'s texts say what is needed.'),
    "request": ("“%s”是模型自己写的请求:向顾客索取的内容只能从政策的提问清单里选", '"%s" asks the customer for something: questions come only from the policy\'s list.'),
    "deadline": ("时间“%s”不在政策里,不能承诺", 'The time "%s" is not one the policy sets.'),
    "slot": ("“%s”不是可用的工单事实", '"%s" is not a ticket fact the service can fill in.'),
}
_SUGGEST = {"zh": "删除它,数字和承诺交给系统填写", "en": "remove it; the service fills in numbers and promises"}


@dataclass
class Allowed:
    """What a whole reply may carry: the policy's and the ticket's numbers, links and contacts,
    and the catalogue texts the service rendered into it."""

    numbers: set[float] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)   # hotline, email, order id, links, dates
    rendered: list[str] = field(default_factory=list)  # catalogue texts placed by the service
    offers: frozenset[str] = frozenset()                # verbs of giving the catalogue's texts use
    pairs: dict[str, set[float]] = field(default_factory=dict)  # verb -> the catalogue's numbers for it
    said: set[float] = field(default_factory=set)        # numbers the customer stated (their loss):
    # restated, never promised: allowed only in a sentence that gives nothing
    currencies: set[str] = field(default_factory=set)   # the policy's currency, as written


# what a remedy does, for pairing its numbers: giving, and the catalogue's other acts
_ACTS = re.compile(_GIVING.pattern + r"|致电|回电|联系|告诉|答复|更新|查询|生效|冻结|call|contact|tell|answer|update"
                   r"|post|trace|effective|freez")
_CLAUSE_END = re.compile(r"[,，、;；。!！?？\n]|\.(?:\s|$)")


def _around(s: str, at: int, ends: re.Pattern) -> str:
    """The piece of `s` around offset `at` between two of `ends` (a clause or a sentence)."""
    starts = [m.end() for m in ends.finditer(s, 0, at)]
    m = ends.search(s, at)
    return s[(starts[-1] if starts else 0):(m.start() if m else len(s))]


def _clause(s: str, at: int) -> str:
    return _around(s, at, _CLAUSE_END)


def _giving_words(sk: str, pattern: re.Pattern | None = None) -> list[str]:
    """The giving verbs in a skeleton; an English one only as a whole word ("pay", not "payment")."""
    out = []
    for m in (pattern or _GIVING).finditer(sk):
        w = m.group()
        if w.isascii() and (m.start() and sk[m.start() - 1].isalpha()
                            or not re.match(r"(?:s|es|ed|ing|d)?(?![a-z])", sk[m.end():])):
            continue
        out.append(w.lower())
    return out


def offers_of(texts: list[str]) -> set[str]:
    """The verbs of giving used in the catalogue's texts: a reply may promise those."""
    return {w for t in texts for w in _giving_words(skeleton(t)[0])}


def pairs_of(texts: list[str]) -> dict[str, set[float]]:
    """For each verb of giving in the catalogue's texts, the numbers that go with it there
    ("refund": 3, 24): a reply's "refund within 30 minutes" is not the policy's."""
    out: dict[str, set[float]] = {}
    for t in texts:
        sk = skeleton(t)[0]
        values = {v for m in NUMBER_FULL.finditer(sk) for v in values_of(m.group()) if v is not None}
        for w in _giving_words(sk, _ACTS):
            out.setdefault(w, set()).update(values)
    return out


def _finding(rule: str, lang: str, text: str, s: int, e: int) -> Finding:
    zh = lang.startswith("zh")
    kind = rule.rsplit(".", 1)[-1]
    value = text[s:e]
    message = _MESSAGES[kind][0 if zh else 1] % value
    suggestion = _SUGGEST["zh" if zh else "en"]
    if lang == "zh-Hant":
        message, suggestion = to_script(message, lang), to_script(suggestion, lang)
    return Finding(rule, "ungrounded", "error", s, e, value, message, suggestion)


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10_000}


def cn_number(s: str) -> float | None:
    """"五千" 5000, "两万" 20000, "三十" 30, "十五" 15, "5" 5; None when it is not a number."""
    if s[0].isdigit():
        return float(s)
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch == "万":
            total += (section + (digit or 0)) * 10_000 or 10_000
            section, digit = 0, None
        elif ch in _CN_UNIT:
            section += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        else:
            return None
    return float(total + section + (digit or 0))


_EN_VALUE = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_EN_VALUE.update({w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())})
_EN_SCALE = {"hundred": 100, "thousand": 1000, "grand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
             "k": 1000, "千": 1000, "万": 10_000}


def _en_number(words: list[str]) -> float | None:
    total, current = 0, 0
    for w in words:
        if w in ("and", ""):
            continue
        if w in ("a", "one") and current == 0:
            current = 1
        elif w in _EN_VALUE:
            current += _EN_VALUE[w]
        elif w == "dozen":
            current = (current or 1) * 12
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALE:
            total += (current or 1) * _EN_SCALE[w]
            current = 0
        else:
            return None
    return float(total + current)


def values_of(token: str) -> list[float | None]:
    """The values a number token stands for; None for one that cannot be read (never allowed)."""
    t = token.strip()
    m = re.fullmatch(r"([\d.,:\s]+?)\s?(k|grand|thousand|million|千|万)", t)
    if m:
        digits = re.sub(r"[\s,]", "", m.group(1))
        return [float(digits) * _EN_SCALE[m.group(2)]] if re.fullmatch(r"\d+(?:\.\d+)?", digits) else [None]
    digits = re.sub(r"[\s,]", "", t)
    if re.fullmatch(r"\d+(?:\.\d+)?", digits):
        return [float(digits)]
    found = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", digits)]
    if found:
        return found
    run = re.sub(r"[^" + _CN_DIGITS + "]", "", t)
    if run:
        v = cn_number(run.translate(str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟", "一二三四五六七八九十百千")))
        return [v]
    words = re.split(r"[\s-]+", t)
    if all(w in _EN_VALUE or w in _EN_SCALE or w in ("a", "one", "and", "dozen") for w in words):
        return [_en_number(words)]
    return [None]  # "a few days", "half an hour": a time in words, never the policy's as written


def _inside(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(x <= a and b <= y for x, y in spans)


def free_text(text: str, lang: str, placed: list[tuple[int, int]] = ()) -> list[Finding]:
    """Violations in text a model wrote: any number, number word, currency, percentage, link,
    contact or account token; any commitment, claimed action or request of the customer; any
    slot ({...}) the service did not fill. `placed`: spans (offsets into `text`) the service
    filled in itself, the ticket's facts, which are not checked."""
    s, index = skeleton(text)
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, a: int, b: int) -> None:
        if b <= a:
            return
        start, end = _span(index, a, b)
        if kind not in ("commitment", "claimed_action", "request") and _inside(placed, start, end):
            return  # a fact of the ticket the service filled in
        if any(x < end and start < y for x, y in taken):
            return
        taken.append((start, end))
        out.append(_finding(f"freetext.{kind}", lang, text, start, end))

    placed = list(placed)
    for m in re.finditer(r"\{[^{}]{0,40}\}", s):
        add("slot", m.start(), m.end())
    for kind, pattern in _KINDS:
        for m in pattern.finditer(s):
            add(kind, m.start(), m.end())
    for m in _LINE_UPPER.finditer(text):
        if not any(x < m.end() and m.start() < y for x, y in taken):
            taken.append(m.span())
            out.append(_finding("freetext.contact", lang, text, m.start(), m.end()))
    for m in _DEADLINE.finditer(s):
        add("deadline", m.start(), m.end())
    for m in _META.finditer(s):
        add("meta", m.start(), m.end())
    for pattern in (_COMMIT_ZH, _COMMIT_EN):
        for m in pattern.finditer(s):
            if _NEGATED.search(m.group()):
                continue
            past = re.search(r"已|已经|'ve|\bhave\b|\bhad\b|already|\bjust\b", m.group())
            add("claimed_action" if past else "commitment", m.start(), m.end())
    for pattern in (_REQUEST_ZH, _REQUEST_EN):
        for m in pattern.finditer(s):
            add("request", m.start(), m.end())
    return sorted(out, key=lambda f: f.start)


def unknown_choice(kind: str, value: str, lang: str) -> Finding:
    """A remedy or question id the policy's catalogue does not hold."""
    zh = lang.startswith("zh")
    what = {"remedy": ("补救措施", "remedy"), "ask": ("提问", "question")}[kind]
    message = (f"“{value}”不是政策清单里的{what[0]}" if zh else
               f'"{value}" is not a {what[1]} in the policy\'s catalogue.')
    suggestion = "只从政策清单里选" if zh else "choose only from the catalogue"
    if lang == "zh-Hant":
        message, suggestion = to_script(message, lang), to_script(suggestion, lang)
    return Finding(f"freetext.unknown_{kind}", "ungrounded", "error", None, None, value, message, suggestion)


_SENTENCE_END = re.compile(r"[。!！?？;；\n]|\.(?:\s|$)")


def _verb_of(m: re.Match) -> str | None:
    """The giving word of a commitment match: "免费" in "免费补寄", else its verb."""
    g = m.groupdict()
    return g.get("zfree") or g.get("verb") or g.get("free")


def _sentence(s: str, at: int) -> str:
    return _around(s, at, _SENTENCE_END)


def _given(sentence: str) -> list[str]:
    """The giving verbs of the commitments in a sentence."""
    out = []
    for pattern in (_COMMIT_ZH, _COMMIT_EN):
        for m in pattern.finditer(sentence):
            verb = _verb_of(m)
            if verb and _GIVING.fullmatch(verb) and not _NEGATED.search(m.group()):
                out.append(verb.lower())
    return out


def _commits(sentence: str) -> bool:
    """Whether a sentence commits the company to anything (giving, calling, checking...)."""
    return any(not _NEGATED.search(m.group()) for p in (_COMMIT_ZH, _COMMIT_EN) for m in p.finditer(sentence))


_AGREE = re.compile(r"同意|答应|承诺|批准|核准|\bagree|\bapprove|\bguarantee|\bwe confirm\b")
_FUTURE = re.compile(r"会|将|\bwill\b|'ll\b|\bshall\b|going to")


def _promising(sentence: str) -> bool:
    """Whether a sentence promises: the company commits, agrees or confirms, or something is
    given in the future tense ("the refund will hit your account...")."""
    return _commits(sentence) or _agrees_or_will_give(sentence)


def _agrees_or_will_give(sentence: str) -> bool:
    return bool(_AGREE.search(sentence) or _giving_words(sentence) and _FUTURE.search(sentence))


def _gives(s: str, at: int) -> bool:
    """Whether the sentence around offset `at` of skeleton `s` promises or gives something."""
    sentence = _sentence(s, at)
    return bool(_given(sentence)) or _agrees_or_will_give(sentence)


def _occurrences(s: str, pieces) -> list[tuple[int, int]]:
    """Where each piece (skeletoned, two characters or more) occurs in skeleton `s`."""
    out = []
    for piece in pieces:
        p = skeleton(piece)[0].strip()
        at = s.find(p) if len(p) >= 2 else -1
        while at >= 0:
            out.append((at, at + len(p)))
            at = s.find(p, at + 1)
    return out


def reply_tokens(text: str, lang: str, allowed: Allowed) -> list[Finding]:
    """Tokens of a whole reply that neither the policy nor the ticket holds: numbers and
    number words of other values, contacts, accounts, disguised links and deadlines in
    words. Text inside a catalogue rendering or an allowed literal is the service's."""
    s, index = skeleton(text)
    rendered = _occurrences(s, allowed.rendered)
    placed = rendered + _occurrences(s, sorted(allowed.literals, key=len, reverse=True))
    for a, b in rendered:
        # what the service rendered is blanked (same length, offsets hold): nothing in it is
        # scanned, and its giving words do not colour the customer's sentences around it
        s = s[:a] + " " * (b - a) + s[b:]
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, a: int, b: int) -> None:
        if b <= a or _inside(placed, a, b) or any(x < b and a < y for x, y in taken):
            return
        taken.append((a, b))
        out.append(_finding(f"grounding.{kind}", lang, text, *_span(index, a, b)))

    for m in NUMBER_FULL.finditer(s):
        values = values_of(m.group())
        if m.start() and s[m.start() - 1].isascii() and s[m.start() - 1].isalpha():
            values = [None]  # glued to letters ("s24", "iphone15"): a code, never one of the policy's times
        if all(v is not None and v in allowed.numbers for v in values):
            clause = _clause(s, m.start())
            given = [w for w in _giving_words(clause, _ACTS) if w in allowed.pairs] \
                if _promising(_sentence(s, m.start())) else []
            if given and not any(all(v in allowed.pairs[w] for v in values) for w in given):
                add("mismatch", m.start(), m.end())  # a policy number, for another remedy
            continue
        if all(v is None or v in allowed.numbers or v in allowed.said for v in values) \
                and not _gives(s, m.start()) \
                and (all(v is not None for v in values) or not _giving_words(_clause(s, m.start()))):
            continue  # the customer's own figure, or a stretch of time they waited, restated
        add("number", m.start(), m.end())
    for m in _CURRENCY.finditer(s):
        if m.group() not in allowed.currencies:
            add("currency", m.start(), m.end())
    for m in _PERCENT.finditer(s):
        add("percent", m.start(), m.end())
    for kind, pattern in (("contact", _CONTACT), ("account", _ACCOUNT), ("link", _LINK)):
        for m in pattern.finditer(s):
            add(kind, m.start(), m.end())
    for m in _LINE_UPPER.finditer(text):
        if not any(x <= m.start() < y for x, y in ((index[a], index[b - 1] + 1) for a, b in placed)):
            out.append(_finding("grounding.contact", lang, text, m.start(), m.end()))
    for m in _DEADLINE.finditer(s):
        if _TO_CUSTOMER.search(s[max(0, m.start() - 4):m.start()]):  # "请立即拨打120": advice, not a promise
            continue
        sentence = _sentence(s, m.start())
        if _promising(sentence) or _giving_words(sentence):  # "it broke this morning" restates; "到账 today" promises
            add("deadline", m.start(), m.end())
    for m in _META_REPLY.finditer(s):
        add("meta", m.start(), m.end())
    offered = allowed.offers
    for pattern in (_COMMIT_ZH, _COMMIT_EN):
        for m in pattern.finditer(s):
            verb = _verb_of(m)
            if not verb or not _GIVING.fullmatch(verb) or _NEGATED.search(m.group()):
                continue
            if verb.lower() in offered:
                continue  # something the catalogue offers (its numbers are checked above)
            add("offer", m.start(), m.end())
    return sorted(out, key=lambda f: f.start)
