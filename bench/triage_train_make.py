"""Writes rubrics/triage_train.jsonl: the team-written training set of the triage classifier.

    python bench/triage_train_make.py [--seed 15] [--out rubrics/triage_train.jsonl]

Every customer sentence below was written by hand for this set (none is copied from the
held-out set, the eval cases or a public corpus). The script only puts them together the way
real traffic arrives: a greeting or an @handle in front, an order number or a product in the
middle, a second problem in the same message, a repeat-contact or a threat at the end, an
insult, no punctuation, English typos. Each row has the held-out set's shape:
{"id", "lang", "text", "issues", "severity", "safety", "signals"}.

`{p}` in a sentence is a product of that language; `{n}` a small number; `{o}` an order number.

Beside them, bench/triage_written.jsonl holds whole messages a helper session wrote for training
from the label definitions alone (it never saw the rules, the held-out sets or a public corpus),
in the register the composed rows only imitate: tweets to a brand, JD-style chat fragments,
Taiwan Facebook-page posts, across many businesses. They are added as they are, one row each.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = ROOT / "bench" / "triage_written.jsonl"
sys.path.insert(0, str(ROOT))

# ------------------------------------------------------------------------ zh-Hans sentences

ZH = {
    "safety_emergency": [
        "{p}插上电就冒烟了 屋里一股烧焦味", "充电宝鼓包了还发烫 刚才冒了一下火花", "{p}用着用着突然起火了 还好我在旁边",
        "插座那里噼里啪啦冒火花 我现在不敢碰", "家里闻到很重的煤气味 是不是你们装的热水器漏气", "孩子把{p}里的小零件吞下去了 现在一直咳",
        "热水壶底座漏电 我老婆被电了一下手都麻了", "用了你们的面霜脸肿得厉害 呼吸有点困难", "吃了你们卖的坚果 孩子过敏全身起疹子",
        "电动车电池在楼道里炸了 邻居都吓坏了", "{p}烫伤了我女儿的手 起了好大的水泡", "婴儿床的栏杆断了 宝宝摔下来头上流血了",
        "我家老人用了你们的按摩椅晕倒了 现在在医院", "快递员送货的时候三轮车撞到我了 腿上全是血", "充电器烧化了 差点把窗帘点着",
        "{p}的电线在冒烟 闻着很刺鼻", "取暖器倒了把地毯烧了一个洞 幸好人没事但是好吓人", "平衡车骑着骑着突然刹死 我儿子摔骨折了",
        "燃气灶打不着火 厨房里全是燃气味 很怕出事", "买的儿童玩具有磁铁 孩子好像吞了一颗", "吹风机冒火星子 把我头发都烧焦了",
        "新买的锅一加热就冒黑烟 呛得人头晕想吐", "小孩玩你们卖的水枪 电池漏液 手被腐蚀红肿", "电热毯半夜烧起来了 我胳膊烫伤了",
        "你们的司机开车撞了我 我头磕到了现在还晕", "插线板冒烟还有焦味 整个屋子断电了", "{p}爆了 碎片划伤了我的脸",
        "用了你们的清洁剂 跟别的混在一起 现在嗓子很痛喘不上气", "空调外机在冒火 楼下已经有人在喊了", "宝宝喝了你们的奶粉一直吐 嘴唇发紫",
        "电梯里你们的送货箱砸到我脚了 现在肿得走不了路", "锂电池在充电的时候起火 家里的沙发烧了",
        "孩子的手被电梯门夹了 现在肿得很厉害", "吃了你们的熟食以后上吐下泻 站都站不稳", "打开包裹有股刺鼻的味道 手沾到就起了水泡", "插上电源就往外喷火花 我手背被烫红了", "充电的时候机身烫得变形了 差点把被子点着", "老人用按摩椅手被卡住了 拔不出来 一直喊疼", "喝了你们的饮料嘴唇肿起来了 喉咙发紧", "除湿机里面的线都烧黑了 还在冒一点烟",
    ],
    "account_security": [
        "我的账号被盗了 里面的余额全没了", "有人在外地登录了我的账号 我根本没去过那", "密码被人改了 我自己登不进去了 绑定的手机也换了",
        "收到验证码短信 可我没在登录啊 是不是有人在搞我", "账户里多了好几个订单 都不是我下的", "我的银行卡被你们平台盗刷了三笔",
        "有人冒充你们客服打电话给我 骗走了两千块", "我没操作 账户就自动换了收货地址", "刚才收到异常登录提醒 我人在家里根本没登",
        "我的会员被别人用了 积分全被兑换了", "手机丢了 怕支付账户被人用 怎么紧急冻结", "有人用我的身份信息注册了你们的账号",
        "账号莫名其妙被封 然后又被人解封登录了", "邮箱收到改密码的邮件 不是我本人操作", "我的账户绑定的手机号被人换掉了",
        "被人骗了 点了一个假的退款链接 输了验证码", "钱包里的钱被转走了 我从来没授权过", "有人拿我的账号在你们这买了好几部手机",
        "登录记录里有好多陌生设备", "我的支付密码好像泄露了 今天被扣了两笔不认识的", "有个自称你们平台的人让我下载软件共享屏幕",
        "我的号被别人登了 还给我好友发借钱消息", "我的花呗在你们这被人刷了 不是我本人",
        "信用卡账单有一笔你们平台的消费 可我根本没买过", "支付宝显示半夜有一笔充值 不是我操作的", "点了短信里的积分兑换链接 填了银行卡 卡里的钱就少了", "有人自称你们员工卖内部价 我转了定金 现在联系不上了", "外卖账号多了几个订单 送到陌生地址 扣的是我的卡",
    ],
    "billing": [
        "同一个订单扣了我两次钱", "付款的时候显示失败 结果钱扣了两遍",
        "我的积分莫名其妙被扣了五百分", "退款说三个工作日到账 现在一个礼拜了还没到", "取消订单了钱还没退回来", "自动续费我根本没开 又扣了我一个月会员",
        "账单上多了一笔不认识的运费", "价格写的99 实际扣了129", "发票开错了 金额不对",
        "退货都签收了 退款一直没到",
        "会员费被重复扣了", "分期付款每个月扣的钱比说好的多", "定金付了 尾款的时候定金没抵扣",
        "运费险理赔的钱一直没到账", "明明选的货到付款 怎么提前扣款了", "退款金额少了 少退了我十几块", "我的余额莫名其妙少了一百",
        "一个商品扣了三次款 银行流水都在",
        "为什么要收我手续费 之前没说过", "没有质量问题 就是价格扣错了 请把多扣的钱退给我",
    ],
    "outage": [
        "app一直闪退 根本打不开", "网站打不开了 一直转圈", "登录不了 一直提示网络错误", "付款页面卡住了 点了没反应",
        "你们的服务器是不是崩了 刷半天刷不出来", "小程序白屏 什么都加载不出来", "验证码一直收不到 没法登录", "更新完app就用不了了",
        "页面一直报错 500 什么的", "购物车加不进去东西 一点就报错", "客服入口都打不开 想投诉都没地方", "我们这边整个小区都断网了 宽带用不了",
        "手机没信号 从早上到现在一格都没有", "直播间进不去 一直卡在加载", "订单页面空白 看不到我的订单", "扫码支付一直失败 换了几个手机都一样",
        "app提示系统维护 都维护一天了", "搜索功能坏了 搜什么都没结果", "你们的网页版登上去就掉线", "提交订单的按钮是灰的点不了",
        "电视盒子连不上你们的服务 一直显示连接失败", "物流查询页面打不开 一直404",
    ],
    "defective_or_wrong_item": [
        "收到的{p}是坏的 开不了机", "{p}用了两天就坏了", "包装破了 里面的{p}也碎了", "买的黑色 发来的是白色",
        "尺码发错了 我要的L给我发了S", "少发了一个配件 充电线没有", "{p}有划痕 明显是二手的", "{p}没声音 插上也没反应",
        "衣服有个洞 线头也很多", "鞋子两只不一样大", "{p}漏水 桌子都湿了", "收到的{p}跟图片完全不一样",
        "买了三个只收到两个", "{p}一直异响 咔咔的声音", "屏幕有坏点 亮屏就看到了", "拉链拉两下就坏了",
        "客服说无质量问题 可是{p}明明开不了机", "商家说是人为损坏 我拆开就是裂的", "说是正品 结果是假货 做工很差",
        "{p}的按键失灵了 按了没反应", "食品过期了 生产日期是去年的", "{p}充不进电", "颜色跟描述的不一样 色差太大",
        "型号发错了 我买的是Pro 来的是普通版", "{p}有股很难闻的味道 像是用过的", "空气炸锅坏了 按键全没反应",
        "收到的杯子裂了一条缝", "书少了几页 还有印刷错误", "{p}的螺丝少了两颗 装不起来",
    ],
    "late_or_lost_parcel": [
        "快递一直没到", "物流五天没更新了", "显示已签收 可我根本没收到", "说好三天到 现在一个星期了",
        "包裹是不是丢了 一直卡在中转站", "都半个月了还没发货", "什么时候发货啊 等好久了", "快递员说送了 我家门口什么都没有",
        "物流信息一直停在揽收", "预售说十号发 现在都二十号了", "不是坏了 就是一直没送到", "没有质量问题 就是物流太慢了",
        "我的快递到底到哪了", "派送中三天了 还没送来", "快递被别人签收了 不是我签的", "寄到驿站了也不通知我 现在显示退回",
        "下单一个月了还是没收到", "催了好几次发货 一直说马上", "卖家说已经发货了 可是单号查不到", "包裹一直在海关 不知道什么情况",
        "快递送错地址了 送到隔壁小区", "东西都没收到就显示确认收货了", "说好的次日达 三天了还没影",
    ],
    "poor_service": [
        "你们客服态度太差了", "能不能敬业一点", "问了三遍都答非所问 跟机器人一样", "客服直接把我电话挂了",
        "客服说话阴阳怪气的", "一直让我等 等了一个小时没人理", "你们能不能专业点 每次都推来推去", "客服骂我 我录音了",
        "打了电话说会回电 到现在都没人打给我", "每次问都是复制粘贴的话 敷衍", "售后一直踢皮球 说找商家 商家说找平台",
        "客服不耐烦 说话很冲", "你们的客服是不是没培训过", "发消息不回 已读不回", "快递员态度恶劣 还扔我的东西",
        "这服务我真的服了 没见过这么差的", "客服让我自己想办法 这叫什么服务", "我要投诉刚才那个客服 工号我记下了",
        "你们这些客服就会说抱歉 一点用都没有", "转了五个人 每个人都让我重新说一遍", "师傅上门安装迟到两个小时还嫌我家楼层高",
        "客服说‘这是你自己的问题’ 什么态度",
    ],
    "inquiry": [
        "请问你们几点下班", "想问一下可以开发票吗", "这个{p}有没有保修", "能送到香港吗", "下单以后还能改地址吗",
        "怎么申请退货", "会员有什么优惠", "这个有现货吗 什么时候能发", "可以用花呗分期吗", "{p}支持七天无理由吗",
        "你们有线下门店吗", "怎么修改绑定的手机号", "买两件能便宜点吗", "{p}是什么材质的", "请问国庆期间发货吗",
        "能开专票吗 公司要报销", "请问怎么用积分抵扣", "{p}和上一代有什么区别", "请问退货运费谁出", "可以指定送货时间吗",
        "新用户有没有优惠券", "这个尺码偏大还是偏小", "请问发什么快递", "可以货到付款吗",
        "这个取暖器碰倒了会自动断电吗", "充电宝充电的时候有点热 正常吗", "电池要是鼓包了能免费换吗 现在没事 先问问", "流量用超了会一直扣钱吗", "分期提前还清要手续费吗", "退款一般几天能到账", "这台冰箱一天耗电多少", "电热毯整晚开着安全吗", "家里有小孩 这个插座有保护门吗", "辣得嘴巴冒火 还有微辣的吗",
    ],
    "other": [
        "谢谢你们 上次的问题解决了", "好的 收到", "你好", "在吗", "给你们提个建议 app字体能不能大一点",
        "你们家东西还不错 会回购", "上次那个客服小姐姐很耐心 表扬一下", "没事了 已经好了", "嗯嗯 知道了",
        "我想给你们的包装提点意见 太浪费了", "不用了 谢谢", "测试一下", "哈哈哈好的", "我找到了 不好意思打扰了",
        "帮我转人工", "我想加盟你们 找谁", "你们招人吗", "想合作 有对接人吗", "东西收到了 很满意",
        "祝你们生意兴隆", "好吧 那就这样吧", "ok", "你是机器人吗", "别再给我发促销短信了 烦", "帮我把账号注销掉",
        "发票抬头想改成公司的", "想把赠品换个颜色", "麻烦把订单备注改一下", "我想把收件人名字改成我老公的", "把我从你们的邮件列表里删掉", "不想收到你们的推送了 怎么关",
        "优惠券明明能用 结算的时候没给我减", "说好的满200减30 结账根本没减", "买完第二天就降价了 能不能退差价", "优惠券过期了 可是我下单的时候明明还在有效期", "红包抵扣没生效 多付了二十块", "活动说返现 到现在一分钱没返", "积分兑换的券用不了 积分也没退回来", "下单用了券 退货的时候券没退回来", "昨天下单今天便宜了五十 差价能补吗", "满减活动没算上 是不是系统问题", "新人券领了用不了", "航班取消了只能退票 改签要加钱 太坑了", "火车票改签居然要手续费", "会员自动续费默认勾选 这不是坑人吗", "保价只有七天 第八天降价就不管了？", "直播间说的赠品没给我",
    ],
}

# Taiwan / Hong Kong usage, written in traditional characters (not converted).
ZH_HANT = {
    "safety_emergency": [
        "{p}插電就冒煙 整間房子都是燒焦味", "行動電源在包包裡發燙膨脹 還冒煙", "延長線燒起來了 差點釀成火災", "家裡瓦斯味很重 是不是你們裝的熱水器有問題",
        "小孩把玩具的電池吞下去了 現在怎麼辦", "用了你們的乳液臉又紅又腫 快喘不過氣", "電暖器倒下來把地毯燒焦 我的手也燙傷了",
        "外送員騎車撞到我 頭很暈還在流血", "吹風機冒火花 嚇死人", "嬰兒車突然塌掉 寶寶撞到頭了",
        "個插蘇出火花 間屋好大燶味", "電熱水壺漏電 我被電到手麻",
        "小朋友食完你哋啲餅乾成身起紅疹 而家喺醫院", "部機充電充到燙到變形 差啲燒著張床", "手指被你們的自動門夾到 腫得很大", "瓦斯爐關掉了還是一直有瓦斯味 整間屋都是", "抽濕機有燶味 入面啲電線黑晒",
    ],
    "account_security": [
        "我的帳號被盜了 裡面的點數全部不見", "有人在國外登入我的帳號", "密碼被改掉 綁定的手機也被換了", "信用卡被盜刷 我根本沒買這些",
        "有人假冒你們客服打給我 騙我去ATM操作", "帳戶裡多了好幾筆不是我下的訂單", "我個account俾人hack咗", "收到陌生裝置登入通知 不是我本人",
        "信用卡帳單有一筆你們的消費 我根本沒有帳號", "收到假冒你們的簡訊 點進去刷了卡 錢被盜了",
    ],
    "billing": [
        "同一筆訂單被扣款兩次", "退款說三個工作天 現在都一週了還沒入帳", "點數無緣無故被扣了",
        "自動續訂我沒開 又被扣了一個月", "價格標299 刷卡刷了399", "運費被多收了", "我取消訂單了 錢還沒退",
        "扣咗我兩次錢", "發票金額開錯了", "訂金付了 尾款沒有扣掉訂金",
    ],
    "outage": [
        "APP一直閃退 根本開不了", "網站一直轉圈圈 進不去", "登入不了 一直顯示連線錯誤", "結帳頁面卡住 按了沒反應",
        "你們系統是不是掛了", "網路整天斷斷續續 根本不能用", "個app開唔到 成日彈出嚟", "手機完全沒訊號 從早上到現在",
    ],
    "defective_or_wrong_item": [
        "收到的{p}是壞的 開不了機", "{p}用兩天就故障了", "外盒破掉 裡面的{p}也摔裂了", "我買黑色的 寄來白色的",
        "尺寸寄錯了", "少寄一個配件", "{p}有刮痕 看起來是二手的", "客服說沒有品質問題 但是{p}根本不能用",
        "件衫穿咗一次就爛咗", "個{p}壞咗 完全冇反應", "{p}會漏水 桌子都濕了", "收到的跟圖片完全不一樣",
    ],
    "late_or_lost_parcel": [
        "包裹一直沒到", "物流五天都沒更新", "顯示已取貨 可是我根本沒去超商拿", "宅配說今天到 等了一整天都沒來",
        "包裹是不是遺失了", "都兩個禮拜了還沒出貨", "我個包裹去咗邊", "等咗兩個星期都未收到",
        "不是壞掉 只是一直沒送到", "賣家說已經出貨了 但是查不到單號",
    ],
    "poor_service": [
        "你們客服態度很差", "能不能敬業一點", "客服很機車 講話很衝", "客服直接掛我電話",
        "問三次都答非所問 很扯", "一直叫我等 等了一個小時都沒人理", "你哋啲客服態度好差", "打去問 個個都推來推去",
        "客服講話很敷衍 有夠爛",
    ],
    "inquiry": [
        "請問可以開統編嗎", "想問一下可以超商取貨嗎", "這個{p}有保固嗎", "請問有寄香港嗎", "下單後還可以改地址嗎",
        "請問幾點下班", "想問有冇門市", "可以分期付款嗎", "請問退貨運費誰出", "點樣申請退貨",
        "這台電暖器有過熱保護嗎", "充電時手機會發燙 這樣正常嗎", "提前解約要付違約金嗎", "退款大概幾天會入帳", "呢部暖爐倒咗會唔會自動斷電",
    ],
    "other": [
        "謝謝你們 問題解決了", "好的 收到", "你好", "在嗎", "東西收到了 很滿意", "上次那位客服很有耐心 要表揚一下",
        "唔該晒", "冇事啦 搞掂咗", "給你們一點建議 包裝可以少一點", "不用了 謝謝",
        "折價券明明可以用 結帳卻沒折抵", "優惠碼用唔到 多俾咗錢", "剛買就降價 可以補差價嗎", "生日禮券結帳時沒有折抵", "班機取消只給退票不給改期", "點數加倍活動沒有入帳", "會員自動續約預設打勾 很不合理",
    ],
}

EN = {
    "safety_emergency": [
        "my {p} started smoking when i plugged it in, whole room smells burnt", "the power bank swelled up and got super hot then sparked",
        "the {p} caught fire on the counter, we put it out but im shaking", "sparks coming out of the outlet where your charger is plugged in",
        "i smell gas since your guy installed the stove", "my toddler swallowed a magnet from the toy set i bought from you",
        "got an electric shock from the kettle base, my hand is still numb", "your face cream made my face swell up and i can barely breathe",
        "my son had an allergic reaction to the snacks, hives everywhere", "the e-bike battery exploded in the hallway",
        "the {p} burned my daughter's hand, there's a big blister", "the crib rail snapped and the baby fell and is bleeding from the head",
        "my dad passed out using your massage chair, we called an ambulance", "your delivery van hit me in the parking lot, my leg is bleeding",
        "the charger melted and nearly set the curtains on fire", "my driver crashed and i hit my head, still dizzy",
        "the heater tipped over and burned a hole in the rug, my arm got burned too", "the scooter brakes locked up and my kid broke his arm",
        "black smoke pouring out of the air fryer and the alarm is going off", "my son broke his leg when the stroller folded with him in it",
        "the lithium battery is hissing and smoking on my desk right now", "my wife got shocked touching the washer you installed",
        "mixed your cleaner like the label said and now my throat burns and i cant breathe right", "the {p} exploded and glass cut my face",
        "the ceiling fan you installed fell on my husband's head", "my baby keeps vomiting after the formula and her lips look blue",
        "got a shock from the toaster and my hand is still numb", "ate the salad from your kit and i've been vomiting all night", "the charger melted and burned my fingers", "my son's hand got caught in the treadmill belt, it's bleeding", "the box was leaking some chemical and my skin is blistering where it touched",
    ],
    "account_security": [
        "my account got hacked and my balance is gone", "someone logged into my account from another country",
        "my password was changed and it wasnt me, now i cant get in", "i keep getting verification codes i never asked for",
        "there are orders on my account i didnt place", "my card was used on your site for 3 purchases i never made",
        "someone pretending to be your support called and scammed me out of $400", "my shipping address changed by itself",
        "got a suspicious login alert, i was asleep at the time", "someone used my points, all of them redeemed overnight",
        "lost my phone, how do i lock my account before someone uses it", "someone opened an account with my email",
        "the email on my account was changed without my permission", "i clicked a fake refund link and gave them the code, help",
        "money moved out of my wallet and i never authorized it", "there are unknown devices in my login history",
        "somebody is messaging my friends from my account asking for money", "i think my account is compromised",
        "got a text saying my number was ported, i didnt request that",
        "there's a charge on my card from your app and i don't even have an account", "got a fake text from 'you', entered my card, now $300 is gone", "three orders i never placed were billed to my saved card",
    ],
    "billing": [
        "you charged me twice for the same order", "payment said failed but i was charged two times",
        "my points disappeared, i had 3000 and now 0", "refund was supposed to take 3 days, its been 2 weeks",
        "i cancelled the order and still no refund", "auto renew charged me again, i never turned it on", "there's a shipping fee on my bill i didnt agree to",
        "price said $49 but i got charged $69", "the invoice has the wrong amount",
        "returned it 3 weeks ago and still havent got my money back", "membership fee billed twice this month",
        "down payment was taken but not applied to the balance", "gift card balance is wrong", "you charged a restocking fee nobody told me about",
        "got charged for express shipping but it came standard", "there's a charge from you on my statement i dont recognize, i think its a billing mistake",
        "not damaged or anything, i just got overcharged",
    ],
    "outage": [
        "app keeps crashing as soon as i open it", "website wont load, just spinning", "cant log in, it says network error",
        "checkout page is frozen, nothing happens when i click pay", "is your site down? nothing loads", "blank white screen on the app",
        "not getting the login code so i cant sign in", "after the update the app doesnt work at all", "getting error 500 on every page",
        "cant add anything to cart, it errors out", "your help page is down too so i cant even complain", "internet has been out all day in my building",
        "no signal on my phone since this morning", "the live stream page wont open", "my orders page is empty", "payments keep failing on every card",
        "my fire stick cant connect to your streaming service, says server unavailable", "the app has been under maintenance for a whole day",
        "search is broken, returns nothing", "keeps logging me out every 2 minutes", "the tracking page gives a 404",
    ],
    "defective_or_wrong_item": [
        "the {p} arrived broken, wont turn on", "my {p} stopped working after 2 days", "box was crushed and the {p} inside is cracked",
        "ordered black got white", "wrong size, i ordered M you sent XL", "the charging cable is missing from the box",
        "{p} has scratches all over, looks used", "no sound from the {p} at all", "the shirt has a hole in it", "shoes are two different sizes",
        "the {p} leaks everywhere", "item looks nothing like the pictures", "ordered 3 only 2 in the box", "the {p} makes a grinding noise",
        "dead pixels on the screen right out of the box", "zipper broke the first time i used it", "support said theres no defect but the {p} literally doesnt turn on",
        "seller claims i damaged it, it came cracked", "this is obviously a fake, terrible quality", "buttons on the {p} dont respond",
        "the food is expired, best before last year", "the {p} wont charge", "colour is totally different from the listing",
        "you sent the basic model, i paid for the pro", "my fire stick remote is dead out of the box", "the air fryer basket is warped and the handle came off",
        "the mug came with a crack in it", "missing screws so i cant assemble it",
    ],
    "late_or_lost_parcel": [
        "my package still hasnt arrived", "tracking hasnt updated in 5 days", "says delivered but nothing here", "was supposed to come in 3 days, its been a week",
        "i think my parcel is lost, stuck at the sorting center", "its been two weeks and it hasnt even shipped", "when is my order shipping??",
        "driver says he left it at the door, there is nothing at my door", "tracking stuck on label created", "preorder said ships on the 10th, its the 20th",
        "not broken, just late", "nothing wrong with the item i assume, i just never got it", "where is my order", "out for delivery for 3 days now",
        "someone else signed for my package", "my parcel got sent back to you for no reason", "ordered a month ago still nothing",
        "seller says shipped but the tracking number doesnt work", "package stuck in customs forever", "delivered to the wrong address",
        "paid for next day delivery, day 4 now",
    ],
    "poor_service": [
        "your customer service is so rude", "can you people be any less useless", "asked the same question 3 times and got nonsense answers",
        "the agent hung up on me", "the rep was so condescending", "waited an hour on hold and nobody picked up", "be professional for once, you keep passing me around",
        "your agent swore at me, i have it recorded", "said someone would call back, nobody ever did", "every reply is a copy paste script",
        "support says ask the seller, seller says ask support", "the agent was impatient and snapped at me", "do you even train your staff",
        "you left me on read for 2 days", "the courier was rude and threw my box", "worst service ive ever had", "agent told me to figure it out myself",
        "i want to complain about the agent i spoke to today", "all you ever say is sorry for the inconvenience", "transferred 5 times and had to explain from scratch every time",
        "the installer showed up 2 hours late and complained the whole time", "the rep literally said put the phone down and call back later, then hung up",
    ],
    "inquiry": [
        "what time do you close", "can i get an invoice for my order", "does the {p} come with a warranty", "do you ship to hong kong",
        "can i still change the address after ordering", "how do i return something", "what do members get", "is this in stock",
        "can i pay in installments", "is there a 7 day return on the {p}", "do you have a physical store", "how do i change my phone number on the account",
        "any discount if i buy two", "what is the {p} made of", "do you ship during the holidays", "which courier do you use",
        "does the fire stick work with my tv", "is this size true to fit", "can i choose a delivery time", "do you do cash on delivery",
        "how do i use my points",
        "is it safe to charge my phone overnight", "does the heater shut off if it tips over", "my laptop gets warm when gaming, is that normal", "is the watch waterproof enough for swimming", "how long do refunds usually take", "do you charge a fee to pay off early", "how much power does the dryer use", "what happens if the battery swells, is that covered",
    ],
    "other": [
        "thanks, my issue got sorted", "ok got it", "hi", "hello?", "suggestion: make the font in the app bigger", "love your stuff, will buy again",
        "the agent yesterday was super patient, just wanted to say thanks", "never mind, its fine now", "cool thanks", "your packaging uses way too much plastic, just feedback",
        "no thanks", "test", "lol ok", "found it, sorry to bother you", "can i talk to a human", "are you hiring", "i want to partner with you, who do i contact",
        "arrived, very happy with it", "break a leg with the launch guys", "ok", "are you a bot",
        "stop sending me marketing texts", "i'd like to switch the size on my order to a medium",
        "please change the name on the gift card", "i would like to add a gift note to my order", "please take me off your mailing list", "i want my account and data deleted",
        "keep getting newsletters even after opting out, make it stop", "please update the company name on my receipt",
        "my coupon didnt apply at checkout", "the 20% off code wont work and i paid full price", "price dropped the day after i bought it, can i get the difference", "the promo credit never showed up", "my cashback never came", "this deal is fire but the discount didnt come off my total", "bought it last week and now it's $50 cheaper, do you price match", "my birthday reward wasn't applied", "flight got cancelled and you rebooked me two days later, great", "the bogo deal didn't ring up at the register", "you moved my flight to 5am without asking", "loyalty points from my last stay never showed up", "the app coupon disappeared before i could use it",
    ],
}

# The words customers use for each scenario, written by hand: each is a short training row.
LEXICON = {
    "zh-Hans": {
        "safety_emergency": "冒烟|起火|着火|烧起来了|冒火花|火星|烧焦味|焦糊味|煤气味|燃气泄漏|漏电|被电到|触电|电了一下|爆炸|炸开了|鼓包发烫|"
            "烫伤|烧伤|流血|骨折|摔伤|划伤|割伤|晕倒|昏过去|喘不上气|呼吸困难|过敏起疹子|脸肿了|中毒|误吞|吞下去了|送医院|叫了救护车|"
            "急诊|孩子受伤|老人摔倒|头磕破了|冒黑烟|电池起火|插座烧了|电线烧了|着火了怎么办|有生命危险|撞伤|砸到脚|烧穿了",
        "account_security": "账号被盗|盗号|被人登录|异地登录|陌生设备登录|密码被改|手机号被换绑|被盗刷|盗刷|不是我下的单|不是我本人操作|"
            "冒充客服|诈骗电话|被骗了|钓鱼链接|验证码泄露|余额被转走|账户异常|冻结账户|被人改了收货地址|积分被盗用|有人用我的账号|"
            "身份被冒用|账户被黑|号被封|异常登录提醒|银行卡被刷|授权|共享屏幕|假客服",
        "billing": "扣款|扣了两次|重复扣费|多扣钱|乱扣费|扣费不对|退款|退款没到账|退差价|价保|优惠券|券没用上|满减没减|红包|积分被扣|"
            "积分没到账|返现|自动续费|会员费|运费|手续费|发票|账单|金额不对|价格不对|多收钱|定金|尾款|分期|到账|退回原路|少退了|"
            "差价|余额|充值没到账|话费|扣了会员|支付成功但订单显示未付款|付了两次款|收费",
        "outage": "闪退|打不开|加载不出来|白屏|转圈|崩了|宕机|系统故障|报错|登录不了|登不上|网络错误|连不上|断网|没信号|宽带坏了|"
            "网速很慢|卡死|页面空白|404|500错误|服务器错误|无法支付|支付失败|无法提交|验证码收不到|系统维护|更新后用不了|app用不了|"
            "小程序打不开|网页崩溃|掉线|一直重新登录",
        "defective_or_wrong_item": "坏了|质量问题|开不了机|没反应|不能用|故障|破损|碎了|裂了|划痕|二手|翻新|假货|发错|错发|颜色不对|"
            "尺码不对|型号不对|少发|漏发|少了配件|缺零件|漏水|异响|杂音|没声音|充不进电|失灵|掉色|起球|开线|有洞|过期|变质|发霉|"
            "色差|做工差|跟图片不一样|货不对板|瑕疵|坏点|断了|掉漆|变形|有异味",
        "late_or_lost_parcel": "快递没到|物流不动|物流没更新|还没发货|什么时候发货|迟迟不发货|包裹丢了|丢件|显示签收没收到|被别人签收|"
            "送错地址|派送失败|快递员没送|卡在中转站|清关|延迟发货|预售延期|超时未送达|催发货|催快递|还没到|一直没收到|驿站|退回了|"
            "物流停了|多久能到|次日达没到|快递太慢",
        "poor_service": "态度差|态度恶劣|敷衍|不耐烦|挂电话|不理人|已读不回|没人回复|踢皮球|推卸责任|答非所问|机器人回复|复制粘贴|"
            "骂人|阴阳怪气|说话很冲|不专业|不敬业|没人管|等了很久没人接|转来转去|不给解决|投诉客服|投诉工作人员|服务差|素质差|"
            "能不能负责一点|你们这服务|说好回电没回|工号|态度能不能好点",
        "inquiry": "请问|想问一下|咨询一下|怎么操作|如何申请|能不能开发票|有没有优惠|几点下班|营业时间|支持货到付款吗|能送到吗|"
            "有现货吗|什么时候上新|保修多久|怎么退货|运费多少|可以改地址吗|有什么区别|适合什么人|尺码怎么选|可以分期吗|门店地址|"
            "会员怎么开通|积分怎么用",
        "other": "谢谢|好的|收到|嗯|哦|ok|你好|在吗|没事了|不用了|已解决|建议|表扬|好评|很满意|辛苦了|合作|加盟|招聘|测试|哈哈|"
            "再见|晚安|知道了|明白了|转人工|人工客服|你是机器人吗",
    },
    "zh-Hant": {
        "safety_emergency": "冒煙|起火|燒焦味|瓦斯味|漏電|觸電|被電到|爆炸|燙傷|流血|骨折|昏倒|喘不過氣|過敏|誤吞|叫救護車|送急診|火花",
        "account_security": "帳號被盜|盜刷|被人登入|異地登入|密碼被改|不是本人操作|假客服|詐騙|被騙|帳戶異常|凍結帳戶",
        "billing": "扣款兩次|重複扣款|多收錢|退款沒入帳|退費|折價券|優惠碼|點數被扣|自動續訂|運費多收|發票|金額不對|退差價|刷卡金額",
        "outage": "閃退|打不開|網站掛了|轉圈圈|登入不了|連線錯誤|斷線|沒訊號|網路不通|系統維護|當機|頁面空白",
        "defective_or_wrong_item": "壞掉|品質問題|故障|開不了機|沒反應|破損|裂開|刮痕|二手|寄錯|少寄|漏水|異音|瑕疵|跟圖片不一樣|仿冒品",
        "late_or_lost_parcel": "包裹沒到|物流沒更新|還沒出貨|遺失|顯示已取貨|超商取貨|宅配沒來|延遲出貨|送錯地址|還沒收到",
        "poor_service": "態度很差|很機車|敷衍|不耐煩|掛電話|已讀不回|推來推去|答非所問|不專業|服務很爛|講話很衝",
        "inquiry": "請問|想問|可以開統編嗎|有保固嗎|可以超商取貨嗎|門市在哪|可以分期嗎|運費怎麼算|怎麼退貨",
        "other": "謝謝|好的|收到|你好|在嗎|沒事了|不用了|已解決|建議|表揚|很滿意|辛苦了|唔該",
    },
    "en": {
        "safety_emergency": "smoking|smoke coming out|caught fire|on fire|flames|sparks|sparking|burning smell|smells like burning|gas leak|"
            "smell gas|electric shock|got shocked|electrocuted|exploded|explosion|battery swelling|overheating and smoking|burned my hand|"
            "burn blister|bleeding|broke his arm|broke my wrist|broken leg|fractured|concussion|hit my head|fainted|passed out|"
            "cant breathe|allergic reaction|hives|swelling face|poisoned|swallowed a battery|choking|ambulance|er visit|hospital|"
            "injured|hurt badly|cut my hand|melted plug|fire hazard|carbon monoxide|fell on my kid",
        "account_security": "hacked|account compromised|someone logged in|unknown login|unrecognized device|password changed|email changed|"
            "phone number changed|unauthorized purchase|unauthorized charge|didnt make this purchase|not my order|fraud|scammed|scammer|"
            "fake support|phishing|gave my code|stolen account|identity theft|sim swap|account locked by someone|drained my wallet|"
            "someone used my points|lock my account|freeze my account",
        "billing": "charged twice|double charged|duplicate charge|overcharged|wrong amount|refund not received|still no refund|"
            "where is my refund|refund pending|price adjustment|price match|coupon not applied|promo code|discount missing|voucher|"
            "points deducted|cashback|auto renewal|subscription charge|membership fee|shipping fee|hidden fee|restocking fee|invoice|"
            "bill|billing error|deposit|down payment|installment|partial refund|store credit|gift card balance|charged my card|extra charge",
        "outage": "app crashing|app crashes|wont load|not loading|site down|website down|server error|error 500|404|blank screen|"
            "spinning forever|cant log in|login failing|cant sign in|network error|connection failed|no internet|no signal|outage|"
            "service down|payment page broken|checkout not working|frozen screen|keeps logging out|maintenance all day|buggy update",
        "defective_or_wrong_item": "broken|damaged|defective|faulty|cracked|shattered|dented|scratched|used item|refurbished|fake|"
            "counterfeit|wrong item|wrong size|wrong color|wrong model|missing part|missing pieces|incomplete|doesnt work|stopped working|"
            "wont turn on|dead on arrival|leaking|rattling|no sound|wont charge|expired|moldy|stained|torn|ripped|not as described|"
            "poor quality|falling apart|malfunctioning",
        "late_or_lost_parcel": "package late|parcel late|hasnt arrived|not delivered|never arrived|where is my package|tracking not updating|"
            "stuck in transit|lost package|lost in the mail|marked delivered but not received|delivered to wrong address|not shipped yet|"
            "when will it ship|delayed shipment|delivery delay|stuck in customs|returned to sender|missed delivery|still waiting for my order|"
            "overdue|late delivery",
        "poor_service": "rude|disrespectful|unprofessional|hung up on me|ignored|no reply|left on read|nobody answers|on hold forever|"
            "useless support|bad attitude|condescending|dismissive|passed around|run around|scripted answers|incompetent|lazy|"
            "terrible service|worst customer service|complain about your agent|no callback|lied to me|yelled at me",
        "inquiry": "how do i|can i|do you|is it possible|what is|when do|which|question about|wondering if|could you tell me|"
            "opening hours|return policy|warranty period|shipping options|do you ship to|in stock|size guide|payment methods|"
            "how long does shipping take|change my address",
        "other": "thanks|thank you|ok|okay|cool|hi|hello|nevermind|all good|resolved|feedback|suggestion|compliment|great job|"
            "love it|partnership|hiring|test|lol|bye|good night|got it|human please|are you a bot",
    },
}


PRODUCTS = {
    "zh-Hans": ["耳机", "电饭煲", "充电器", "扫地机器人", "台灯", "吹风机", "电动牙刷", "显示器", "键盘", "保温杯", "投影仪",
                "空气炸锅", "手机", "平板", "电热水壶", "加湿器", "洗衣机", "微波炉", "音箱", "手表"],
    "zh-Hant": ["耳機", "電鍋", "充電器", "掃地機器人", "檯燈", "吹風機", "電動牙刷", "螢幕", "鍵盤", "保溫杯", "手機", "平板",
                "電熱水壺", "除濕機", "氣炸鍋", "手錶"],
    "en": ["headphones", "air fryer", "charger", "vacuum", "lamp", "hair dryer", "monitor", "keyboard", "blender", "kettle",
           "fire stick", "tv", "laptop", "phone", "speaker", "watch", "heater", "humidifier"],
}

GREET = {
    "zh-Hans": ["你好", "您好", "在吗", "客服在吗", "亲", "喂", "哈喽", "hello", "急急急", "那个", "麻烦问下", "你好客服", "亲在吗"],
    "zh-Hant": ["你好", "您好", "在嗎", "客服在嗎", "哈囉", "喂", "唔該", "hello", "請問一下", "急"],
    "en": ["hi", "hello", "hey", "hi there", "good morning", "yo", "excuse me", "hello??", "hey guys", "dear support"],
}
HANDLES = {
    "zh-Hans": ["@悦享商城", "@悦享客服", "@悦享商城官方微博", "@yx客服小助手"],
    "zh-Hant": ["@悅享商城", "@悅享客服", "@yuexiang_tw"],
    "en": ["@YuexiangMall", "@yx_support", "@YuexiangHelp", "@yuexiang_care"],
}
CLOSE = {
    "zh-Hans": ["谢谢", "尽快处理", "快点", "无语", "服了", "垃圾", "什么破店", "烦死了", "呵呵", "??", "。。。", "急", "赶紧的",
                "给个说法", "我真的会谢", "气死我了", "我要炸了", "醉了", "离谱", "你们看着办", "别跟我说抱歉", "谢谢啦", "麻烦了"],
    "zh-Hant": ["謝謝", "盡快處理", "很扯", "傻眼", "有夠誇張", "快一點", "無言", "靠北", "真的會生氣", "好嬲", "麻煩了"],
    "en": ["thanks", "asap", "ugh", "smh", "ridiculous", "wtf", "unbelievable", "this is a joke", "pathetic", "lol", "please help",
           "fix it", "so done with this", "seriously??", "im losing my mind", "thx", "cheers", "i'm about to explode"],
}

# Signals the guides name, each with the words a customer uses for it.
SIGNALS = {
    "zh-Hans": {
        "repeat_contact": ["这是我第三次联系你们了", "打了五次电话了", "上周就反映过了", "又是这样", "催了好几次了", "第二次找你们了",
                           "每天都来问 一直没结果", "已经找过你们客服好几回了"],
        "money_taken": ["钱都扣了", "钱已经付了", "已经扣款了", "钱是付出去了", "一千多块钱就这样没了", "钱早就扣走了"],
        "public_threat": ["不解决我就发微博", "我要发小红书曝光你们", "去抖音让大家看看", "我会在网上把这事发出来", "我要在所有平台给差评"],
        "legal_threat": ["我要去12315投诉", "我去消协告你们", "我已经咨询律师了", "不处理就起诉", "我会走法律途径", "我去市场监管局举报"],
        "media": ["我认识电视台的记者", "我要找媒体", "找记者来报道", "打给新闻热线"],
    },
    "zh-Hant": {
        "repeat_contact": ["這是我第三次聯絡你們了", "打了五次電話", "上禮拜就反映過了", "又來了", "第二次找你們"],
        "money_taken": ["錢都扣了", "錢已經付了", "已經刷卡了", "錢畀咗啦"],
        "public_threat": ["不處理我就PO上網", "我要發到Dcard", "我會在臉書公開", "我要去網上爆料"],
        "legal_threat": ["我要去消保官申訴", "我會找律師", "我要去消委會投訴", "不處理就提告"],
        "media": ["我要找記者", "我會投訴到新聞台", "爆料給媒體"],
    },
    "en": {
        "repeat_contact": ["this is the third time im contacting you", "i've called 4 times", "i already reported this last week", "again!!",
                           "second time writing about this", "been emailing for two weeks", "i keep chatting with you and nothing happens"],
        "money_taken": ["you already took my money", "i paid already", "the money is gone from my account", "i paid $300 for this",
                        "you charged my card already"],
        "public_threat": ["im posting this on twitter", "everyone is going to hear about this", "leaving 1 star reviews everywhere",
                          "going viral with this if you dont fix it", "posting on reddit"],
        "legal_threat": ["i will sue", "talking to my lawyer", "filing a complaint with the consumer protection office", "see you in small claims court",
                         "reporting you to the attorney general"],
        "media": ["my friend is a journalist", "contacting the local news", "going to the press with this"],
    },
}
INJURY = re.compile(r"受伤|流血|烫伤|骨折|晕倒|磕到|划伤|红肿|过敏|喘不|呼吸困难|走不了路|手都麻|被电|燙傷|流血|撞到頭|喘不過|手麻|腫|"
                    r"bleed|burned my|burned too|broke his|broke her|hit my head|passed out|shocked|numb|swell|hives|cant breathe|"
                    r"can barely breathe|cut my face|fell on|blister|vomiting|lips look blue|throat burns|吐|发紫|水泡|头|頭", re.I)

ZH_CONNECT = ["而且", "还有", "另外", "然后", "还有就是", "顺便说一下", "更气的是", ""]
HANT_CONNECT = ["而且", "還有", "另外", "然後", "更誇張的是", ""]
EN_CONNECT = ["and", "also", "plus", "on top of that", "and also", "btw", "oh and", ""]


def _fill(s: str, lang: str, r: random.Random) -> str:
    return (s.replace("{p}", r.choice(PRODUCTS[lang])).replace("{n}", str(r.randint(2, 9)))
            .replace("{o}", str(r.randint(10**9, 10**12))))


def _typo(s: str, r: random.Random) -> str:
    words = s.split(" ")
    for i, w in enumerate(words):
        if len(w) > 4 and r.random() < 0.08:
            j = r.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if r.random() < 0.5 else w[:j] + w[j + 1:]
    return " ".join(words)


def _zh_punct(parts: list[str], r: random.Random) -> str:
    style = r.random()
    if style < 0.35:
        return " ".join(parts)
    if style < 0.7:
        return ",".join(p.replace(" ", ",") for p in parts) + r.choice(["", "。", "!", "!!", "?"])
    if style < 0.85:
        return "".join(p.replace(" ", "") for p in parts)
    return "。".join(p.replace(" ", ",") for p in parts) + "。"


def _en_punct(parts: list[str], r: random.Random) -> str:
    style = r.random()
    if style < 0.3:
        return " ".join(parts)
    if style < 0.6:
        return ". ".join(p[:1].upper() + p[1:] for p in parts) + r.choice([".", "!", "!!", "?", ""])
    if style < 0.85:
        return ", ".join(parts)
    return " ".join(parts).upper() if r.random() < 0.3 else " ... ".join(parts)


def _sources(lang: str) -> dict[str, list[tuple[str, str]]]:
    """scenario -> [(sentence, key)]: the key names the written sentence (a converted one keeps
    its simplified original's key, so grouped cross-validation never splits the two)."""
    if lang in ("en", "zh-Hans"):
        src = EN if lang == "en" else ZH
        return {k: [(s, f"{lang}/{k}/{i}") for i, s in enumerate(v)] for k, v in src.items()}
    from service.checker.text import to_script

    out = {k: [(s, f"zh-Hant/{k}/{i}") for i, s in enumerate(v)] for k, v in ZH_HANT.items()}
    for k, v in ZH.items():  # plus the simplified sentences in Taiwan wording
        out[k] += [(to_script(s, "zh-Hant"), f"zh-Hans/{k}/{i}") for i, s in enumerate(v) if i % 2 == 0]
    return out


def severity_of(issues: list[str], safety: bool, signals: list[str]) -> str:
    """How a head of support rates a ticket (the label; the service has its own rules)."""
    if safety:
        return "urgent"
    s = set(signals)
    if s & {"legal_threat", "media", "public_threat"} or {"repeat_contact", "money_taken"} <= s \
            or "account_security" in issues:
        return "high"
    if set(issues) <= {"inquiry", "other"} and not s:
        return "low"
    return "normal"


def message(lang: str, r: random.Random, scenario: str, second: str | None) -> dict:
    src = _sources(lang)
    first, key = r.choice(src[scenario])
    core = [_fill(first, lang, r)]
    group = [key]  # the written sentences it is made of (grouped cross-validation)
    issues = [scenario]
    if second:
        other, key = r.choice(src[second])
        core.append(_fill(other, lang, r))
        group.append(key)
        issues.append(second)
        con = r.choice(EN_CONNECT if lang == "en" else HANT_CONNECT if lang == "zh-Hant" else ZH_CONNECT)
        if con:
            core[1] = f"{con} {core[1]}" if lang == "en" else con + core[1]
    signals = []
    if any(x in ("safety_emergency",) for x in issues) and any(INJURY.search(c) for c in core):
        signals.append("injury")
    parts = []
    if r.random() < 0.12:
        parts.append(r.choice(HANDLES[lang]))
    if r.random() < 0.3:
        parts.append(r.choice(GREET[lang]))
    if r.random() < 0.15 and scenario not in ("other", "inquiry"):
        parts.append({"en": f"order {r.randint(10**6, 10**9)}", "zh-Hans": f"订单号{r.randint(10**9, 10**12)}",
                      "zh-Hant": f"訂單編號{r.randint(10**9, 10**12)}"}[lang])
    parts += core
    if scenario not in ("other", "inquiry") and r.random() < 0.3:
        kind = r.choice(list(SIGNALS[lang]))
        parts.append(r.choice(SIGNALS[lang][kind]))
        signals.append(kind)
    if r.random() < 0.35:
        parts.append(r.choice(CLOSE[lang]))
    if lang == "en":
        text = _typo(_en_punct(parts, r), r)
    else:
        text = _zh_punct(parts, r)
    safety = "safety_emergency" in issues
    return {"lang": lang, "text": text, "issues": issues, "severity": severity_of(issues, safety, signals),
            "safety": safety, "signals": sorted(set(signals)), "src": group}


def build(seed: int, n: int) -> list[dict]:
    r = random.Random(seed)
    rows, seen = [], set()
    scenarios = list(EN)
    langs = ["zh-Hans", "zh-Hant", "en"]
    weights = [0.4, 0.25, 0.35]
    complaints = [s for s in scenarios if s not in ("other",)]
    while len(rows) < n:
        lang = r.choices(langs, weights)[0]
        scenario = r.choice(scenarios)
        second = None
        if scenario not in ("other",) and r.random() < 0.18:
            second = r.choice([s for s in complaints if s != scenario])
        row = message(lang, r, scenario, second)
        if row["text"] in seen:
            continue
        seen.add(row["text"])
        row = {"id": f"tt-{len(rows) + 1:04d}", **row}
        rows.append(row)
    for lang, by in LEXICON.items():  # the words on their own, as the shortest messages come
        for scenario, words in by.items():
            for i, w in enumerate(words.split("|")):
                rows.append({"id": f"tt-{len(rows) + 1:04d}", "lang": lang, "text": w, "issues": [scenario],
                             "severity": severity_of([scenario], scenario == "safety_emergency", []),
                             "safety": scenario == "safety_emergency", "signals": [], "src": [f"lex/{lang}/{scenario}/{i}"]})
    for lang in GREET:  # a clause that is only a greeting, a closer or a threat names no problem
        fillers = GREET[lang] + CLOSE[lang] + [x for v in SIGNALS[lang].values() for x in v]
        for i, w in enumerate(fillers):
            rows.append({"id": f"tt-{len(rows) + 1:04d}", "lang": lang, "text": w, "issues": ["other"],
                         "severity": "low", "safety": False, "signals": [], "src": [f"fill/{lang}/{i}"]})
    for i, w in enumerate(written()):
        rows.append({"id": f"tt-{len(rows) + 1:04d}", **w, "src": [f"written/{i}"]})
    return rows


LABELS = {"safety_emergency", "account_security", "billing", "outage", "defective_or_wrong_item",
          "late_or_lost_parcel", "poor_service", "inquiry", "other"}


def written(path: Path = WRITTEN) -> list[dict]:
    """The whole messages of bench/triage_written.jsonl, checked: a line that does not parse or
    names a label the classifier does not know is reported with its line number and left out."""
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            issues = row["issues"]
            if not issues or set(issues) - LABELS or row["lang"] not in ("en", "zh-Hans", "zh-Hant"):
                raise ValueError(f"labels {issues} / lang {row['lang']!r}")
            safety = bool(row.get("safety")) or "safety_emergency" in issues
            signals = sorted(set(row.get("signals") or []))
            out.append({"lang": row["lang"], "text": row["text"].strip(), "issues": list(dict.fromkeys(issues)),
                        "severity": row.get("severity") if row.get("severity") in ("urgent", "high", "normal", "low")
                        else severity_of(issues, safety, signals), "safety": safety, "signals": signals})
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            print(f"{path.name}:{n}: left out: {e}", file=sys.stderr)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--n", type=int, default=2400)
    ap.add_argument("--out", default=str(ROOT / "rubrics" / "triage_train.jsonl"))
    a = ap.parse_args(argv)
    rows = build(a.seed, a.n)
    with open(a.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
