"""The TOML mapping file: accepted shapes and precise errors for wrong ones."""

from __future__ import annotations

import pytest

from ingest.mapping import MappingError, load_mapping, mapping_from_dict

FULL = """
encoding = "cp1252"
delimiter = ";"
date_format = "%d-%m-%y"
decimal = ","
thousands = "."

[columns]
"Posting Date" = "sale_date"
"Outlet" = "branch"
"GP" = "gross_profit"

[constants]
product_line = "General"
quantity = 1

[filter]
Status = ["Posted", "Closed"]
Kind = "Sale"
"""


def test_full_mapping_loads(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(FULL, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.columns == {"Posting Date": "sale_date", "Outlet": "branch", "GP": "gross_profit"}
    assert mapping.constants == {"product_line": "General", "quantity": "1"}
    assert mapping.filters == {"Status": ("Posted", "Closed"), "Kind": ("Sale",)}
    assert (mapping.encoding, mapping.delimiter, mapping.date_format) == ("cp1252", ";", "%d-%m-%y")
    assert (mapping.decimal, mapping.thousands_separator) == (",", ".")


def test_defaults_pair_decimal_and_thousands():
    assert mapping_from_dict({}).thousands_separator == ","
    assert mapping_from_dict({"decimal": ","}).thousands_separator == "."
    assert mapping_from_dict({"decimal": ",", "thousands": " "}).thousands_separator == " "


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"date_fromat": "%d"}, "unknown mapping keys"),
        ({"columns": {"X": "revenu"}}, "'revenu' is not a canonical column"),
        ({"columns": {"A": "revenue", "B": "revenue"}}, "several source columns"),
        ({"columns": {"A": "branch"}, "constants": {"branch": "X"}}, "both as a column and as a constant"),
        ({"decimal": ";"}, "decimal must be one of"),
        ({"decimal": ",", "thousands": ","}, "must differ"),
        ({"delimiter": "::"}, "delimiter must be one of"),
        ({"date_format": "dd-mm-yy"}, "no % directives"),
        ({"columns": "sale_date"}, "must be a table"),
    ],
)
def test_mistakes_are_errors(raw, message):
    with pytest.raises(MappingError, match=message):
        mapping_from_dict(raw)


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(bad)
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nope.toml")
