"""The CSV exports write exactly the bytes they wrote before they were made faster (issue 17).

tests/golden_exports.py builds a small database with the exports benchmark's builder (answers of
the real flow, two studies, a fixed pseudonym key) and fills open answers with what a CSV writer
and a spreadsheet must handle with care: formulas, signed numbers, commas, quotes, line breaks,
non-ASCII text, answers with a probe. The golden file holds what the export code wrote for it
before the speed-up: long CSV pseudonymous, identifying in English, raw, and the wide CSV.
"""

from __future__ import annotations

import pytest

from tests.golden_exports import VARIANTS, exports, make_database, read_golden


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("golden-exports")
    db = folder / "golden.db"
    make_database(db)
    return exports(db, folder)


@pytest.mark.parametrize("name", [v[0] for v in VARIANTS])
def test_the_export_is_byte_for_byte_what_it_was(written: dict[str, bytes], name: str) -> None:
    golden = read_golden()[name]
    got = written[name]
    if got != golden:
        lines, old = got.split(b"\r\n"), golden.split(b"\r\n")
        first = next((i for i, (a, b) in enumerate(zip(lines, old, strict=False)) if a != b), min(len(lines), len(old)))
        pytest.fail(f"{name}: line {first + 1} differs:\n now: {lines[first:first + 1]}\n was: {old[first:first + 1]}")
    assert len(got) > 100_000 if name.endswith("large") else len(got) > 10_000


def test_the_database_really_holds_awkward_cells(written: dict[str, bytes]) -> None:
    text = written["csv-large"].decode("utf-8")
    assert "'=HYPERLINK" in text and ",-3," in text and "'-2+3" in text  # neutralised, number left alone
    assert '"baris satu\nbaris dua"' in text and "__probe" in text and "İzin" in text
    raw = written["csv-small-raw"].decode("utf-8")
    assert "=HYPERLINK" in raw and "'=HYPERLINK" not in raw
