"""Word lists the recognizers ship with: no network, no downloads at run time.

Kept as Python so they install with the package. Each list is deliberately small and
conservative: a word here turns running text into a finding only in the contexts the
recognizers describe (a disease or drug name counts only on a page that concerns an
individual). Person names come from the morphological analyser's dictionary
(policies.morphology), not from a list.
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

# Words that reveal the other kinds of 要配慮個人情報 (個人情報保護法 第2条第3項, 施行令 第2条) and
# of Setagaya's 条例要配慮個人情報, in running text about an individual.
SENSITIVE_WORDS = {
    "social_status": _words("被差別部落 同和地区出身 部落出身"),
    "crime_victim": _words(
        "被害届 犯罪被害者 犯罪被害 性犯罪被害 性被害 性暴力被害 ストーカー被害 詐欺被害 特殊詐欺被害 虐待被害 被害者支援"
    ),
    "criminal_proceedings": _words(
        "逮捕 勾留 起訴 不起訴 起訴猶予 書類送検 送検 家庭裁判所送致 家裁送致 少年審判 保護処分 保護観察 観護措置 "
        "少年鑑別所 少年院 執行猶予 刑事裁判 公判 服役 受刑 仮釈放 刑務所 補導"
    ),
    "domestic_violence": _words(
        "DV ドメスティック・バイオレンス ドメスティックバイオレンス 配偶者からの暴力 配偶者等からの暴力 配偶者暴力 "
        "夫からの暴力 妻からの暴力 交際相手からの暴力 デートDV 保護命令 接近禁止命令 退去命令 DV等支援措置 DVシェルター"
    ),
}

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
