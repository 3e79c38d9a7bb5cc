"""Forbidden-phrase matching: `phrases_in` (one automaton pass) against a naive loop of `in`.

Run with ``python benchmarks/bench_phrases.py``. A 2,000-character transcript (common Chinese
characters with full-width punctuation, two forbidden phrases planted in it) is searched for 10
and for 1,000 phrases (the 13 phrases of the telecom pack's list, then generated ones). Target:
cost(1,000 phrases) / cost(10 phrases) <= 2 for ``phrases_in``; the naive loop's cost grows with
the list. Both sides are checked to find the same phrases before anything is timed (the naive
peer searches the transcript folded the same way, so it does the same job minus the folding).
"""

from __future__ import annotations

import random
import re
import unicodedata

from _common import ROUNDS, info_line, machine, per_item_us, print_table, ratio_line, scaled
from svcrules.expr.functions import FUNCTIONS

phrases_in = FUNCTIONS["phrases_in"]

SOURCE_PHRASES = [  # the telecom pack's list (000_9a6499fb8bdcb52a L287-311)
    "你问我,我问谁?",
    "靠、你有没有搞错?",
    "刚才不是跟你说了,怎么又问?",
    "我也没办法啊。",
    "你们必须……",
    "你们应该……",
    "说明书上有,你自己看。",
    "快下班了,明天再说。",
    "不知道,这事不归我管。",
    "这是我们公司规定的。",
    "故障界面在这里,我公司没有问题,你自己找人来处理吧。",
    "听不到,大声一点。",
    "喂,你找谁?",
    "有意见,找我们领导去。",
]
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"  # noqa: E501
PUNCT = "，。！？、 "


PLANTED = ("好的，快下班了，明天再说吧。", "有意见，找我们领导去！")


def transcript(rng: random.Random, length: int = 2000) -> str:
    """``length`` characters of filler with the two planted sentences in it."""
    chars = [rng.choice(COMMON + PUNCT) for _ in range(length - sum(map(len, PLANTED)))]
    chars[len(chars) // 2 : len(chars) // 2] = list(PLANTED[0])
    chars[100:100] = list(PLANTED[1])
    return "".join(chars)


def generated(rng: random.Random, n: int) -> list[str]:
    """Phrases of 4 to 12 common characters, as long as the source's."""
    return ["".join(rng.choice(COMMON) for _ in range(rng.randint(4, 12))) for _ in range(n)]


_NOT_WORD = re.compile(r"[\W_]+")


def naive(text: str, phrases: list[str], folded: list[str]) -> tuple[str, ...]:
    """The peer: fold the text the same way, then a loop of `in` over the (pre-folded) phrases."""
    s = unicodedata.normalize("NFKC", _NOT_WORD.sub("", text)).casefold()
    return tuple(p for p, f in zip(phrases, folded, strict=True) if f in s)


def fold(phrase: str) -> str:
    return unicodedata.normalize("NFKC", _NOT_WORD.sub("", phrase)).casefold()


def main() -> None:
    rng = random.Random(20240506)
    text = transcript(rng)
    lists = {  # both hold the two phrases planted in the transcript
        10: SOURCE_PHRASES[:9] + SOURCE_PHRASES[-1:],
        1000: SOURCE_PHRASES + generated(rng, 1000 - len(SOURCE_PHRASES)),
    }
    calls = scaled(2_000, 20)
    rows: list[tuple[str, float | None, str]] = []
    ours: dict[int, float] = {}
    theirs: dict[int, float] = {}
    for n, phrases in lists.items():
        assert len(phrases) == n
        folded = [fold(p) for p in phrases]
        found = phrases_in(text, phrases)
        assert found == naive(text, phrases, folded), (found, naive(text, phrases, folded))
        assert "快下班了,明天再说。" in found and "有意见,找我们领导去。" in found, found
        ours[n] = per_item_us(
            lambda _, p=phrases: [phrases_in(text, p) for _ in range(calls)], calls
        )
        theirs[n] = per_item_us(
            lambda _, p=phrases, f=folded: [naive(text, p, f) for _ in range(calls)], calls
        )
        rows.append((f"phrases_in, {n:>5} phrases", ours[n], f"found {len(found)}"))
        rows.append((f"naive loop of `in`, {n:>5} phrases", theirs[n], ""))

    print(machine())
    print(f"transcript {len(text)} characters; {calls} calls per round, median of {ROUNDS} rounds")
    print_table("Forbidden-phrase matching, per transcript", rows, "us")
    ratio_line("phrases_in cost(1000)/cost(10)", ours[1000] / ours[10], "<= 2")
    info_line("naive cost(1000)/cost(10)", theirs[1000] / theirs[10])
    info_line("naive(1000)/phrases_in(1000)", theirs[1000] / ours[1000])
    info_line("naive(10)/phrases_in(10)", theirs[10] / ours[10])


if __name__ == "__main__":
    main()
