"""Issue 13: masked and clean fine-mode pages that were stopped for a cause of screening's own
(see docs/screening.md, "Images"), each fix checked without OCR."""

from __future__ import annotations

from PIL import Image, ImageChops

from policies.image_reading import OcrPass
from policies.ink import bilevel, looks_like_placeholders
from policies.layout import Glyph, lay_out
from policies.legible import doubtful_field
from policies.ocr import OcrWord, prepare, turn, written_in_columns
from policies.personal_data import find_personal_data
from tests.support import docgen


def _ink(items, boxes=()):
    return bilevel(prepare(docgen.render_text_image(items, boxes=boxes), docgen.FINE_DPI))


def test_a_sparse_horizontal_form_is_not_taken_for_vertical_writing():
    # Six labelled rows with their values boxed, and a footer: the footer's long lines fill
    # the narrow gaps between the characters of the rows, so a count of every gap finds as
    # many across the page as down it.
    labels = ("氏名", "生年月日", "基礎年金番号", "被保険者証 記号・番号", "在留カード番号", "旅券番号")
    items = [(50, 22, "本人確認書類 記載事項確認票", 15), (20, 35, "株式会社ケアサポート世田谷 御中", 11)]
    items += [(22, 50 + 11 * i, label, 10.5) for i, label in enumerate(labels)]
    items += [(22, 122, "上記の者の資格について、確認をお願いします。", 10.5),
              (20, 255, "【問合せ先】世田谷区 保健福祉政策部 保健医療福祉推進課", 9),
              (20, 260, "東京都世田谷区世田谷4-21-27  TEL 03-5432-2941  FAX 03-5432-3055", 9),
              (20, 265, "担当: 佐藤 一郎  E-mail: hokeniryo@city.setagaya.example.jp", 9)]
    boxes = [(74, 46 + 11 * i, 100 + 3 * i, 51 + 11 * i) for i in range(6)]
    boxes += [(20, 53 + 11 * i, 190, 53.3 + 11 * i) for i in range(6)]  # the rules under the rows
    assert not written_in_columns(_ink(items, boxes), docgen.FINE_DPI)


def test_vertical_writing_is_still_read_as_columns():
    text = ("拝啓 時下ますますご清祥のこととお喜び申し上げます。", "さて、先日ご相談のありました件について、",
            "下記のとおりご連絡いたします。", "敬具")
    em = 10.5 * 25.4 / 72
    chars = [(190 - 8 * column - em / 2, 20 + (i + 1) * em, char, 10.5)
             for column, line in enumerate(text) for i, char in enumerate(line) if not char.isspace()]
    assert written_in_columns(_ink(chars), docgen.FINE_DPI)


def _line(text, size=9):
    image = bilevel(docgen.render_text_image([(20, 30, text, size)]))
    left, top, right, bottom = ImageChops.invert(image).getbbox()  # the text's ink
    return image, (left, top - 10, right, bottom + 10)


def test_the_hyphens_of_a_masked_number_are_no_shape_of_their_own():
    # ＊＊-＊＊: four stars and a hyphen were 4 of 5 pieces alike, ＊-＊ 2 of 3 (under 3 in 4).
    for masked in ("＊-＊", "＊＊＊-＊", "●-●●"):
        assert looks_like_placeholders(*_line(masked)), masked
    for readable in ("090-1234-5678", "1-23-4", "山田-一郎"):
        assert not looks_like_placeholders(*_line(readable)), readable


def _names(text):
    return [f.value for f in find_personal_data(text) if f.category == "name"]


def test_a_disease_whose_first_kanji_ocr_misread_is_no_name():
    # 関節リウマチ read 関征リウマチ / 関秀リウマテチ: 関 + 征 are a surname and a given name.
    assert _names("既往歴 関征リウマチ (強時)") == []
    assert _names("上記の方は関秀リウマテチのため通院中です。") == []
    # A name that is not part of the word, or is apart from it, stays a name.
    assert _names("山田花子リウマチ") == ["山田花子"]
    assert _names("本日、関秀がリウマチで来所") == ["関秀"]
    assert _names("患者 林健関節リウマチ 通院中") == ["林健"]  # a whole name before the word, two edits from it


def test_a_name_the_dictionary_finds_inside_the_word_after_a_title_is_the_titled_persons():
    # 医師 霧島 ゆうと read 医師駿島ゆうと (駿 + 島ゆう); 代表取締役 氷室 陽翔 in a vertical text
    # layer that writes no spaces: 氷室 is read as a word, 陽 + 翔 as the name.
    assert _names("医師駿島ゆうと") == []
    assert _names("代表取締役氷室陽翔") == []
    # No title before it: a name.
    assert _names("本日、駿島ゆうとから電話があった。") != []
    assert _names("本日、氷室陽翔から電話があった。") != []


def test_slivers_either_end_of_a_bar_are_no_value_read():
    # A row of ●●● under a roster's 住所 is taken for a masking bar and painted out; OCR reads
    # the slivers left at its two ends as + and ュ. Far apart, they are no letter read.
    words = [OcrWord("No.", (100, 100, 130, 120), 95), OcrWord("氏名", (200, 100, 240, 120), 95),
             OcrWord("住所", (500, 100, 540, 120), 95), OcrWord("1", (100, 150, 110, 170), 90),
             OcrWord("+", (505, 150, 507, 170), 0), OcrWord("ュ", (529, 152, 530, 168), 23)]
    view = lay_out([Glyph(w.text, w.box) for w in words], 0.6).view
    assert doubtful_field(view, words, Image.new("L", (800, 300), 255), 75) is None
    # A value read on more than a sliver, unsure, still holds.
    words[-1] = OcrWord("ュ", (515, 152, 530, 168), 23)
    view = lay_out([Glyph(w.text, w.box) for w in words], 0.6).view
    assert doubtful_field(view, words, Image.new("L", (800, 300), 255), 75) is not None


def test_a_box_on_a_straightened_page_is_put_back_where_it_was_scanned():
    page = Image.new("L", (800, 600), 255)
    page.paste(0, (600, 100, 620, 120))  # a mark far from the centre, where the turn moves it most
    straightened = turn(page, 1.5, docgen.FINE_DPI)
    found = ImageChops.invert(bilevel(straightened)).getbbox()
    reading = OcrPass([], None, docgen.FINE_DPI, 100.0, True, skew=1.5, skew_size=page.size)
    back = reading.on_page(found)
    assert all(abs(a - b) <= 2 for a, b in zip(back, (600, 100, 620, 120))), back


def test_a_page_of_one_line_or_one_column():
    assert not written_in_columns(_ink([(20, 30, "電話 090-1234-5678", 10.5)]), docgen.FINE_DPI)
    em = 10.5 * 25.4 / 72
    column = [(190 - em / 2, 20 + (i + 1) * em, char, 10.5) for i, char in enumerate("電話番号のお知らせ")]
    assert written_in_columns(_ink(column), docgen.FINE_DPI)
