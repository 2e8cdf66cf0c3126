"""Write ``communes_before_2025.tsv.gz``: every commune-level unit before 1/7/2025 and the
unit(s) it became.

The source is the official conversion table (``BangChuyendoiĐVHCmoi_cu``) as packaged by
``vietnam-provinces`` from release 2026.9 on — its ``legacy`` divisions and its ward
conversion table, under the GPL-3.0-or-later like this project. Those releases require
Python 3.12 while this project runs on 3.11, so the table is written once here and shipped
as package data. Each new unit is written with its code and its name: some 500 of them are
numbered differently in the release the project installs, and ``handlers.old_communes``
then finds them by name within their province.

    python3.12 -m venv /tmp/vp && /tmp/vp/bin/pip install 'vietnam-provinces==2026.9.0'
    /tmp/vp/bin/python handlers/data/generate.py
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib.metadata import version
from pathlib import Path

from vietnam_provinces import Ward as NewWard
from vietnam_provinces import _ward_conversion_2025 as conversion
from vietnam_provinces.legacy import District, Province, Ward

OUTPUT = Path(__file__).with_name("communes_before_2025.tsv.gz")
HEADER = (
    "old_code",
    "old_name",
    "old_district",
    "old_province",
    "new_province",
    "new_codes",
    "new_names",
)


def rows() -> list[tuple[str, ...]]:
    """One row per old unit that the conversion table lists, by old code."""
    provinces = {int(p.code): p.name for p in Province.iter_all()}
    districts = {int(d.code): d for d in District.iter_all()}
    result = []
    for ward in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        entry = conversion.find_new_wards(int(ward.code))
        if entry is None:
            continue
        district = districts[int(ward.district_code)]
        new = [NewWard.from_code(ref.code) for ref in entry.new_wards]
        result.append(
            (
                f"{int(ward.code):05d}",
                ward.name,
                district.name,
                provinces[int(district.province_code)],
                f"{int(new[0].province_code):02d}",
                ",".join(f"{int(unit.code):05d}" for unit in new),
                "|".join(unit.name for unit in new),
            )
        )
    return result


def main() -> None:
    """Write the table, with the source release in a comment line."""
    text = io.StringIO()
    text.write(f"# vietnam-provinces {version('vietnam-provinces')}, {conversion.SOURCE}\n")
    writer = csv.writer(text, delimiter="\t", lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows())
    # mtime=0: the same table gives the same bytes, so a regeneration shows no false diff.
    OUTPUT.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


if __name__ == "__main__":
    main()
