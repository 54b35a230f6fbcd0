"""Word lists the recognizers ship with: no network, no downloads at run time.

Kept as Python so they install with the package. Each list is deliberately small and
conservative: a word here turns running text into a finding only in the contexts the
recognizers describe (a surname needs an honorific after it; a disease or drug name counts
only on a page that concerns an individual).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()

# The most common surnames (about 40% of the population); a surname followed by さん, 君,
# ちゃん or 氏 in running text is a name.
SURNAMES = _words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邉 渡部 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 "
    "斎藤 斉藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 "
    "遠藤 青木 坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 "
    "中山 和田 石田 森田 上田 原 柴田 酒井 工藤 横山 宮崎 宮本 内田 高木 安藤 島田 谷口 大野 高田 丸山 "
    "今井 河野 藤本 村田 武田 上野 杉山 増田 小山 大塚 平野 菅原 久保 松井 千葉 岩崎 桜井 木下 野口 "
    "松尾 菊地 菊池 野村 新井 渡部 佐野 杉本 古川 大西 浜田 市川 小島 水野 桑原 樋口 服部 松下 永井 "
    "中田 高野 北村 小松 吉川 山内 西田 菅野 五十嵐 大久保 荒木 石原 小池 関 田口 辻 中西 内藤 松岡 "
    "本田 望月 黒田 川口 平田 土屋 久保田 大橋 秋山 星野 川村 岩田 関口 片山 早川 宮田 荒井 飯田 "
    "堀 大谷 須藤 西川 吉村 原口 石橋 小西 川崎 馬場 中尾 浅野 矢野 大石 北川 小田 熊谷 松村 上原 "
    "宮下 平井 田辺 吉野 西山 日高 新田 岩本 岡崎 河合 堀内 長田 根本 安田 福島 井口 沢田 澤田"
)

# Diseases and conditions that reveal a medical history (要配慮個人情報).
DISEASES = _words(
    "喘息 気管支喘息 糖尿病 高血圧 高血圧症 脂質異常症 高脂血症 心筋梗塞 狭心症 心不全 不整脈 脳梗塞 "
    "脳出血 くも膜下出血 脳卒中 がん 癌 肺がん 胃がん 大腸がん 乳がん 肝がん 白血病 悪性リンパ腫 腫瘍 "
    "認知症 アルツハイマー型認知症 統合失調症 うつ病 躁うつ病 双極性障害 適応障害 パニック障害 不安障害 "
    "発達障害 自閉症 自閉スペクトラム症 注意欠如多動症 ADHD 学習障害 知的障害 てんかん パーキンソン病 "
    "HIV エイズ 肝炎 B型肝炎 C型肝炎 肝硬変 結核 梅毒 感染症 新型コロナウイルス感染症 インフルエンザ "
    "腎不全 慢性腎臓病 透析 人工透析 関節リウマチ リウマチ 膠原病 骨粗しょう症 骨折 椎間板ヘルニア "
    "アトピー性皮膚炎 アトピー 花粉症 食物アレルギー 卵アレルギー 乳アレルギー 小麦アレルギー "
    "そばアレルギー ピーナッツアレルギー アナフィラキシー 甲状腺機能低下症 甲状腺機能亢進症 バセドウ病 "
    "橋本病 貧血 難病 潰瘍性大腸炎 クローン病 妊娠高血圧症候群 妊娠糖尿病 切迫早産 産後うつ "
    "アルコール依存症 依存症 摂食障害 拒食症 過食症 不眠症 ダウン症 脳性麻痺 筋ジストロフィー ALS "
    "筋萎縮性側索硬化症 難聴 視覚障害 聴覚障害 肢体不自由 高次脳機能障害 精神障害 身体障害"
)

# Medicines whose mention reveals a condition.
DRUGS = _words(
    "インスリン メトホルミン アムロジピン カンデサルタン オルメサルタン ワルファリン ワーファリン "
    "アスピリン バイアスピリン クロピドグレル リピトール アトルバスタチン ロスバスタチン レボチロキシン "
    "チラーヂン プレドニゾロン プレドニン メトトレキサート リウマトレックス フェノバルビタール "
    "バルプロ酸 デパケン カルバマゼピン テグレトール レベチラセタム イーケプラ リスペリドン "
    "オランザピン アリピプラゾール エビリファイ クエチアピン セロクエル パロキセチン パキシル "
    "セルトラリン ジェイゾロフト エスシタロプラム レクサプロ デュロキセチン サインバルタ ミルタザピン "
    "リフレックス ゾルピデム マイスリー エチゾラム デパス アルプラゾラム ソラナックス ロラゼパム "
    "ワイパックス ブロチゾラム レンドルミン メチルフェニデート コンサータ アトモキセチン ストラテラ "
    "ドネペジル アリセプト メマンチン メマリー レボドパ エピペン ツルバダ ビクタルビ タモキシフェン "
    "オプジーボ モルヒネ オキシコドン 抗うつ薬 抗精神病薬 睡眠薬 抗てんかん薬 抗がん剤 降圧剤 "
    "血糖降下薬 抗凝固薬 ステロイド 吸入ステロイド 気管支拡張薬"
)

# Free mail and mobile carriers: an address there is a person's, whatever the context.
FREE_MAIL_DOMAINS = _words(
    "gmail.com googlemail.com yahoo.co.jp ymail.ne.jp yahoo.com icloud.com me.com mac.com outlook.com "
    "outlook.jp hotmail.com hotmail.co.jp live.jp live.com msn.com aol.com docomo.ne.jp ezweb.ne.jp "
    "au.com softbank.ne.jp i.softbank.jp disney.ne.jp ymobile.ne.jp y-mobile.ne.jp rakuten.jp "
    "nifty.com ocn.ne.jp biglobe.ne.jp so-net.ne.jp plala.or.jp jcom.home.ne.jp excite.co.jp "
    "infoseek.jp goo.jp mail.goo.ne.jp protonmail.com proton.me"
)

# Mailboxes that name a function, not a person.
ROLE_MAILBOXES = _words(
    "info information contact support sales office admin webmaster postmaster noreply no-reply "
    "soumu somu kouhou koho jinji keiri madoguchi otoiawase toiawase inquiry inquiries customer "
    "service help desk center centre press recruit saiyo mail fax"
)

# Top-level domains accepted in an e-mail address: generic ones in use and every
# country-code domain (bundled: no look-ups at run time).
TOP_LEVEL_DOMAINS = _words(
    "com net org info biz edu gov mil int name pro mobi asia tel jobs travel coop aero museum xyz top "
    "online site shop store app dev io ai tech cloud blog club work tokyo osaka nagoya yokohama kyoto "
    "okinawa ryukyu "
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw "
    "by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et "
    "eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id "
    "ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu "
    "lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np "
    "nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk "
    "sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy "
    "uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
)
