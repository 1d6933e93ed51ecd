"""Where an agency sits: province, city, county and administrative level from its name, by the
cpca gazetteer (national administrative division codes, shipped with the package)."""

from __future__ import annotations

import polars as pl

GEOGRAPHY_SCHEMA: dict[str, pl.DataType] = {
    "agency": pl.String,
    "province": pl.String,
    "city": pl.String,
    "county": pl.String,
    "adcode": pl.String,
    "admin_level": pl.String,
    "agency_kind": pl.String,
}


def geography(agencies: list[str]) -> pl.DataFrame:
    """One row per distinct agency name; unknown parts are null, never guessed."""
    names = sorted({a for a in agencies if a})
    if not names:
        return pl.DataFrame(schema=GEOGRAPHY_SCHEMA)
    import cpca  # 2 s to import: only where agencies are placed

    found = cpca.transform(names)
    rows = []
    for name, (_, row) in zip(names, found.iterrows(), strict=True):

        def part(key: str, row: object = row) -> str | None:
            value = row[key]
            return value if isinstance(value, str) and value else None

        adcode = part("adcode")
        level = None
        if adcode and len(adcode) == 6:
            level = (
                "province"
                if adcode.endswith("0000")
                else "city"
                if adcode.endswith("00")
                else "county"
            )
        rows.append(
            {
                "agency": name,
                "province": part("省"),
                "city": part("市"),
                "county": part("区"),
                "adcode": adcode,
                "admin_level": level,
                "agency_kind": "government"
                if name.endswith(("人民政府", "政府"))
                else "department",
            }
        )
    return pl.DataFrame(rows, schema=GEOGRAPHY_SCHEMA, orient="row")
