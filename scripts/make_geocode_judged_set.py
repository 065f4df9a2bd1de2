"""Generate the judged address set of forward geocoding from the division history (reproducible).

    SP_DB_NAME=spatial_platform .venv/bin/python scripts/make_geocode_judged_set.py

Reads the database the README's run command loads (areacodes 1981-2024 and the town vintages)
and writes ``tests/boundaries/geocode/judged_addresses.csv``: each row an address as a person
might write it on a date, and the province, prefecture, county (and town) it lay in on that date
according to the history. Rows are drawn with a fixed seed from the versions in force on several
dates, then given realistic noise, named in the ``noise`` column: levels skipped (``no_province``,
``no_prefecture``, ``no_county`` for a town written under its prefecture), suffixes dropped
(``short``) or swapped (``wrong_suffix``), a name of the area before it was renamed or recoded
(``old_name``), traditional characters (``traditional``), full-width digits (``fullwidth``),
spaces and commas (``separators``) and street parts after the divisions (``street``, with road
names that are themselves division names: 北京路, 中山路, 长沙路 …). Only readings a careful person
would settle are kept: a county written with no level above it has a name unique on the date, a
town written without its county is the only one of its name in its prefecture, a shortened name
is no shorter form of a level above it.
"""

from __future__ import annotations

import asyncio
import csv
import random
from collections import Counter
from datetime import date
from pathlib import Path

import asyncpg
import opencc

from boundaries.geocode.names import stem
from boundaries.history.service import LineageIndex
from spatial_platform.settings import DatabaseSettings

OUT = Path(__file__).resolve().parents[1] / "tests" / "boundaries" / "geocode" / "judged_addresses.csv"
SEED = 20261203
DATES = [date(y, 12, 31) for y in (1985, 1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024)]
TOWN_DATES = [
    date(2016, 12, 31),
    date(2018, 6, 30),
    date(2020, 12, 31),
    date(2023, 12, 31),
    date(2024, 12, 31),
]
TOWN_PROVINCES = ("11", "43", "64")  # the tests load the towns of these provinces
COUNTS = {"county": 620, "old_name": 160, "town": 420}
ROADS = ("人民路", "解放路", "中山路", "建设路", "北京路", "长沙路", "新华路", "和平街", "文化路", "胜利路",
         "朝阳路", "湘江中路", "黄河大道", "府前街", "光明巷", "东风路", "南京路", "青年大街")  # fmt: skip
ESTATES = ("阳光", "幸福", "金色家园", "锦绣", "和谐", "碧桂园", "翠苑", "御景")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _street(rng: random.Random) -> str:
    part = f"{rng.choice(ROADS)}{rng.randint(1, 399)}号"
    if rng.random() < 0.3:
        part += f"{rng.choice(ESTATES)}小区{rng.randint(1, 30)}栋{rng.randint(101, 2208)}室"
    return part


class Generator:
    """Draws rows from the lineage index and the town versions."""

    def __init__(self, index: LineageIndex, towns: list) -> None:
        self.index = index
        self.towns = towns
        self.rng = random.Random(SEED)
        self.t2s = opencc.OpenCC("s2t")
        self.names_at: dict[date, Counter] = {}
        self.known = {n.name for n in index.nodes.values()}
        self.stems: Counter = Counter()
        for when in {*DATES, *TOWN_DATES}:
            for n in index.nodes.values():
                if n.valid_at(when) and (short := stem(n.name, n.level)):
                    self.stems[(short, when)] += 1

    def chain(self, node, when):
        """The node and its ancestors at the date, province first."""
        out = [node]
        while out[-1].parent_code:
            parent = self.index.version_at(out[-1].parent_code, when)
            if parent is None:
                break
            out.append(parent)
        return list(reversed(out))

    def unique(self, name: str, when: date, prefix: str = "") -> bool:
        """Tell whether one county only has this name on the date (within the code prefix)."""
        if when not in self.names_at:
            self.names_at[when] = Counter()
            for n in self.index.nodes.values():
                if n.level == "county" and n.valid_at(when):
                    self.names_at[when].update([(n.name, ""), (n.name, n.code[:2])])
        return self.names_at[when][(name, prefix)] == 1

    def write(self, chain, when, noise: list[str], town=None, written: dict | None = None) -> str:
        """Write the chain (and town) as an address with noise; record each noise in ``noise``."""
        rng, written = self.rng, written or {}
        parts = [(n.level, written.get(n.level, n.name)) for n in chain]
        county = next((n for n in chain if n.level == "county"), None)
        if len(parts) > 2 or (len(parts) == 2 and self.unique(parts[1][1], when)):
            if rng.random() < 0.4:
                parts = parts[1:]
                noise.append("no_province")
        has = {level for level, _ in parts}
        if town is None and county and "prefecture" in has and rng.random() < 0.3:
            within = county.code[:2] if "province" in has else ""
            if self.unique(written.get("county", county.name), when, within):
                parts = [p for p in parts if p[0] != "prefecture"]
                noise.append("no_prefecture")
        if town is not None and town[1] and county and "prefecture" in has and rng.random() < 0.3:
            parts = [p for p in parts if p[0] != "county"]
            noise.append("no_county")
        above = {stem(n.name, n.level) for n in chain if n.level != "county"}
        out = []
        for level, name in parts:
            r, short = rng.random(), stem(name, level)
            if r < 0.25 and short and short not in above | {name} and self.stems[(short, when)] <= 1:
                name = short
                noise.append("short")
            elif 0.25 <= r < 0.3 and level == "county" and name[-1] in "区县" and "自治" not in name:
                other = name[:-1] + ("县" if name[-1] == "区" else "区")
                if len(name) > 2 and other not in self.known:
                    name = other
                    noise.append("wrong_suffix")
            out.append(name)
        if town is not None:
            name, short = town[0].name, stem(town[0].name, "town")
            if short and town[2] and rng.random() < 0.25:
                name = short
                noise.append("town_short")
            elif name.endswith("街道") and rng.random() < 0.15:
                name += "办事处"
                noise.append("town_spelling")
            out.append(name)
        if rng.random() < 0.8:
            out.append(_street(rng))
            noise.append("street")
        sep = ""
        if rng.random() < 0.2:
            sep = rng.choice((" ", ",", "，"))
            noise.append("separators")
        text = sep.join(out)
        if rng.random() < 0.15:
            text = self.t2s.convert(text)
            noise.append("traditional")
        if rng.random() < 0.2:
            text = text.translate(FULLWIDTH)
            noise.append("fullwidth")
        return text

    def row(self, chain, when, address, noise, town=None) -> dict:
        """One CSV row: the address, its date and the codes it lay in then."""
        codes = {n.level: n.code for n in chain}
        return {
            "address": address,
            "at": when.isoformat(),
            "province": codes.get("province", ""),
            "prefecture": codes.get("prefecture", ""),
            "county": codes.get("county", ""),
            "town": town.code if town is not None else "",
            "noise": "+".join(noise),
        }

    def counties(self):
        """Counties in force on one of the dates, written with noise."""
        pool = sorted((n for n in self.index.nodes.values() if n.level == "county"), key=lambda n: n.id)
        for _ in range(COUNTS["county"]):
            when = self.rng.choice(DATES)
            node = self.rng.choice([n for n in pool if n.valid_at(when)])
            noise: list[str] = []
            chain = self.chain(node, when)
            yield self.row(chain, when, self.write(chain, when, noise), noise)

    def old_names(self):
        """A county or prefecture written with the name of the area before its rename or recoding."""
        pairs = []
        for node in sorted(self.index.nodes.values(), key=lambda n: n.id):
            if node.level not in ("county", "prefecture"):
                continue
            for link in node.out:
                target = self.index.nodes[link.target]
                whole = [x for x in node.out if x.ending]
                if (
                    link.ending
                    and len(whole) == 1
                    and target.name != node.name
                    and target.level == node.level
                ):
                    pairs.append((node, target))
        self.rng.shuffle(pairs)
        made = 0
        for old, new in pairs:
            dates = [d for d in DATES if new.valid_at(d) and old.valid_to is not None and d >= old.valid_to]
            if not dates or made >= COUNTS["old_name"]:
                continue
            when = self.rng.choice(dates)
            if any(n.name == old.name and n.valid_at(when) for n in self.index.nodes.values()):
                continue  # the old name is another division's name on the date
            if new.level == "prefecture":
                kids = sorted((n for n in self.index.children.get(new.code, ()) if n.valid_at(when)),
                              key=lambda n: n.code)  # fmt: skip
                if not kids:
                    continue
                chain = self.chain(self.rng.choice(kids), when)
            else:
                chain = self.chain(new, when)
            noise = ["old_name"]
            address = self.write(chain, when, noise, written={new.level: old.name})
            made += 1
            yield self.row(chain, when, address, noise)

    def town_rows(self):
        """Towns of the test provinces in force on one of the town dates, under their divisions."""
        for _ in range(COUNTS["town"]):
            when = self.rng.choice(TOWN_DATES)
            live = [
                t
                for t in self.towns
                if t["valid_from"] <= when and (t["valid_to"] is None or when < t["valid_to"])
            ]
            town = self.rng.choice(live)
            parent = self.index.version_at(town["parent_code"], when)
            if parent is None:
                continue
            chain = self.chain(parent, when)
            prefecture = next((n.code for n in chain if n.level == "prefecture"), None)
            short = stem(town["name"], "town")
            alone = (
                short is not None
                and not any(
                    t["code"][:6] == town["code"][:6]
                    and t["code"] != town["code"]
                    and t["name"].startswith(short)
                    for t in live
                )
                and short not in self.known
                and short[-1] not in "路街"
                and self.stems[(short, when)] == 0
            )
            same = sum(
                1
                for t in live
                if t["name"] == town["name"] and prefecture and t["code"][:4] == prefecture[:4]
            )
            noise: list[str] = []
            node = type("Town", (), {"code": town["code"], "name": town["name"]})
            address = self.write(chain, when, noise, town=(node, same == 1, alone))
            yield self.row(chain, when, address, noise, town=node)


async def main() -> None:
    """Read the history and the towns, draw the rows and write the CSV."""
    conn = await asyncpg.connect(DatabaseSettings().dsn())
    try:
        index = await LineageIndex.load(conn)
        towns = await conn.fetch(
            "SELECT code, name, parent_code, valid_from, valid_to FROM division_versions "
            "WHERE level = 'town' AND left(code, 2) = ANY($1::text[]) ORDER BY id",
            list(TOWN_PROVINCES),
        )
    finally:
        await conn.close()
    gen = Generator(index, list(towns))
    rows = [*gen.counties(), *gen.old_names(), *gen.town_rows()]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["id", *rows[0].keys()])
        writer.writeheader()
        for i, row in enumerate(rows, 1):
            writer.writerow({"id": i, **row})
    print(f"{len(rows)} addresses written to {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
