"""Benchmark (not a test): the two maintained Japanese analysers whose dictionaries tag person
names, compared as faxgate uses them (policies.morphology). Prints the figures recorded in
bench/RESULTS.md ("Names from a dictionary").

    .venv/bin/python bench/bench_names.py [sudachi|mecab] [--quick]   (mecab: pip install fugashi unidic-lite)

One analyser per process, so memory is its own; both run through faxgate's own name rules
(policies.recognizers.names), MeCab by standing in for policies.morphology.tokens. Recall: names built from surnames and given
names chosen to go beyond the most common ones (old and rare surnames, recent given names),
in running case-record prose and in form cells without a label; a name counts as found when
a name finding covers its surname and reaches into the given name. False positives: the
must-pass documents of tests/support/corpus.py (starred, blank and clean variants, their text), any
unmasked name found with the corpus's allow-list.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies import morphology  # noqa: E402

SURNAMES = (
    "佐藤 鈴木 高橋 田中 渡辺 伊藤 中村 小林 山本 加藤 吉田 山田 佐々木 山口 松本 井上 木村 清水 林 斎藤 "
    "森 池田 橋本 阿部 石川 山下 中島 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 福田 西村 "
    "勅使河原 小鳥遊 五月女 東海林 一ノ瀬 長谷部 御手洗 百瀬 宇佐美 神宮寺 二階堂 早乙女 西園寺 鬼塚 相馬 "
    "葛城 霧島 真壁 氷室 設楽 薬師寺 九条 桐生 砂川 比嘉 金城 宮城 仲宗根 知念 安里 我那覇 東風平 "
    "四月一日 月見里 鳥越 猪狩 蛭田 纐纈 鬼頭 五十嵐 大和田 小野寺 佐久間 千葉 菅野 及川 熊谷 阿久津 "
    "保坂 海老原 栗林 柳田 瀬戸口 伊集院 甲斐 日下部 大河内 宍戸"
).split()
GIVEN = (
    "太郎 花子 一郎 美咲 翔太 陽菜 大翔 結衣 蓮 さくら 悠真 葵 湊 凛 健太 由美 誠 恵子 和子 弘 ひなた "
    "ゆうと 勇気 千尋 瑛太 紬 陽翔 芽依 樹 心愛 陽葵 結翔 蒼 碧 朔 律 湊斗 咲良 莉子 美桜 琴音 翼 颯太 "
    "隆 修 茂 清 実 節子 幸子 昭 進 博 正子 キヨ トメ ハナ 進一郎 恵美子 明美 真由美 智子 裕子 直樹"
).split()
PROSE = (
    "令和6年7月12日、{n}から来所相談あり。",
    "本日、{n}の長女より電話があり、母の様子について相談を受けた。",
    "民生委員から{n}（{a}歳）について情報提供があった。",
    "{n}は夫と二人暮らしで、日中は一人で過ごしている。",
    "訪問時、{n}は体調がすぐれない様子であった。",
    "{n}と同居する長男が、今後の支援について希望を述べた。",
)
FORM = ("{n}\t{a}歳\t女", "{n}　　{a}", "申込者 {n}", "{n}（{a}）")


def names(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(SURNAMES) + rng.choice(("", " ", "　")) + rng.choice(GIVEN) for _ in range(count)]


def mecab_tokens(text: str) -> list[morphology.Token]:
    """policies.morphology.tokens, read with MeCab (fugashi) and UniDic-lite instead."""
    import fugashi

    global _TAGGER
    _TAGGER = globals().get("_TAGGER") or fugashi.Tagger()
    result, offset = [], 0
    for word in _TAGGER(text):
        start = text.find(word.surface, offset)
        offset = start + len(word.surface)
        f = word.feature
        kind = {"姓": morphology.SURNAME, "名": morphology.GIVEN}.get(f.pos4) if (f.pos2, f.pos3) == ("固有名詞", "人名") else None
        result.append(morphology.Token(start, offset, word.surface, kind, f.pos1 == "名詞", f.pos2 == "固有名詞"))
    return result


def name_findings(text: str, allow=None) -> list[tuple[int, int]]:
    from policies.allowlist import AllowList
    from policies.personal_data import find_personal_data

    return [(f.start, f.end) for f in find_personal_data(text, allow or AllowList()) if f.category == "name" and not f.masked]


def recall(templates, rng: random.Random, count: int) -> tuple[int, int, list[str]]:
    """A name is found when a finding covers its surname and reaches into the given name."""
    found, misses = 0, []
    for name in names(rng, count):
        text = rng.choice(templates).format(n=name, a=rng.randint(20, 90))
        start = text.index(name)
        surname = next(s for s in sorted(SURNAMES, key=len, reverse=True) if name.startswith(s))
        if any(s <= start and start + len(surname) < e for s, e in name_findings(text)):
            found += 1
        else:
            misses.append(name)
    return found, count, misses


def must_pass_texts(seeds: int) -> list[str]:
    from tests.support.corpus import PERSONAL_TEMPLATES, TEMPLATES, Sheet, _BUILDERS, _PARTIAL_MASK, person, variants_of

    texts = []
    for template in TEMPLATES:
        for variant in variants_of(template):
            if variant in ("unmasked", "partial", "boxed"):
                continue  # boxed: the text is under black boxes, which only the rendered page shows
            for seed in range(seeds):
                rng = random.Random(f"{template}/{variant}/{seed}")
                sheet = Sheet(variant, rng, _PARTIAL_MASK)
                _BUILDERS[template](sheet, rng, person(rng) if template in PERSONAL_TEMPLATES else None)
                texts.append("\n".join(item[2] for page in sheet.pages for item in page))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("analyser", nargs="?", default="sudachi", choices=("sudachi", "mecab"))
    parser.add_argument("--quick", action="store_true", help="a few seconds: 60 names of each kind, 2 seeds")
    args = parser.parse_args()
    count, seeds = (60, 2) if args.quick else (600, 10)
    backend = args.analyser
    if backend == "mecab":
        morphology.tokens = mecab_tokens
    from tests.support.corpus import SETTINGS

    started = time.perf_counter()
    morphology.tokens("準備")
    load = time.perf_counter() - started
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = random.Random(13)
    prose = recall(PROSE, rng, count)
    form = recall(FORM, rng, count)
    texts = must_pass_texts(seeds)
    false_docs = sum(1 for text in texts if name_findings(text, SETTINGS.allow))
    times = []
    for page in texts * 3:
        t0 = time.perf_counter()
        for line in page.split("\n"):
            morphology.tokens(line)
        times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{backend}: load {load * 1000:.0f} ms, RSS after load {rss_loaded:.0f} MB (peak {rss:.0f} MB); "
          f"recall prose {prose[0]}/{prose[1]}, forms {form[0]}/{form[1]}; "
          f"must-pass documents with a name found {false_docs}/{len(texts)}; "
          f"analysis per page median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {sorted(times)[int(len(times) * .95)] * 1000:.1f} ms (~{statistics.mean(len(t) for t in texts):.0f} characters)")
    print("missed:", sorted(set(prose[2] + form[2]))[:60])


if __name__ == "__main__":
    main()
