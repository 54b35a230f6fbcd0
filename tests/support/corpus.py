"""A labelled corpus of faxes for measuring screening: forms, letters, rosters, medical notes,
cover sheets and business papers, each unmasked, partly masked, boxed, starred or blank, as
text PDFs, scanned image PDFs and fax TIFFs (fine and standard mode).

Not tests, a generator for them and for bench/bench_screening.py. Every sample knows
which personal values a recipient could read on it (`readable`, with where they are) and so
whether screening must stop it (`expected` 'block') or let it through ('pass').

People are drawn from name lists that deliberately go beyond the most common surnames
(old and rare ones: 雲母 (キララ) is in few dictionaries), so names must be found
by labels, honorifics and the analyser's dictionary together. Everything is seeded: the same seed gives the same corpus.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field, replace

import phonenumbers
from PIL import Image, ImageFilter

from policies.allowlist import AllowList
from policies.checkdigits import corporate_number_check_digit, my_number_check_digit
from policies.settings import ScreenSettings
from tests.support import corpus_scans, docgen

Rect = docgen.Rect


def require_ocr_and_fonts() -> None:
    """Skip the calling test module without tesseract (jpn) or IPAex; fail instead on CI,
    where .ci/run must have installed them."""
    import pytest

    missing = []
    if shutil.which("tesseract") is None or not os.path.exists("/usr/share/tesseract-ocr/5/tessdata/jpn.traineddata"):
        missing.append("tesseract-ocr tesseract-ocr-jpn")
    if docgen.font_path() is None:
        missing.append("fonts-ipaexfont")
    if missing:
        message = f"apt-get install {' '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"not installed; .ci/run must {message}", pytrace=False)
        pytest.skip(f"not installed ({message})", allow_module_level=True)

TEMPLATES = ("form", "letter", "roster", "medical", "cover", "business", "case_record", "identity", "dv_support",
             "facility_list", "invoice", "anonymised_summary", "empty_template", "nothing_to_note")
PERSONAL_TEMPLATES = ("form", "letter", "roster", "medical", "case_record", "identity", "dv_support")
# unmasked: everything readable; partial: the name masked, the rest readable; boxed: black
# boxes over every identifier; starred: identifiers written as ＊●■×○; blank: an empty form;
# clean: a document with no personal data at all (cover sheets, business papers).
VARIANTS = ("unmasked", "partial", "boxed", "starred", "blank", "clean")
MEDIA = ("text_pdf", "scanned_pdf", "tiff_fine", "tiff_standard") + corpus_scans.MEDIA

OFFICE_NAME = "世田谷区 保健福祉政策部 保健医療福祉推進課"
OFFICE_ADDRESS = "東京都世田谷区世田谷4-21-27"
OFFICE_TEL = "03-5432-2941"
OFFICE_FAX = "03-5432-3055"
OFFICE_STAFF = ("佐藤 一郎", "高橋 美咲")
OFFICE_DOMAIN = "city.setagaya.example.jp"
DIRECTORY = (("株式会社ケアサポート世田谷", "03-6805-1234"), ("世田谷区 子ども・若者部 子ども家庭課", "03-5432-2286"))

SETTINGS = ScreenSettings(
    allow=AllowList(
        organisations=(OFFICE_NAME,),
        addresses=(OFFICE_ADDRESS,),
        numbers=(OFFICE_TEL, OFFICE_FAX),
        staff=OFFICE_STAFF,
        email_domains=(OFFICE_DOMAIN,),
    )
).with_directory(numbers=[n for _, n in DIRECTORY], organisations=[o for o, _ in DIRECTORY])

SURNAMES = (
    "山田", "鈴木", "田中", "中村", "小林", "加藤", "吉田", "山口", "松本", "井上", "木村", "清水", "小鳥遊", "勅使河原",
    "五月女", "東海林", "一ノ瀬", "長谷部", "御手洗", "百瀬", "宇佐美", "神宮寺", "二階堂", "早乙女", "西園寺", "鬼塚",
    "相馬", "葛城", "霧島", "真壁", "氷室", "設楽", "雲母", "薬師寺", "九条", "桐生", "三ツ矢", "砂川", "比嘉", "金城",
)
GIVEN_NAMES = (
    "太郎", "花子", "一郎", "美咲", "翔太", "陽菜", "大翔", "結衣", "蓮", "さくら", "悠真", "葵", "湊", "凛", "健太",
    "由美", "誠", "恵子", "和子", "弘", "ひなた", "ゆうと", "みさき", "勇気", "千尋", "瑛太", "紬", "陽翔", "芽依", "樹",
)
KANA = {
    "山田": "ヤマダ", "鈴木": "スズキ", "田中": "タナカ", "中村": "ナカムラ", "小林": "コバヤシ", "加藤": "カトウ",
    "吉田": "ヨシダ", "山口": "ヤマグチ", "松本": "マツモト", "井上": "イノウエ", "木村": "キムラ", "清水": "シミズ",
    "小鳥遊": "タカナシ", "勅使河原": "テシガワラ", "五月女": "ソウトメ", "東海林": "ショウジ", "一ノ瀬": "イチノセ",
    "長谷部": "ハセベ", "御手洗": "ミタライ", "百瀬": "モモセ", "宇佐美": "ウサミ", "神宮寺": "ジングウジ",
    "二階堂": "ニカイドウ", "早乙女": "サオトメ", "西園寺": "サイオンジ", "鬼塚": "オニヅカ", "相馬": "ソウマ",
    "葛城": "カツラギ", "霧島": "キリシマ", "真壁": "マカベ", "氷室": "ヒムロ", "設楽": "シタラ", "雲母": "キララ",
    "薬師寺": "ヤクシジ", "九条": "クジョウ", "桐生": "キリュウ", "三ツ矢": "ミツヤ", "砂川": "スナガワ", "比嘉": "ヒガ",
    "金城": "キンジョウ", "太郎": "タロウ", "花子": "ハナコ", "一郎": "イチロウ", "美咲": "ミサキ", "翔太": "ショウタ",
    "陽菜": "ヒナ", "大翔": "ヒロト", "結衣": "ユイ", "蓮": "レン", "さくら": "サクラ", "悠真": "ユウマ", "葵": "アオイ",
    "湊": "ミナト", "凛": "リン", "健太": "ケンタ", "由美": "ユミ", "誠": "マコト", "恵子": "ケイコ", "和子": "カズコ",
    "弘": "ヒロシ", "ひなた": "ヒナタ", "ゆうと": "ユウト", "みさき": "ミサキ", "勇気": "ユウキ", "千尋": "チヒロ",
    "瑛太": "エイタ", "紬": "ツムギ", "陽翔": "ハルト", "芽依": "メイ", "樹": "イツキ",
}
PLACES = (
    ("東京都", "世田谷区", ("池尻", "太子堂", "三軒茶屋", "経堂", "成城", "用賀", "北沢", "代沢")),
    ("東京都", "杉並区", ("高円寺南", "阿佐谷北", "荻窪", "西荻北")),
    ("神奈川県", "川崎市中原区", ("新丸子町", "小杉町", "木月")),
    ("神奈川県", "横浜市港北区", ("日吉本町", "大倉山", "綱島西")),
    ("埼玉県", "さいたま市浦和区", ("常盤", "高砂", "岸町")),
    ("千葉県", "船橋市", ("本町", "前原西", "習志野台")),
    ("大阪府", "大阪市北区", ("梅田", "中崎", "天満")),
)
MAIL_DOMAINS = ("gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com", "nifty.com", "example.ne.jp")
ALLERGIES = ("卵アレルギー", "小麦アレルギー", "そばアレルギー", "花粉症", "ペニシリン系抗生物質", "甲殻類", "乳製品")
DISEASES = ("気管支喘息", "2型糖尿病", "高血圧症", "産後うつ", "アトピー性皮膚炎", "てんかん", "慢性腎臓病", "関節リウマチ",
            "甲状腺機能低下症", "貧血")
DRUGS = ("インスリン", "アムロジピン", "デパケン", "チラーヂン", "プレドニン", "吸入ステロイド", "ロキソプロフェン")
PLACEHOLDERS = "＊●■×○"
COMPANIES = ("株式会社ケアサポート世田谷", "有限会社みどり福祉サービス", "株式会社東京メディカル商事", "合同会社さくら印刷")


@dataclass(frozen=True)
class Value:
    """A personal value as printed: its category, page (0-based) and where it is (mm)."""

    category: str
    page: int
    rect: Rect
    readable: bool  # a recipient can read it (not masked)
    sensitive: bool = False


@dataclass
class Sample:
    name: str
    template: str
    variant: str
    medium: str
    data: bytes
    values: list[Value]
    pages: int
    addressee: str | None = None  # the organisation its first page is addressed to (None: a person, or nobody)
    resolution: str = "fine"  # what the fax is sent (and screened) at

    @property
    def settings(self) -> ScreenSettings:
        return SETTINGS if self.resolution == "fine" else replace(SETTINGS, resolution=self.resolution)

    @property
    def readable(self) -> list[Value]:
        return [v for v in self.values if v.readable]

    @property
    def expected(self) -> str:
        """'block' when a recipient could read an identifier; sensitive data alone passes."""
        return "block" if any(v.readable and not v.sensitive for v in self.values) else "pass"


@dataclass
class Person:
    surname: str
    given: str
    birth: str
    address_town: str
    address: str
    postal: str
    phone: str
    email: str
    my_number: str
    allergy: str
    disease: str
    drug: str
    sex: str

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given}"

    @property
    def kana(self) -> str:
        return f"{KANA[self.surname]} {KANA[self.given]}"


def person(rng: random.Random) -> Person:
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    prefecture, city, towns = rng.choice(PLACES)
    town = rng.choice(towns)
    block = rng.choice((
        lambda: f"{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
        lambda: f"{rng.randint(1, 5)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
        lambda: f"{'一二三四五'[rng.randint(0, 4)]}丁目{rng.randint(1, 30)}番地{rng.randint(1, 20)}",
        lambda: f"{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)} {rng.choice(('コーポ', 'ハイツ', 'メゾン'))}"
                f"{rng.choice(('桜', '緑', '若葉'))} {rng.randint(1, 3)}0{rng.randint(1, 5)}号室",
    ))()
    first = rng.choice((prefecture, "")) + city
    return Person(
        surname=surname, given=given, birth=birth_date(rng), address_town=f"{first}{town}",
        address=f"{first}{town}{block}", postal=f"〒{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
        phone=phone_number(rng), email=f"{rng.choice(('taro', 'hana', 'k', 'mama', 'yuki'))}"
        f"{rng.choice(('.', '_', ''))}{rng.randint(1, 9999)}@{rng.choice(MAIL_DOMAINS)}",
        my_number=my_number(rng), allergy=rng.choice(ALLERGIES), disease=rng.choice(DISEASES), drug=rng.choice(DRUGS),
        sex=rng.choice(("男", "女")),
    )


def birth_date(rng: random.Random) -> str:
    year, month, day = rng.randint(1940, 2023), rng.randint(1, 12), rng.randint(1, 28)
    era, base = next((e, b) for e, b, start in (("令和", 2018, (2019, 5, 1)), ("平成", 1988, (1989, 1, 8)),
                                                ("昭和", 1925, (0, 0, 0))) if (year, month, day) >= start)
    n = year - base
    kanji = "〇一二三四五六七八九"
    return rng.choice((
        lambda: f"{era}{n}年{month}月{day}日",
        lambda: f"{era} {n}年 {month}月 {day}日",
        lambda: f"{'RHS'[('令和', '平成', '昭和').index(era)]}{n}.{month}.{day}",
        lambda: f"{year}年{month}月{day}日",
        lambda: f"{year}/{month:02d}/{day:02d}",
        lambda: f"{era}{_kanji_number(n, kanji)}年{_kanji_number(month, kanji)}月{_kanji_number(day, kanji)}日",
    ))()


def _kanji_number(n: int, digits: str) -> str:
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")) + ("" if ones == 0 else digits[ones])


def phone_number(rng: random.Random, mobile: bool | None = None) -> str:
    while True:
        if mobile if mobile is not None else rng.random() < 0.6:
            number = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"
        else:
            number = rng.choice((
                lambda: f"03-{rng.randint(3000, 6999)}-{rng.randint(0, 9999):04d}",
                lambda: f"045-{rng.randint(300, 999)}-{rng.randint(0, 9999):04d}",
                lambda: f"048-{rng.randint(800, 899)}-{rng.randint(0, 9999):04d}",
                lambda: f"06-{rng.randint(6100, 6999)}-{rng.randint(0, 9999):04d}",
            ))()
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "JP")):
            return number


def my_number(rng: random.Random) -> str:
    base = "".join(str(rng.randint(0, 9)) for _ in range(11))
    digits = base + str(my_number_check_digit(base))
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def corporate_number(rng: random.Random) -> str:
    base = "".join(str(rng.randint(0, 9)) for _ in range(12))
    return str(corporate_number_check_digit(base)) + base


# --- sheets: pages of text items, the values on them and what is masked -------------------


class Sheet:
    """Pages being written. `value` prints a personal value the way the variant says: as is,
    under a black box, as placeholders, or not at all, and remembers where it went."""

    def __init__(self, variant: str, rng: random.Random, masked_categories: frozenset[str]):
        self.variant = variant
        self.rng = rng
        self.masked_categories = masked_categories
        self.pages: list[list[docgen.TextItem]] = [[]]
        self.boxes: list[list[Rect]] = [[]]
        self.rules: list[list[Rect]] = [[]]
        self.values: list[Value] = []
        # Per page, (item index, start, end, boxed) of each value's characters in its text item:
        # what a hand fills in (tests/support/corpus_scans.py).
        self.filled: list[list[tuple[int, int, int, bool]]] = [[]]
        self.addressee: str | None = None  # the organisation page 1 is addressed to, if any

    def address_to(self, organisation: str) -> None:
        if self.addressee is None and len(self.pages) == 1:
            self.addressee = organisation

    def new_page(self) -> None:
        self.pages.append([])
        self.boxes.append([])
        self.rules.append([])
        self.filled.append([])

    def text(self, x: float, y: float, text: str, size: float = 10.5) -> None:
        if text:
            self.pages[-1].append((x, y, text, size))

    def rule(self, x0: float, y: float, x1: float) -> None:
        """A horizontal ruled line (a table border)."""
        self.rules[-1].append((x0, y, x1, y + 0.3))

    def value(self, x: float, y: float, category: str, value: str, size: float = 10.5, prefix: str = "",
              suffix: str = "", sensitive: bool = False) -> None:
        masked = self._masks(category, sensitive)
        if masked and self.variant == "blank":
            shown = ""
        elif masked and self.variant == "starred":
            placeholder = self.rng.choice(PLACEHOLDERS)
            keep = " -/.@年月日" if category == "birth_date" else " -/.@"
            shown = "".join(c if c in keep else placeholder for c in value)
        else:
            shown = value
        self.text(x, y, prefix + shown + suffix, size)
        if not shown:
            return
        left = docgen.text_extent_mm(x, y, prefix, size)[2] if prefix else x
        rect = docgen.text_extent_mm(left, y, shown, size)
        boxed = masked and self.variant in ("boxed", "partial")
        if boxed:
            self.boxes[-1].append((rect[0] - 0.6, rect[1] - 0.6, rect[2] + 0.6, rect[3] + 0.6))
        self.filled[-1].append((len(self.pages[-1]) - 1, len(prefix), len(prefix) + len(shown), boxed))
        self.values.append(Value(category, len(self.pages) - 1, rect, readable=not masked, sensitive=sensitive))

    def _masks(self, category: str, sensitive: bool) -> bool:
        if self.variant == "unmasked":
            return False
        if self.variant == "partial":
            return category in self.masked_categories
        return not sensitive  # boxed, starred, blank: every identifier; sensitive data stays


# --- templates ----------------------------------------------------------------------------


def _office_footer(sheet: Sheet, y: float, staff: str) -> None:
    sheet.text(20, y, f"【問合せ先】{OFFICE_NAME}", 9)
    sheet.text(20, y + 5, f"{OFFICE_ADDRESS}  TEL {OFFICE_TEL}  FAX {OFFICE_FAX}", 9)
    sheet.text(20, y + 10, f"担当: {staff}  E-mail: hokeniryo@{OFFICE_DOMAIN}", 9)


def form(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """The No. 371 application: a resident's details, allergies, a household member."""
    title = rng.choice(("産後ケア事業 利用申請書", "母子訪問支援事業 申込書", "児童手当 認定請求書", "介護保険 要介護認定申請書"))
    sheet.text(60, 22, title, 15)
    sheet.text(20, 35, "世田谷区長 殿", 11)
    sheet.text(130, 35, f"申請日 令和6年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", 10)
    cells = rng.random() < 0.5  # label and value in separate cells, ruled; or "label value" in one line
    y = 50
    rows = [
        ("name", "氏名", who.name), ("name", "フリガナ", who.kana), ("birth_date", "生年月日", who.birth),
        ("address", "住所", f"{who.postal} {who.address}"), ("phone", rng.choice(("電話番号", "携帯電話", "連絡先")), who.phone),
        ("email", "メールアドレス", who.email),
    ]
    if rng.random() < 0.5:
        rows.append(("my_number", "個人番号", who.my_number))
    if rng.random() < 0.5:
        spouse = f"{who.surname} {rng.choice(GIVEN_NAMES)}"
        rows.append(("name", rng.choice(("世帯主氏名", "配偶者氏名", "保護者氏名")), spouse))
    for category, label, value in rows:
        if cells:
            sheet.text(22, y, label, 10.5)
            sheet.value(62, y, category, value, 11)
            sheet.rule(20, y + 3, 190)
        else:
            sheet.value(22, y, category, value, 11, prefix=f"{label}{rng.choice(('：', ' ', '　'))}")
        if label == "氏名":
            sheet.text(150, y, f"性別 {who.sex}", 10.5)
        y += 11
    sheet.value(22, y, "health", who.allergy, 11, prefix=rng.choice(("アレルギー：", "既往歴・アレルギー ")), sensitive=True)
    y += 11
    sheet.value(22, y, "health", f"{who.disease}（{rng.choice(('通院中', '治療中', '経過観察'))}）", 11,
                prefix="既往歴 ", sensitive=True)
    y += 14
    sheet.text(22, y, "申請理由", 10.5)
    sheet.text(22, y + 7, rng.choice(("出産後の体調がすぐれず、育児の支援を希望します。", "家族の支援が得られないため。",
                                      "退院後の生活に不安があるため、訪問を希望します。")), 10.5)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))
    if rng.random() < 0.3:
        sheet.new_page()
        sheet.text(80, 25, "同意書", 15)
        sheet.text(20, 40, "上記の事業の利用にあたり、関係機関へ情報を提供することに同意します。", 10.5)
        sheet.value(20, 55, "name", who.name, 11, prefix="氏名（自署） ")
        sheet.text(20, 68, "令和6年4月1日", 10.5)


def letter(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """A notice to a resident: their address block, their name with 様, the body."""
    sheet.text(20, 25, who.postal, 11)
    sheet.value(20, 32, "address", who.address, 11)
    sheet.value(20, 44, "name", who.name, 13, suffix=" 様")
    sheet.text(140, 25, f"世保推第{rng.randint(100, 999)}号", 10)
    sheet.text(140, 31, f"令和6年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", 10)
    sheet.text(120, 55, "世田谷区 保健医療福祉推進課長", 10.5)
    sheet.text(55, 75, rng.choice(("産後ケア事業の利用決定について（通知）", "訪問支援の実施について（お知らせ）")), 13)
    sheet.text(20, 92, "このたびは、本事業にお申し込みいただきありがとうございます。", 10.5)
    sheet.value(20, 100, "name", who.surname, 10.5, suffix="様からの申請について、下記のとおり決定しましたのでお知らせします。")
    sheet.text(95, 115, "記", 11)
    sheet.text(25, 128, f"利用期間 令和6年{rng.randint(1, 12)}月から6か月", 10.5)
    sheet.value(25, 138, "phone", who.phone, 10.5, prefix="ご連絡先（ご本人） ")
    sheet.text(25, 148, "ご不明な点は、下記までお問い合わせください。", 10.5)
    _office_footer(sheet, 250, rng.choice(OFFICE_STAFF))


def roster(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """A list of participants: one person per row under a header row."""
    sheet.text(60, 20, rng.choice(("母子訪問 対象者名簿", "利用者名簿（令和6年度）", "健診受診者一覧")), 14)
    header_y = 35
    columns = ((16, "No."), (26, "氏名"), (58, "生年月日"), (98, "住所"), (166, "電話番号"))
    for x, label in columns:
        sheet.text(x, header_y, label, 10)
    sheet.rule(15, header_y + 2, 195)
    people = [who] + [person(rng) for _ in range(rng.randint(5, 19))]
    for row, member in enumerate(people):
        y = header_y + 9 + row * 7
        sheet.text(16, y, str(row + 1), 9)
        sheet.value(26, y, "name", member.name, 9)
        sheet.value(58, y, "birth_date", member.birth, 8)
        sheet.value(98, y, "address", member.address_town + member.address[len(member.address_town):][:9], 8)
        sheet.value(166, y, "phone", member.phone, 9)
        sheet.rule(15, y + 2, 195)
    _office_footer(sheet, 265, rng.choice(OFFICE_STAFF))


def medical(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """A referral or consultation record: a patient, diagnoses, medicines, running text."""
    sheet.text(60, 22, rng.choice(("診療情報提供書", "相談記録票", "訪問看護指示書")), 15)
    company = rng.choice(COMPANIES[:2])
    sheet.address_to(company)
    sheet.text(20, 35, f"{company} 御中", 11)
    sheet.value(20, 50, "name", who.name, 11, prefix="患者氏名 ")
    sheet.value(110, 50, "birth_date", who.birth, 11, prefix="生年月日 ")
    sheet.value(20, 61, "address", who.address, 11, prefix="住所 ")
    sheet.value(20, 72, "phone", who.phone, 11, prefix="電話 ")
    sheet.value(20, 86, "health", who.disease, 11, prefix="傷病名 ", sensitive=True)
    sheet.value(20, 97, "health", f"{rng.choice(DISEASES)}（{rng.randint(2005, 2020)}年）", 11, prefix="既往歴 ",
                sensitive=True)
    sheet.value(20, 108, "health", f"{who.drug} {rng.choice(('1日2回', '朝食後', '就寝前'))}", 11, prefix="処方 ",
                sensitive=True)
    sheet.text(20, 124, "経過", 11)
    sheet.value(20, 133, "health", f"{who.disease}", 10.5, prefix="上記の方は",
                suffix="のため通院中です。症状は安定しています。", sensitive=True)
    sheet.text(20, 141, "今後の在宅療養について、ご支援をお願いいたします。", 10.5)
    sheet.text(110, 240, rng.choice(("みどりクリニック", "世田谷中央病院 内科")), 10.5)
    sheet.text(110, 247, f"医師 {rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}", 10.5)
    sheet.text(110, 254, f"TEL {phone_number(rng, mobile=False)}", 10.5)


def cover(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """A fax cover sheet: the destination from the directory, the office, the contact person."""
    organisation, fax = rng.choice(DIRECTORY)
    sheet.address_to(organisation)
    sheet.text(80, 25, "FAX送信票", 16)
    sheet.text(20, 45, f"宛先: {organisation} 御中", 12)
    sheet.text(20, 55, f"FAX番号: {fax}", 12)
    sheet.text(20, 70, f"送信元: {OFFICE_NAME}", 11)
    sheet.text(20, 79, f"TEL {OFFICE_TEL}  FAX {OFFICE_FAX}", 11)
    sheet.text(20, 88, f"担当: {rng.choice(OFFICE_STAFF)}", 11)
    sheet.text(20, 100, f"送信日: 令和6年{rng.randint(1, 12)}月{rng.randint(1, 28)}日  送信枚数: {rng.randint(1, 5)}枚（本紙含む）", 11)
    sheet.text(20, 115, f"件名: {rng.choice(('会議資料の送付', '研修のご案内', '事業実施報告書の提出について'))}", 11)
    sheet.text(20, 130, "いつもお世話になっております。標記の件について、資料を送付いたします。", 10.5)
    sheet.text(20, 138, "ご確認のほど、よろしくお願いいたします。", 10.5)
    sheet.text(20, 150, "※個人情報を含む書類はファクスで送信しません。", 10.5)


def business(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """An estimate or invoice from a company: its address, numbers, account and people."""
    company = rng.choice(COMPANIES)
    prefecture, city, towns = rng.choice(PLACES)
    sheet.text(85, 22, rng.choice(("御見積書", "請求書", "納品書")), 16)
    sheet.address_to(OFFICE_NAME)
    sheet.text(20, 38, f"{OFFICE_NAME} 御中", 11)
    sheet.text(120, 50, company, 11)
    sheet.text(120, 57, f"〒{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}", 9.5)
    sheet.text(120, 63, f"{prefecture}{city}{rng.choice(towns)}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}", 9.5)
    sheet.text(120, 69, f"TEL {phone_number(rng, mobile=False)}  FAX {phone_number(rng, mobile=False)}", 9.5)
    sheet.text(120, 75, f"登録番号 T{corporate_number(rng)}", 9.5)
    sheet.text(120, 81, f"代表取締役 {rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}", 9.5)
    sheet.text(120, 87, f"担当: {rng.choice(SURNAMES)}", 9.5)
    y = 100
    for item in rng.sample(("訪問支援業務委託", "研修会場使用料", "パンフレット印刷", "消耗品", "システム保守"), 3):
        sheet.text(25, y, item, 10.5)
        sheet.text(150, y, f"{rng.randint(10, 900) * 1000:,}円", 10.5)
        sheet.rule(20, y + 2, 190)
        y += 9
    sheet.text(25, y + 5, f"合計 {rng.randint(100, 2000) * 1000:,}円（税込）", 11)
    sheet.text(25, y + 20, f"お振込先: {rng.choice(('みずほ銀行', '三菱UFJ銀行', '城南信用金庫'))} {rng.choice(('渋谷支店', '世田谷支店'))}", 10.5)
    sheet.text(25, y + 28, f"普通 {rng.randint(1000000, 9999999)}  口座名義 カ){company[4:8]}", 10.5)
    sheet.text(25, y + 36, f"法人番号 {corporate_number(rng)}", 10.5)


# --- issue 13: running prose, more must-block kinds, and must-pass look-alikes --------------


def case_record(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """A case record in running prose (支援経過記録): the resident is named in sentences, with
    no label or honorific before the name."""
    sheet.text(70, 22, rng.choice(("相談記録票", "支援経過記録", "訪問記録")), 15)
    sheet.text(20, 35, f"記録日 令和6年{rng.randint(1, 12)}月{rng.randint(1, 28)}日  記録者 {rng.choice(OFFICE_STAFF)}", 10)
    sheet.text(20, 47, "【経過】", 11)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    opening = rng.choice(((f"令和6年{month}月{day}日、", "から来所相談あり。"), ("本日、", "の夫より電話があった。"),
                          ("民生委員より、", "について情報提供があった。"), (f"{month}月{day}日、", "が長女と来所した。")))
    sheet.value(20, 56, "name", who.name.replace(" ", rng.choice(("", " "))), 10.5, prefix=opening[0], suffix=opening[1])
    sheet.text(20, 64, rng.choice(("夫と長男（5歳）の三人暮らしで、日中は一人で育児をしている。",
                                   "一人暮らしで、近くに頼れる親族はいない。")), 10.5)
    # Half the records name the resident and nothing else that identifies: the name alone must block.
    if rng.random() < 0.5:
        sheet.value(20, 72, "address", who.address, 10.5, prefix="自宅（", suffix="）を訪問し、生活状況を確認した。")
    sheet.value(20, 80, "health", who.disease, 10.5, prefix="本人は", suffix="で通院中であり、服薬を続けている。", sensitive=True)
    if rng.random() < 0.5:
        sheet.value(20, 88, "phone", who.phone, 10.5, prefix="本人の携帯（", suffix="）に連絡し、次回の面談日を調整した。")
    sheet.value(20, 96, "name", who.surname, 10.5, suffix=rng.choice(("さんの長男は保育園に通っている。", "さんは支援の継続を希望。")))
    sheet.text(20, 108, "【今後の方針】", 11)
    sheet.text(20, 117, "月1回の訪問を継続し、関係機関と情報を共有する。", 10.5)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


def licence_number(rng: random.Random) -> str:
    """12 digits: public-safety commission (30 Tokyo…), year of first licence, serial, check, issue."""
    return f"{rng.choice((30, 45, 47, 50, 62))}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}{rng.randint(0, 9)}{rng.randint(0, 2)}"


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def identity(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """Identity documents copied onto a form: basic pension, driving licence, residence card,
    passport and health-insurance card numbers, each after its label."""
    sheet.text(50, 22, rng.choice(("本人確認書類 記載事項確認票", "年金・保険資格 確認依頼書")), 15)
    organisation = rng.choice(DIRECTORY)[0]
    sheet.text(20, 35, f"{organisation} 御中", 11)
    sheet.address_to(organisation)
    rows = [("name", "氏名", who.name), ("birth_date", "生年月日", who.birth)]
    numbers = [
        ("pension_number", "基礎年金番号", f"{rng.randint(1000, 9999)}-{rng.randint(0, 999999):06d}"),
        ("drivers_license", rng.choice(("運転免許証番号", "免許証番号")), rng.choice(("{}", "第{}号")).format(licence_number(rng))),
        ("residence_card", "在留カード番号", f"{_letters(rng, 2)}{rng.randint(0, 99999999):08d}{_letters(rng, 2)}"),
        ("passport", rng.choice(("旅券番号", "パスポート番号")), f"{_letters(rng, 2)}{rng.randint(0, 9999999):07d}"),
        ("insurance_number", "被保険者証 記号・番号", f"{rng.randint(1, 9999)}・{rng.randint(1, 999)}"),
    ]
    rows += rng.sample(numbers, rng.randint(3, 5))
    y = 50
    for category, label, value in rows:
        sheet.text(22, y, label, 10.5)
        sheet.value(75, y, category, value, 11)
        sheet.rule(20, y + 3, 190)
        y += 11
    sheet.text(22, y + 6, "上記の者の資格について、確認をお願いします。", 10.5)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


def dv_support(sheet: Sheet, rng: random.Random, who: Person) -> None:
    """A request for support measures (DV等支援措置): a victim's details, nationality, the
    violence and the proceedings against the other party."""
    sheet.text(40, 22, "住民基本台帳事務における支援措置申出書", 14)
    sheet.text(20, 35, "世田谷区長 殿", 11)
    rows = [("name", "氏名", who.name), ("birth_date", "生年月日", who.birth), ("address", "住所", who.address)]
    y = 48
    for category, label, value in rows:
        sheet.value(22, y, category, value, 11, prefix=f"{label} ")
        y += 11
    sheet.value(22, y, "nationality", rng.choice(("ベトナム", "フィリピン", "中国", "ブラジル")), 11, prefix="国籍 ", sensitive=True)
    y += 11
    sheet.value(22, y, "domestic_violence", rng.choice(("元夫から継続的な暴力を受けている。", "夫からの暴力により避難中。")), 10.5,
                prefix="配偶者等からの暴力 ", sensitive=True)
    y += 11
    sheet.value(22, y, "crime_victim", f"令和6年{rng.randint(1, 12)}月 警察署に提出済み", 10.5, prefix="被害届 ", sensitive=True)
    y += 11
    sheet.value(22, y, "criminal_proceedings", "相手方は傷害の容疑で逮捕され、起訴された。", 10.5, prefix="経過 ", sensitive=True)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


FACILITIES = (
    ("世田谷区立中央図書館", "世田谷区弦巻3-16-8"), ("太子堂まちづくりセンター", "世田谷区太子堂2-17-1"),
    ("池尻児童館", "世田谷区池尻2-4-5"), ("烏山区民センター", "世田谷区南烏山6-2-19"),
    ("世田谷保健センター", "世田谷区松原6-37-10"), ("梅丘地区会館", "世田谷区梅丘1-59-5"),
    ("経堂子育て支援館", "世田谷区経堂1-12-17"), ("北沢総合支所", "世田谷区北沢2-8-18"),
    ("用賀保育園", "世田谷区用賀4-1-10"), ("成城出張所", "世田谷区成城6-2-1"),
    ("ひだまり", "世田谷区三軒茶屋2-11-22"), ("みんなの家 さくら", "世田谷区代沢5-7-3"),  # named like no organisation
)


def facility_list(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """A notice with a list of public facilities: their addresses and phone numbers are no
    one's home."""
    sheet.text(45, 22, rng.choice(("乳幼児健診 会場一覧（お知らせ）", "区内 子育て支援施設一覧", "指定避難所一覧")), 14)
    sheet.text(20, 35, "区民の皆さまへ。下記の施設でご相談を受け付けています。", 10.5)
    y = 48
    for x, label in ((20, "施設名"), (80, "所在地"), (145, "電話番号")):
        sheet.text(x, y, label, 10)
    sheet.rule(18, y + 2, 195)
    for name, address in rng.sample(FACILITIES, rng.randint(5, 10)):
        y += 9
        sheet.text(20, y, name, 9.5)
        sheet.text(80, y, ("東京都" if rng.random() < 0.3 else "") + address, 9.5)
        sheet.text(145, y, phone_number(rng, mobile=False), 9.5)
        sheet.rule(18, y + 2, 195)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


def invoice(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """A qualified invoice (適格請求書): the company's address, representative, contact, numbers
    and account, all after labels. A corporate number is public, no one's personal data."""
    company = rng.choice(COMPANIES)
    prefecture, city, towns = rng.choice(PLACES)
    sheet.text(85, 22, "適格請求書", 16)
    sheet.address_to(OFFICE_NAME)
    sheet.text(20, 38, f"{OFFICE_NAME} 御中", 11)
    number = corporate_number(rng)
    rows = (("会社名", company), ("代表者", f"代表取締役 {rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}"),
            ("所在地", f"{prefecture}{city}{rng.choice(towns)}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"),
            ("電話番号", phone_number(rng, mobile=False)), ("登録番号", f"T{number}"), ("法人番号", number),
            ("担当者", f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}"))
    y = 50
    for label, value in rows:
        sheet.text(110, y, f"{label} {value}", 9.5)
        y += 6
    y += 6
    for item in rng.sample(("訪問支援業務委託（7月分）", "研修会場使用料", "パンフレット印刷", "システム保守"), 3):
        sheet.text(25, y, item, 10.5)
        sheet.text(150, y, f"{rng.randint(10, 900) * 1000:,}円", 10.5)
        sheet.rule(20, y + 2, 190)
        y += 9
    sheet.text(25, y + 5, f"合計 {rng.randint(100, 2000) * 1000:,}円（うち消費税10%）", 11)
    sheet.text(25, y + 18, f"振込先 {rng.choice(('みずほ銀行', '城南信用金庫'))} 世田谷支店 普通預金 {rng.randint(1000000, 9999999)}", 10.5)
    sheet.text(25, y + 26, f"口座名義 カ){company[4:8]}", 10.5)


def anonymised_summary(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """A case summary for a case conference, anonymised: A氏（40代女性）, ages by decade, the
    town only. Its medical details identify no one."""
    sheet.text(60, 22, rng.choice(("事例検討シート", "ケース会議資料（匿名化済）")), 15)
    sheet.text(20, 36, f"事例 {rng.choice('ABC')}氏（{rng.choice(('30', '40', '70', '80'))}代{rng.choice(('女性', '男性'))}）", 11)
    lines = (
        "家族構成 夫（50代）、長男（10代）との三人暮らし。",
        "居住地 世田谷区内",
        f"経過 令和5年より{rng.choice(DISEASES)}で通院中。A氏は育児への不安を訴えている。",
        "B氏（長男）は不登校の傾向があり、学校と連携している。",
        "課題 家族の支援が得られにくく、A氏の負担が大きい。",
        "方針 月1回の訪問と、関係機関による見守りを継続する。",
    )
    for index, line in enumerate(lines):
        sheet.text(20, 50 + index * 9, line, 10.5)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


def empty_template(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """An application form sent out to be filled in: labels, blanks and printed choices only."""
    sheet.text(60, 22, rng.choice(("産後ケア事業 利用申請書（様式第1号）", "介護保険 要介護認定申請書")), 14)
    sheet.text(20, 35, "世田谷区長 殿", 11)
    sheet.text(130, 35, "申請日   年   月   日", 10)
    rows = ("氏名", "フリガナ", "生年月日   明・大・昭・平・令     年   月   日", "住所 〒   -", "電話番号 (    )    -",
            "個人番号", "既往歴 有・無", "アレルギー 有・無", "障害者手帳 有・無")
    for index, row in enumerate(rows):
        sheet.text(22, 50 + index * 11, row, 10.5)
        sheet.rule(20, 53 + index * 11, 190)
    sheet.text(22, 160, "※太枠内をご記入ください。個人番号は番号確認書類の写しを添付してください。", 9.5)
    _office_footer(sheet, 255, rng.choice(OFFICE_STAFF))


def nothing_to_note(sheet: Sheet, rng: random.Random, who: Person | None = None) -> None:
    """A contractor's monthly report where every field that could hold personal data says
    特になし."""
    company = rng.choice(COMPANIES[:2])
    sheet.text(55, 22, f"令和6年{rng.randint(1, 12)}月分 業務実施報告書", 14)
    sheet.address_to(OFFICE_NAME)
    sheet.text(20, 36, f"{OFFICE_NAME} 御中", 11)
    sheet.text(120, 46, company, 10.5)
    rows = (("実施件数", f"{rng.randint(10, 80)}件"), ("事故・ヒヤリハット", "特になし"), ("苦情・要望", "特になし"),
            ("既往歴", "特になし"), ("服薬状況", "特になし"), ("障害の状況", "特記事項なし"), ("緊急連絡先", "特になし"),
            ("被害状況", "特になし"), ("備考", "特になし"))
    for index, (label, value) in enumerate(rows):
        sheet.text(22, 60 + index * 10, f"{label}{rng.choice(('：', ' ', '　'))}{value}", 10.5)


_BUILDERS = {"form": form, "letter": letter, "roster": roster, "medical": medical, "cover": cover, "business": business,
             "case_record": case_record, "identity": identity, "dv_support": dv_support,
             "facility_list": facility_list, "invoice": invoice, "anonymised_summary": anonymised_summary,
             "empty_template": empty_template, "nothing_to_note": nothing_to_note}
# What the partial variant masks: the name (and a roster's birth dates); the rest stays readable.
_PARTIAL_MASK = frozenset(("name", "birth_date"))


def render(sheet: Sheet, medium: str, rng: random.Random) -> bytes:
    if medium in corpus_scans.MEDIA:
        return corpus_scans.render(sheet, medium, rng)
    if medium == "text_pdf":
        rects = [rules + boxes for rules, boxes in zip(sheet.rules, sheet.boxes)]
        return docgen.text_pdf(sheet.pages, rects=rects)
    dpi = docgen.STANDARD_DPI if medium == "tiff_standard" else docgen.FINE_DPI
    images = [docgen.render_text_image(items, dpi=dpi, boxes=rules + boxes)
              for items, rules, boxes in zip(sheet.pages, sheet.rules, sheet.boxes)]
    if medium == "scanned_pdf":
        return docgen.scanned_pdf([scanned(image, rng) for image in images])
    return docgen.fax_tiff(images, dpi=dpi)


def scanned(image: Image.Image, rng: random.Random) -> Image.Image:
    """What a multifunction device's scanner makes of a printed page: slightly soft, a
    little dust."""
    soft = image.filter(ImageFilter.GaussianBlur(0.6))
    pixels = soft.load()
    for _ in range(400):
        pixels[rng.randrange(soft.width), rng.randrange(soft.height)] = rng.randint(0, 120)
    return soft


def sample(template: str, variant: str, medium: str, seed: int, with_cover: bool = False) -> Sample:
    rng = random.Random(f"{template}/{variant}/{medium}/{seed}")
    sheet = Sheet(variant, rng, _PARTIAL_MASK)
    if with_cover:
        cover(sheet, rng)
        sheet.new_page()
    _BUILDERS[template](sheet, rng, person(rng))
    data = render(sheet, medium, rng)
    name = f"{template}-{variant}-{medium}-{seed}" + ("-cover" if with_cover else "")
    return Sample(name, template, variant, medium, data, sheet.values, len(sheet.pages), sheet.addressee,
                  corpus_scans.resolution_of(medium) if medium in corpus_scans.MEDIA else "fine")


def variants_of(template: str) -> tuple[str, ...]:
    if template in PERSONAL_TEMPLATES:
        return ("unmasked", "partial", "boxed", "starred") + (("blank",) if template in ("form", "roster") else ())
    return ("clean",)


@dataclass
class Corpus:
    samples: list[Sample] = field(default_factory=list)

    @classmethod
    def build(cls, media: tuple[str, ...] = MEDIA, seeds: range = range(2), templates=TEMPLATES) -> "Corpus":
        """Every template × variant × medium × seed; a cover sheet in front of every other
        personal document. The media of tests/support/corpus_scans.py take the templates they are
        made of, and the first seed only (each page costs a full OCR)."""
        samples = []
        for template in templates:
            for variant in variants_of(template):
                for medium in media:
                    scan = medium in corpus_scans.MEDIA
                    if scan and template not in corpus_scans.templates_for(medium, TEMPLATES):
                        continue
                    for seed in seeds[:1] if scan else seeds:
                        with_cover = template in PERSONAL_TEMPLATES and seed % 2 == 1
                        samples.append(sample(template, variant, medium, seed, with_cover))
        return cls(samples)
