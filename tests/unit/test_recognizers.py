"""policies recognizers, one by one, on text (no rendering, no OCR): normalisation, check
digits, dates in every era, each category of personal-data.md with its negatives, the
office allow-list, and label → value pairing including roster columns."""

from __future__ import annotations

import datetime as dt

import pytest

from policies.allowlist import AllowList, phone_key
from policies.categories import hide_middle
from policies.checkdigits import (
    corporate_number_check_digit,
    is_corporate_number,
    is_my_number,
    luhn_valid,
    my_number_check_digit,
)
from policies.dates import find_dates
from policies.layout import Glyph, lay_out, plain_text
from policies.personal_data import find_personal_data
from policies.recognizers import IdentifierPattern, recognize
from policies.textnorm import kanji_number, normalise

OFFICE = AllowList(
    organisations=("世田谷区 保健福祉課",),
    addresses=("東京都世田谷区世田谷4-21-27",),
    numbers=("03-5432-2941", "03-5432-3055"),
    staff=("佐藤 一郎",),
    email_domains=("city.setagaya.example.jp",),
    bank_accounts=("普通 7654321",),
)


def found(text: str, allow: AllowList = AllowList()) -> list[tuple[str, str, bool]]:
    return [(f.category, f.value, f.masked) for f in find_personal_data(text, allow)]


def categories(text: str, allow: AllowList = AllowList()) -> set[str]:
    return {f.category for f in find_personal_data(text, allow) if not f.masked}


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize("written, normalised", [
    ("昭和六十年一月二日", "昭和60年1月2日"),
    ("三丁目十二番五号", "3丁目12番5号"),
    ("二〇二四年", "2024年"),
    ("平成三十一年四月三十日", "平成31年4月30日"),
    ("０９０－１２３４－５６７８", "090-1234-5678"),
    ("090ー1234ー5678", "090-1234-5678"),
    ("090一1234一5678", "090-1234-5678"),  # OCR reads the dash as the kanji 一
    ("090 1234 5678", "09012345678"),  # OCR's spaces inside a number
    ("１２３４　５６７８　９０１８", "123456789018"),
    ("ｶﾞｸｾｲ", "ガクセイ"),
    ("㍼60年", "昭和60年"),
    ("1O2", "102"),
])
def test_normalise(written, normalised):
    assert normalise(written).text == normalised


@pytest.mark.parametrize("kept", ["千葉県", "一般", "九州", "三井", "統一", "二階堂", "五月女", "四日市", "ケアマネージャー", "〇〇〇〇", "090-〇〇〇〇-〇〇〇〇"])
def test_normalise_keeps_words_and_placeholders(kept):
    assert normalise(kept).text == kept


def test_normalised_text_maps_back_to_the_source():
    source = "生年月日 昭和六十年十二月三十一日"
    result = normalise(source)
    start = result.text.index("60")
    assert result.source_span(start, start + 2) == (source.index("六十"), source.index("六十") + 2)
    assert result.source_span(0, len(result.text)) == (0, len(source))


def test_kanji_numbers():
    assert [kanji_number(k) for k in ("十", "十二", "六十", "百五", "二千二十四", "一九八五")] == [10, 12, 60, 105, 2024, 1985]
    assert kanji_number("十十") is None


# --- check digits -------------------------------------------------------------------------


def test_my_number_check_digit():
    # Worked example: P1..P11 from the right of 12345678901 with weights 2..7, 2..6.
    assert my_number_check_digit("12345678901") == 8
    assert is_my_number("123456789018")
    assert not is_my_number("123456789012")
    assert not is_my_number("12345678901")


def test_corporate_number_check_digit():
    # The National Tax Agency's own corporate number: 7000012050002.
    assert corporate_number_check_digit("000012050002") == 7
    assert is_corporate_number("7000012050002")
    assert not is_corporate_number("8000012050002")


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("5500005555555559") and luhn_valid("3530111333300000")
    assert not luhn_valid("4111111111111112")


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("written, date", [
    ("昭和60年1月2日", dt.date(1985, 1, 2)),
    ("S60.1.2", dt.date(1985, 1, 2)),
    ("H3/11/22", dt.date(1991, 11, 22)),
    ("平成元年1月8日", dt.date(1989, 1, 8)),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("大正15年12月24日", dt.date(1926, 12, 24)),
    ("明治45年7月29日", dt.date(1912, 7, 29)),
    ("1988年2月29日", dt.date(1988, 2, 29)),
    ("1985/01/02", dt.date(1985, 1, 2)),
    ("昭和六十年十二月三十一日", dt.date(1985, 12, 31)),
])
def test_dates_in_every_era(written, date):
    assert [d for _, d in find_dates(normalise(written).text)] == [date]


@pytest.mark.parametrize("impossible", [
    "1987年2月29日",  # not a leap year
    "昭和65年1月1日",  # 昭和 ended in its 64th year
    "平成元年1月7日",  # still 昭和64年
    "平成31年5月1日",  # already 令和
    "R5.13.1",
    "昭和60年2月30日",
])
def test_impossible_dates_are_not_dates(impossible):
    assert find_dates(normalise(impossible).text) == []


# --- categories ---------------------------------------------------------------------------


def test_names_after_labels_and_honorifics():
    assert found("氏名：山田 太郎") == [("name", "山田 太郎", False)]
    assert found("フリガナ ヤマダ タロウ") == [("name", "ヤマダ タロウ", False)]
    assert found("世帯主氏名 勅使河原 瑛太") == [("name", "勅使河原 瑛太", False)]
    assert found("母の氏名 小鳥遊 恵子") == [("name", "小鳥遊 恵子", False)]
    assert found("患者氏名\t二階堂 紬\t生年月日 ＊＊＊＊") [0] == ("name", "二階堂 紬", False)
    assert found("小鳥遊 瑛太 様") == [("name", "小鳥遊 瑛太", False)]
    assert found("五月女花子殿") == [("name", "五月女花子", False)]
    assert found("先日、佐藤花子さんより相談がありました。") == [("name", "佐藤花子", False)]
    assert found("氷室様からの申請について") == [("name", "氷室", False)], "a surname ending in 室 is no office"


@pytest.mark.parametrize("text, name", [
    ("令和6年7月12日、山田花子から来所相談あり", "山田花子"),
    ("本日、二階堂 ゆうとの母より電話があった。", "二階堂 ゆう"),  # the dictionary ends it at ゆう: still a hit
    ("訪問時、中島ひなたは体調がすぐれない様子であった。", "中島ひなた"),
    ("民生委員から西園寺 陽翔（82歳）について情報提供があった。", "西園寺 陽翔"),
    ("小鳥遊さんが電話で相談した。", "小鳥遊"),
    ("長男の蓮くんは小学2年生。", "蓮"),
    ("世田谷中央病院の医師より、勅使河原 紬さんの退院について連絡があった。", "勅使河原 紬"),
    ("五十嵐 進一郎\t82歳\t男", "五十嵐 進一郎"),
    ("千葉 修と長女が来所した。", "千葉 修"),  # 千葉 is read as a place, 九条 as 九 + 条
    ("九条 蓮から電話があった。", "九条 蓮"),
])
def test_names_in_running_text_from_the_dictionary(text, name):
    assert ("name", name, False) in found(text)


@pytest.mark.parametrize("text", [
    "A氏（40代女性）から相談があった。本人は夫と二人暮らし。",
    "世田谷区長 保坂 展人", "主治医 比嘉 由美", "代表取締役 早乙女 陽翔", "中村医院", "千葉県船橋市本町",
    "株式会社ケアサポート世田谷 鈴木 一郎", "保健師 佐藤 一郎が訪問した。", "既往歴 有・無", "推進課長 誠",
])
def test_dictionary_names_of_officials_and_anonymised_records_are_not_reported(text):
    assert "name" not in categories(text)


def test_office_staff_in_running_text_stay_allowed():
    text = "令和6年7月12日、高橋美咲が自宅を訪問し、山田花子から話を聞いた。"
    assert [f.value for f in find_personal_data(text, AllowList(staff=("高橋 美咲",))) if f.category == "name"] == ["山田花子"]
    assert {f.value for f in find_personal_data(text) if f.category == "name"} == {"高橋美咲", "山田花子"}


@pytest.mark.parametrize("not_a_name", [
    "氏名を記入してください", "氏名欄は自署", "世田谷区長 殿", "関係者各位", "保護者様へのお知らせ", "ご担当者様",
    "株式会社ケアサポート 営業部 鈴木様", "様式第2号", "担当: 佐藤さん", "代表者氏名 田中 一郎", "対象者一覧",
    "本人確認書類", "お客様各位",
])
def test_not_names(not_a_name):
    assert categories(not_a_name) == set()


def test_masked_names_are_reported_masked():
    assert found("氏名 ＊＊ ＊＊") == [("name", "＊＊ ＊＊", True)]
    assert found("氏名 ●●●●") == [("name", "●●●●", True)]
    assert found("■■ ■■ 様") == [("name", "■■ ■■", True)]
    assert found("氏名 山田 ■■") == [("name", "山田 ■■", False)], "a surname left readable is not masked"
    assert found("令和6年7月12日、＊＊ ＊＊さんから相談。糖尿病で通院中。") == [
        ("name", "＊＊ ＊＊", True), ("health", "糖尿病", False)], "a masked person's disease: one more approver"


def test_office_staff_as_contact_are_not_personal():
    assert categories("担当: 佐藤 一郎", OFFICE) == set()
    assert categories("発信者 高橋 美咲") == set()
    assert categories("佐藤 一郎 様", OFFICE) == set()
    assert categories("佐藤 一郎 様") == {"name"}


def test_birth_dates():
    assert found("生年月日 昭和60年1月2日") == [("birth_date", "昭和60年1月2日", False)]
    assert found("生年月日：平成元年5月1日（35歳）") == [("birth_date", "平成元年5月1日", False)]
    assert found("S60.1.2生") == [("birth_date", "S60.1.2", False)]
    assert found("1988年2月29日生まれ") == [("birth_date", "1988年2月29日", False)]
    assert found("生年月日 ＊＊＊＊年＊＊月＊＊日") == [("birth_date", "＊＊＊＊年＊＊月＊＊日", True)]
    assert categories("申請日 令和6年4月1日") == set(), "other dates are not personal"
    assert categories("生年月日 昭和65年1月1日") == set(), "a date that does not exist is no date"
    assert categories("生年月日　　年　　月　　日") == set(), "an empty form"


def test_addresses():
    assert categories("住所 東京都世田谷区池尻3-12-5") == {"address"}
    assert categories("現住所：世田谷区太子堂三丁目12番5号 コーポ桜101") == {"address"}
    assert categories("〒154-0001 東京都世田谷区池尻3-12-5 山田方") == {"address"}
    assert categories("住所 東京都世田谷区池尻\n3-12-5") == {"address"}, "an address broken over two lines"
    assert categories("住所 東京都世田谷区") == set(), "a town alone (a form's printed prefix) identifies nobody"
    assert found("住所 東京都世田谷区池尻■■■■") == [("address", "東京都世田谷区池尻■■■■", True)]


def test_business_and_office_addresses_are_not_personal():
    assert categories("株式会社ケアサポート\n東京都渋谷区神宮前1-2-3 ABCビル5F\nTEL 03-6805-1234") == set()
    assert categories("所在地 東京都渋谷区神宮前1-2-3") == set()
    assert categories("東京都世田谷区世田谷4-21-27", OFFICE) == set()
    assert categories("東京都世田谷区世田谷四丁目21番27号", OFFICE) == set()


def test_private_phones():
    assert categories("電話 090-1234-5678") == {"phone"}
    assert categories("携帯 ０９０ １２３４ ５６７８") == {"phone"}
    assert categories("連絡先：050-3123-4567") == {"phone"}
    assert categories("氏名 山田 太郎\n自宅電話 03-3412-5678") == {"name", "phone"}


def test_surnames_that_end_like_a_department_are_no_organisation():
    """氷室, 服部, 長谷部 end in 室 and 部 like 企画室 and 営業部; the line is a person's."""
    assert categories("患者氏名 氷室 結衣\n電話 03-3094-3625") == {"name", "phone"}
    assert categories("服部 一郎 様\n自宅 03-3412-5678") == {"name", "phone"}
    assert categories("株式会社ケアサポート 営業部\nTEL 03-6805-1234") == set()


def test_phones_that_are_not_a_residents():
    assert categories("TEL 03-5432-2941  FAX 03-5432-3055", OFFICE) == set(), "the office's own"
    assert categories("FAX 03-3412-5678") == set(), "a fax number"
    assert categories("フリーダイヤル 0120-123-456") == set()
    assert categories("株式会社ケアサポート TEL 03-6805-1234") == set()
    assert categories("担当: 鈴木 090-1234-5678") == set(), "the contact person's"
    assert categories("電話 03-3412-5678") == set(), "a fixed line on a page about no individual"
    assert categories("090-1234-5678", AllowList(numbers=("+819012345678",))) == set()


def test_emails():
    assert categories("メール taro.yamada@gmail.com") == {"email"}
    assert categories("E-mail: hanako_88@docomo.ne.jp") == {"email"}
    assert categories("連絡先 k.tanaka@example.ne.jp") == {"email"}
    assert categories("メールアドレス mama3160@docomo.neJp") == {"email"}, "OCR lost the dot of .jp"
    assert categories("info@care-support.co.jp") == set(), "a function's mailbox"
    assert categories("担当: 佐藤 E-mail: sato@city.setagaya.example.jp", OFFICE) == set()
    assert categories("株式会社ケアサポート suzuki@care-support.co.jp") == set()
    assert categories("file@v1.2") == set() and categories("a@b.notatld") == set()


def test_my_number_needs_its_check_digit_and_a_keyword():
    assert found("個人番号 1234 5678 9018") == [("my_number", "1234 5678 9018", False)]
    assert categories("マイナンバーは1234-5678-9018です") == {"my_number"}
    assert categories("個人番号 1234 5678 9012") == set(), "wrong check digit"
    assert categories("整理番号 1234 5678 9018") == set(), "no keyword"
    assert found("個人番号 ＊＊＊＊ ＊＊＊＊ ＊＊＊＊") == [("my_number", "＊＊＊＊ ＊＊＊＊ ＊＊＊＊", True)]


def test_corporate_numbers_are_public():
    assert categories("法人番号 7000012050002") == set()
    assert categories("登録番号 T7000012050002") == set()


def test_licence_passport_residence_card():
    assert categories("運転免許証番号 123456789012") == {"drivers_license"}
    assert categories("旅券番号 TK1234567") == {"passport"}
    assert categories("在留カード番号 AB12345678CD") == {"residence_card"}
    assert categories("AB12345678CD") == {"residence_card"}, "distinctive enough alone"
    assert categories("型番 TK1234567") == set(), "a passport-shaped code without its keyword"


def test_pension_insurance_and_resident_numbers():
    assert categories("基礎年金番号 1234-567890") == {"pension_number"}
    assert categories("被保険者番号 0123456789") == {"insurance_number"}
    assert categories("住民票コード 12345678901") == {"resident_code"}
    assert categories("宛名番号 0001234567") == {"addressee_number"}


def test_a_municipalitys_own_identifier():
    pattern = IdentifierPattern("addressee_number", ("世帯番号",), r"\d{8}")
    view = lay_out([Glyph(c, (i * 10, 0, i * 10 + 10, 20)) for i, c in enumerate("世帯番号 12345678")], 0.3).view
    assert [h.category for h in recognize(view, AllowList(), (pattern,))] == ["addressee_number"]
    assert recognize(view, AllowList()) == []
    with pytest.raises(ValueError):
        IdentifierPattern("addressee_number", (), r"\d+")


def test_bank_accounts_and_cards():
    assert categories("振込先 普通 1234567") == {"bank_account"}
    assert categories("口座番号 1234567") == {"bank_account"}
    assert categories("普通 7654321", OFFICE) == set(), "the office's own account"
    assert categories("お振込先: みずほ銀行 渋谷支店\n普通 1234567 口座名義 カ)ケアサポート") == set()
    assert categories("カード番号 4111 1111 1111 1111") == {"credit_card"}
    assert categories("4111-1111-1111-1111") == {"credit_card"}
    assert categories("4111-1111-1111-1112") == set(), "fails Luhn"


def test_sensitive_data():
    assert found("既往歴: 気管支喘息") == [("health", "気管支喘息", False)]
    assert categories("アレルギー 卵") == {"health"}
    assert categories("障害者手帳 2級") == {"disability"}
    assert categories("犯罪歴 あり") == {"criminal_record"}
    assert categories("宗教 ○○教") == {"belief"}
    assert categories("アレルギー なし") == set(), "a 'none' answer reveals nothing"
    assert categories("アレルギー 有・無") == set(), "a form's printed choices"
    assert categories("症状は安定しています。\n今後もよろしくお願いいたします。") == set(), "a label word in running text"
    assert all(f.sensitive for f in find_personal_data("既往歴 高血圧症"))


def test_disease_words_count_on_a_page_about_someone():
    assert categories("インフルエンザ予防接種のご案内") == set()
    assert categories("氏名 山田 太郎\n上記の方は糖尿病で通院中です。") == {"name", "health"}


def test_value_shown_with_its_middle_hidden():
    assert hide_middle("090-1234-5678") == "090＊＊＊＊＊＊＊678"
    assert hide_middle("山田 太郎") == "山＊＊＊郎"
    assert hide_middle("山田") == "＊＊"
    assert [f.shown for f in find_personal_data("個人番号 1234 5678 9018")] == ["123＊＊＊＊＊＊＊＊018"]


def test_phone_numbers_for_the_allow_list():
    assert phone_key("03-5432-2941") == phone_key("+81354322941") == phone_key("０３（５４３２）２９４１") == "+81354322941"
    assert phone_key("not a number") is None


# --- pairing by geometry: cells and roster columns ------------------------------------------


def laid_out(rows: list[list[tuple[float, str]]]):
    """A page of rows of (x, text) cells, 20 px per character, 40 px per line."""
    glyphs = []
    for number, cells in enumerate(rows):
        for x, text in cells:
            for i, char in enumerate(text):
                glyphs.append(Glyph(char, (x + 20 * i, 40 * number, x + 20 * i + 20, 40 * number + 30)))
    return lay_out(glyphs, 0.3).view


def test_a_value_in_the_next_cell():
    view = laid_out([[(0, "氏名"), (200, "二階堂 紬")], [(0, "住所"), (200, "東京都世田谷区池尻3-12-5")]])
    assert {h.category for h in recognize(view)} == {"name", "address"}


def test_roster_columns_under_a_header_row():
    view = laid_out([
        [(0, "No."), (100, "氏名"), (400, "生年月日"), (800, "電話番号")],
        [(0, "1"), (100, "勅使河原 瑛太"), (400, "S60.1.2"), (800, "090-1234-5678")],
        [(0, "2"), (100, "五月女 紬"), (400, "平成3年11月22日"), (800, "080-2345-6789")],
        [(0, "3"), (100, "九条 樹"), (400, "1988/02/29"), (800, "070-3456-7890")],
    ])
    hits = recognize(view)
    assert sorted(h.category for h in hits) == ["birth_date"] * 3 + ["name"] * 3 + ["phone"] * 3
    names = [view.text[h.start:h.end] for h in hits if h.category == "name"]
    assert names == ["勅使河原 瑛太", "五月女 紬", "九条 樹"]


def test_a_row_of_labels_over_a_masked_form_is_no_table():
    """Masked values leave labels side by side; the form below them is not a roster."""
    view = laid_out([[(0, "患者氏名"), (600, "生年月日")], [(0, "経過")], [(0, "特記事項なし")]])
    assert recognize(view) == []


@pytest.mark.parametrize("misread", ["ウリガナ", "プリガナ", "リガみE"])
def test_a_label_misread_by_ocr_is_no_value_of_the_label_above(misread):
    """A boxed form scanned as JPEG: 氏名's value is painted out, and OCR reads the printed
    フリガナ below it with a character or two wrong. That is a label, not a name."""
    view = laid_out([[(0, "氏名"), (600, "性別 男")], [(0, misread)], [(0, "生年月日")]])
    assert recognize(view) == []
    # A name where the label stood is still one, in kana too.
    for name in ("二階堂 紬", "ニカイドウ ツムギ", "リカコ"):
        view = laid_out([[(0, "氏名"), (600, "性別 男")], [(0, name)], [(0, "生年月日")]])
        assert [h.category for h in recognize(view)] == ["name"], name


# --- more kinds (issue 13) ------------------------------------------------------------------


@pytest.mark.parametrize("text, category, value", [
    ("基礎年金番号 1234-567890", "pension_number", "1234-567890"),
    ("運転免許証番号 第301234567890号", "drivers_license", "301234567890"),
    ("在留カード番号 AB12345678CD", "residence_card", "AB12345678CD"),
    ("パスポート番号 TR 1234567", "passport", "TR 1234567"),
    ("被保険者証 記号 1234 番号 56", "insurance_number", "1234 番号 56"),
    ("記号・番号 12-34", "insurance_number", "12-34"),
])
def test_identity_numbers_of_each_kind(text, category, value):
    assert (category, value, False) in found(text)


def test_an_insurer_number_and_a_corporate_number_are_no_ones():
    assert categories("保険者番号 06130012") == set()
    assert categories("法人番号 7000012050002") == set()


@pytest.mark.parametrize("text, category", [
    ("氏名 山田花子\n社会的身分 被差別部落の出身", "social_status"),
    ("氏名 山田花子\n被害届を提出済み。", "crime_victim"),
    ("山田花子は令和5年に窃盗で逮捕され、現在保護観察中。", "criminal_proceedings"),
    ("氏名 山田花子\n非行歴 家庭裁判所送致1回", "criminal_proceedings"),
    ("氏名 山田花子\n国籍 ベトナム", "nationality"),
    ("山田花子（フィリピン国籍）は夫と来所。", "nationality"),
    ("山田花子は夫からの暴力を受け、保護命令を申し立てた。", "domestic_violence"),
])
def test_sensitive_kinds_added_by_the_act_and_the_ordinance(text, category):
    assert category in categories(text)


def test_ordinance_categories_follow_the_municipality():
    view = plain_text("氏名 山田花子\n国籍 ベトナム\nDV被害 あり").view
    assert {h.category for h in recognize(view)} == {"name", "nationality", "domestic_violence"}  # Setagaya's default
    assert {h.category for h in recognize(view, ordinance=frozenset({"domestic_violence"}))} == {"name", "domestic_violence"}
    assert {h.category for h in recognize(view, ordinance=frozenset())} == {"name"}


@pytest.mark.parametrize("text", ["被害状況 特になし", "国籍 なし", "DV 有・無", "多国籍企業の研修", "国籍を問わず応募できます"])
def test_sensitive_kinds_answered_none_reveal_nothing(text):
    assert categories("氏名 山田花子\n" + text) == {"name"}


# --- fewer false blocks (issue 13) ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "子育て支援施設一覧\n施設名\t所在地\t電話番号\nひだまり\t世田谷区太子堂2-17-1\t03-3411-6644",
    "会場のご案内\nひだまり 世田谷区太子堂2-17-1 TEL 03-3411-6644",
    "屋号 みどり工房 代表 山田 太郎\n所在地 世田谷区太子堂2-17-1\nTEL 03-3411-6644\n法人番号 7000012050002",
    "A氏（40代女性）は夫と二人暮らし。令和5年より糖尿病で通院中。B氏（長男）は不登校の傾向。",
    "氏名\nフリガナ\n生年月日 明・大・昭・平・令 年 月 日\n住所 〒 -\n電話番号 ( ) -\n既往歴 有・無",
    "緊急連絡先 特になし\n住所 特になし\n既往歴 特になし\n被害状況 特になし\n備考 特になし",
])
def test_look_alikes_hold_no_personal_data(text):
    assert categories(text) - {"health"} == set()


def test_a_list_of_facilities_on_a_page_about_a_resident_still_reports_a_home():
    assert "address" in categories("氏名 山田 花子\n住所 世田谷区池尻3-12-5\n会場のご案内\nひだまり 世田谷区太子堂2-17-1")


def test_the_analyser_serves_threads_at_once():
    """One dictionary per process, one tokenizer per thread: Sudachi's tokenizer refuses a
    second caller while it works (the worker screens in threads)."""
    from concurrent.futures import ThreadPoolExecutor

    text = "令和6年7月12日、山田花子から来所相談あり。" * 200
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: len(find_personal_data(text)), range(16)))
    assert results == [200] * 16


def test_a_line_longer_than_the_analyser_reads_at_once_is_read_in_pieces():
    line = "区民の皆さまへのお知らせです。" * 4000 + "令和6年7月12日、山田花子から来所相談あり。"  # ~64,000 characters, no line break
    assert [f.value for f in find_personal_data(line) if f.category == "name"] == ["山田花子"]
