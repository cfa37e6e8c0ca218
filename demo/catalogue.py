"""The demo catalogue: articles in colours and sizes, deterministic variants with barcodes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from inventory.models import Location

from .network import SEED

COLORS = [
    ("BLU", "blue"),
    ("BLK", "black"),
    ("GRY", "grey"),
    ("NAV", "navy"),
    ("GRN", "green"),
    ("RED", "red"),
    ("WHT", "white"),
    ("SND", "sand"),
    ("OLV", "olive"),
    ("ORG", "orange"),
]
_SHOES = [str(size) for size in range(38, 47)]
_APPAREL = ["XS", "S", "M", "L", "XL", "XXL"]


@dataclass(frozen=True)
class Article:
    code: str
    name: str
    category: str  # shoes, apparel, gear, home: which locations carry it
    sizes: tuple[str, ...] = ("",)


ARTICLES = [
    Article("TRL-RUN", "Trail running shoe", "shoes", tuple(_SHOES)),
    Article("RD-RUN", "Road running shoe", "shoes", tuple(_SHOES)),
    Article("HIK-BOOT", "Hiking boot, waterproof", "shoes", tuple(_SHOES)),
    Article("CRT-SNK", "Court sneaker", "shoes", tuple(_SHOES)),
    Article("TEC-TEE", "Technical running tee", "apparel", tuple(_APPAREL)),
    Article("MER-LS", "Merino long-sleeve base layer", "apparel", tuple(_APPAREL)),
    Article("RAIN-JKT", "Rain jacket, 2.5-layer", "apparel", tuple(_APPAREL)),
    Article("FLC-HOOD", "Fleece hoodie", "apparel", tuple(_APPAREL)),
    Article("RUN-SHRT", "Running shorts, 5 inch", "apparel", tuple(_APPAREL)),
    Article("TRK-PANT", "Trekking trousers, zip-off", "apparel", tuple(_APPAREL)),
    Article("DWN-VEST", "Down vest", "apparel", tuple(_APPAREL)),
    Article("CMP-SOCK", "Compression socks", "apparel", ("S", "M", "L")),
    Article("YOGA-MAT", "Yoga mat, 4 mm", "gear"),
    Article("BOTL-750", "Insulated bottle, 750 ml", "gear"),
    Article("DAYPK-22", "Daypack, 22 l", "gear"),
    Article("HDLAMP", "Headlamp, 400 lm", "gear"),
    Article("TNS-RKT", "Tennis racket", "gear", ("L1", "L2", "L3", "L4")),
    Article("RES-BAND", "Resistance band set", "gear", ("light", "medium", "heavy")),
    Article("LIN-DUV", "Linen duvet cover", "home", ("135x200", "155x220", "200x200")),
    Article("CTN-TWL", "Cotton bath towel", "home", ("50x100", "70x140")),
    Article("WOOL-THR", "Wool throw blanket", "home"),
    Article("STW-MUG", "Stoneware mug, 350 ml", "home"),
    Article("CST-PAN", "Cast-iron pan, 28 cm", "home", ("24 cm", "28 cm")),
    Article("SCN-CNDL", "Scented candle, cedar", "home"),
]

# Which categories each kind of location carries, and how much of it.
ASSORTMENT = {
    Location.Kind.WAREHOUSE: {"shoes", "apparel", "gear", "home"},
    Location.Kind.STORE: {"shoes", "apparel", "gear"},
    Location.Kind.SUPPLIER: {"gear", "home"},
}


@dataclass(frozen=True)
class Variant:
    sku: str
    name: str
    barcode: str
    category: str


def _ean13(number: int) -> str:
    digits = f"400{number:09d}"  # 400-440: GS1 Germany
    checksum = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - checksum % 10) % 10)


def _variants() -> Iterator[Variant]:
    """Every demo SKU in a fixed order that mixes articles, so any prefix looks like a shop:
    round robin over the articles, one colour (all its sizes) at a time."""
    rng = random.Random(SEED)
    per_article: list[list[list[tuple[str, str]]]] = []  # article -> colour -> (sku, name)
    for article in ARTICLES:
        colors = COLORS[:]
        rng.shuffle(colors)
        per_article.append(
            [
                [
                    (
                        "-".join(p for p in (article.code, code, size.replace(" ", "")) if p),
                        ", ".join(p for p in (article.name, color, size) if p),
                    )
                    for size in article.sizes
                ]
                for code, color in colors
            ]
        )
    number = 0
    for color_round in range(len(COLORS)):
        for article, groups in zip(ARTICLES, per_article, strict=True):
            for sku, name in groups[color_round]:
                number += 1
                yield Variant(sku.upper(), name, _ean13(number), article.category)


def demo_variants(count: int) -> list[Variant]:
    variants = []
    for variant in _variants():
        if len(variants) >= count:
            break
        variants.append(variant)
    return variants


def all_demo_skus() -> list[str]:
    return [v.sku for v in _variants()]
