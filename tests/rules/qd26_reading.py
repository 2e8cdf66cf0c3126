"""Read the published scoring sheets (``../shared/ocop/qd26/scoring_sheets.json``) into the
shape ``ocop_rules`` ships, applying the reading rules of ``../shared/ocop/qd26/README.md``.

The same reading serves two ends: the test that checks the packaged copy against the
published sheets, and the regeneration of that copy after a correction of the source
(``python -m tests.rules.qd26_reading > ocop_rules/data/scoring_sheets.json``).

Reading rules, as the README states them (1–4) plus one the source's parser missed (5):

1. a criterion without options is a yes/no criterion worth its points;
2. an option whose points are blank (``null``) scores 0;
3. the four misprints of the text: set 4 criterion 7 "13" → 3, set 11 criterion 6.1.1
   "11" → 1, set 23 criterion 9 "4 / 1" → 4 (already read so), set 26 Part A "(35 Điểm)"
   → 40 (the header's text is not carried);
4. every sheet then sums to 100 (A 40, B 25, C 35) with the best options;
5. set 3 criterion 5.1 prints its 4★ mark spaced ("* * * *"), which the source's parser
   left unmarked; the same option is marked 4★ on every other food sheet, so it is read 4★.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SHARED_SHEETS = (
    Path(__file__).parents[2] / ".." / "shared" / "ocop" / "qd26" / "scoring_sheets.json"
)

# (set number, criterion code, option label start) → the points to read.
MISPRINTED_POINTS: dict[tuple[int, str, str], int] = {
    (4, "7", "Có trên 2 chỉ tiêu"): 3,
    (11, "6.1.1", "Có rất ít tạp chất"): 1,
}
SPACED_MARKS: frozenset[tuple[int, str]] = frozenset({(3, "5.1")})

_MARK = re.compile(r"\s*((?:\*\s*){3,5})")

Node = dict[str, Any]


def _stars_in(label: str) -> tuple[str, int | None]:
    """The label without its star mark, and the mark's star count (``None`` when unmarked)."""
    found = _MARK.search(label)
    if found is None:
        return label, None
    stars = found.group(1).count("*")
    return (label[: found.start()] + label[found.end() :]).strip(), stars


def _option(set_no: int, code: str, raw: Node) -> dict[str, Any]:
    label, stars = _stars_in(raw["label"])
    points = raw["points"]
    for (number, criterion, start), read in MISPRINTED_POINTS.items():
        if (number, criterion) == (set_no, code) and label.startswith(start):
            points = read
    if stars is not None and "min_star" not in raw and (set_no, code) not in SPACED_MARKS:
        raise ValueError(f"set {set_no} {code}: a mark the source did not carry")
    return {"label": label, "points": int(points or 0), "min_stars": stars}


def _walk(set_no: int, part: str, node: Node, sheet: dict[str, list[Any]]) -> None:
    if node.get("children"):
        sheet["headings"].append(
            {
                "code": node["code"],
                "part": part,
                "label": node["label"],
                "max_points": int(node["max_points"]),
            }
        )
        for child in node["children"]:
            _walk(set_no, part, child, sheet)
        return
    sheet["criteria"].append(
        {
            "code": node["code"],
            "part": part,
            "label": node["label"],
            "max_points": int(node["max_points"]),
            "options": [_option(set_no, node["code"], raw) for raw in node.get("options", [])],
            "notes": list(node.get("notes", [])),
        }
    )


def read_sheets(published: Node) -> dict[str, Any]:
    """The packaged shape of the published sheets, read with the rules above."""
    sets = []
    for raw in published["sets"]:
        sheet: dict[str, Any] = {
            "number": raw["no"],
            "heading": raw["sheet_heading"],
            "disqualifier": raw["dossier_disqualifier"],
            "headings": [],
            "criteria": [],
        }
        for part in ("A", "B", "C"):
            for child in raw["parts"][part]["children"]:
                _walk(raw["no"], part, child, sheet)
        sets.append(sheet)
    return {
        "source": "QĐ 26/2026/QĐ-TTg (22/5/2026), Phụ lục II: Bộ tiêu chí đánh giá sản phẩm OCOP",
        "readings": [
            "a criterion without options is yes/no, worth its points",
            "a blank option scores 0",
            "misprints read: set 4 criterion 7 '13' as 3; set 11 criterion 6.1.1 '11' as 1; "
            "set 23 criterion 9 '4 / 1' as 4; set 26 Part A '(35 Điểm)' as 40",
            "set 3 criterion 5.1: the spaced mark '* * * *' read as the 4-star mark",
        ],
        "sets": sets,
    }


def main() -> None:
    published = json.loads(SHARED_SHEETS.read_text(encoding="utf-8"))
    sys.stdout.write(json.dumps(read_sheets(published), ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
