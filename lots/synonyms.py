"""Search synonyms of the catalogue: a word a visitor types → the words lots are listed under.

One table, here. lots.selectors_catalogue expands each search word into itself and its synonyms: any one
of them may match, through the same indexed two-character search, or name the lot's sub-type
(Lot.subtype, indexed: "轿车" is the sub-type car). "汽车" finds 轿车 and 货车; "房产" finds 住宅 and 商铺.
"""

from __future__ import annotations

SYNONYMS: dict[str, tuple[str, ...]] = {
    "汽车": ("轿车", "货车", "越野车", "客车", "商务车", "挂车", "机动车"),
    "机动车": ("轿车", "货车", "越野车", "客车", "商务车", "挂车", "汽车"),
    "车辆": ("轿车", "货车", "越野车", "客车", "商务车", "挂车", "机动车"),
    "卡车": ("货车",),
    "房产": ("住宅", "商铺", "别墅", "公寓", "办公用房", "厂房"),
    "房子": ("住宅", "别墅", "公寓"),
    "住房": ("住宅", "公寓"),
    "门面": ("商铺",),
    "店铺": ("商铺",),
    "写字楼": ("办公用房",),
    "土地": ("用地", "建设用地使用权"),
    "珠宝": ("翡翠", "黄金", "首饰", "珍珠"),
}


def expand(word: str) -> tuple[str, ...]:
    """The word itself first, then its synonyms (upper-cased lookup, as the search is case-blind)."""
    return (word, *[s for s in SYNONYMS.get(word.upper(), SYNONYMS.get(word, ())) if s != word])
