"""Field types without a database: canonical storage, refusals, settings checks and ``build_config``."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from dataclasses import replace
from typing import Any

import pytest

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.service import Refused, build_config
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.integer import INT_MAX, INT_MIN
from rapport.customfields.types.registry import FIELD_TYPES, field_type
from rapport.customfields.types.select import MAX_OPTIONS, canonical_options, enum_name_from_label
from rapport.errors import BadInput, UserErrorCode

E = UserErrorCode
UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))


def draft(type_name: str, **config: Any) -> FieldDefinition:
    """A definition with ``config`` taken as already stored (no checks)."""
    return FieldDefinition(
        id=uuid.uuid4(), entity="CUSTOMER", key="field", type=type_name, label="Field", config=config
    )


def configured(type_name: str, **settings: Any) -> FieldDefinition:
    """A definition whose settings went through ``build_config``, as customFieldCreate does."""
    empty = draft(type_name)
    return replace(empty, config=build_config(empty, settings))


def store(type_name: str, value: Any, **settings: Any) -> Any:
    definition = configured(type_name, **settings)
    return field_type(type_name).to_storage(value, definition)


def refusal(type_name: str, value: Any, **settings: Any) -> FieldValueError:
    definition = configured(type_name, **settings)
    with pytest.raises(FieldValueError) as caught:
        field_type(type_name).to_storage(value, definition)
    return caught.value


def config_refusal(type_name: str, **settings: Any) -> tuple[list[str], UserErrorCode, str]:
    with pytest.raises(Refused) as caught:
        build_config(draft(type_name), settings)
    (problem,) = caught.value.problems
    return problem.path, problem.code, problem.message


TIERS = [{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}]


def tiers(type_name: str = "SELECT", **settings: Any) -> FieldDefinition:
    return configured(type_name, options=TIERS, **settings)


def option_id(definition: FieldDefinition, value: str) -> str:
    return next(o.id for o in definition.options if o.value == value)


def test_registry_has_every_documented_type() -> None:
    assert set(FIELD_TYPES) == {
        "LONG_TEXT",
        "MONEY",
        "PERCENT",
        "RATING",
        "REFERENCE",
        "JSON",
        "TEXT",
        "INTEGER",
        "DECIMAL",
        "BOOLEAN",
        "DATE",
        "DATETIME",
        "EMAIL",
        "PHONE",
        "URL",
        "SELECT",
        "MULTI_SELECT",
    }
    for name, ftype in FIELD_TYPES.items():
        assert ftype.name == name
        assert ftype.description


# --- TEXT -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("hello", "hello"),
        ("  padded\t\n", "padded"),
        ("inner  spaces kept", "inner  spaces kept"),
        ("Ünïcødé 中文 😀", "Ünïcødé 中文 😀"),
        ("x" * 1000, "x" * 1000),
    ],
)
def test_text_valid(value: str, stored: str) -> None:
    assert store("TEXT", value) == stored


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_text_is_no_value(value: str) -> None:
    assert store("TEXT", value) is None
    assert store("TEXT", value, minLength=3) is None


@pytest.mark.parametrize(
    ("value", "settings", "code"),
    [
        (5, {}, E.INVALID),
        (1.5, {}, E.INVALID),
        (True, {}, E.INVALID),
        (["a"], {}, E.INVALID),
        ({"a": "b"}, {}, E.INVALID),
        ("nul\x00byte", {}, E.INVALID),
        ("x" * 1001, {}, E.TOO_LONG),
        ("ab", {"minLength": 3}, E.TOO_SHORT),
        (" ab ", {"minLength": 3}, E.TOO_SHORT),
        ("abcdef", {"maxLength": 5}, E.TOO_LONG),
        ("ab", {"maxLength": 1}, E.TOO_LONG),
        ("ab-1234", {"regex": r"[A-Z]{2}-\d{4}"}, E.PATTERN_MISMATCH),
        ("AB-12345", {"regex": r"[A-Z]{2}-\d{4}"}, E.PATTERN_MISMATCH),
        ("xAB-1234", {"regex": r"[A-Z]{2}-\d{4}"}, E.PATTERN_MISMATCH),
    ],
)
def test_text_invalid(value: Any, settings: dict[str, Any], code: UserErrorCode) -> None:
    assert refusal("TEXT", value, **settings).code == code


@pytest.mark.parametrize(
    ("value", "settings"),
    [
        ("abc", {"minLength": 3}),
        ("  abc  ", {"maxLength": 3}),
        ("abcde", {"minLength": 1, "maxLength": 5}),
        ("AB-1234", {"regex": r"[A-Z]{2}-\d{4}"}),
        ("  AB-1234 ", {"regex": r"[A-Z]{2}-\d{4}"}),
        ("x" * 1000, {"maxLength": 1000}),
    ],
)
def test_text_within_settings(value: str, settings: dict[str, Any]) -> None:
    assert store("TEXT", value, **settings) == value.strip()


@pytest.mark.parametrize(
    ("settings", "path", "code"),
    [
        ({"minLength": 5, "maxLength": 4}, ["input", "minLength"], E.INVALID),
        ({"minLength": -1}, ["input", "minLength"], E.INVALID),
        ({"minLength": 1001}, ["input", "minLength"], E.INVALID),
        ({"maxLength": 1001}, ["input", "maxLength"], E.INVALID),
        ({"maxLength": 0}, ["input", "maxLength"], E.INVALID),
        ({"minLength": True}, ["input", "minLength"], E.INVALID),
        ({"maxLength": "10"}, ["input", "maxLength"], E.INVALID),
        ({"regex": "("}, ["input", "regex"], E.INVALID),
        ({"regex": "[a-"}, ["input", "regex"], E.INVALID),
        ({"regex": "(?=lookahead)"}, ["input", "regex"], E.INVALID),  # not RE2: no backtracking features
        ({"regex": r"(a)\1"}, ["input", "regex"], E.INVALID),
        ({"regex": "a" * 501}, ["input", "regex"], E.TOO_LONG),
        ({"regex": 5}, ["input", "regex"], E.INVALID),
    ],
)
def test_text_config_problems(settings: dict[str, Any], path: list[str], code: UserErrorCode) -> None:
    got_path, got_code, _ = config_refusal("TEXT", **settings)
    assert (got_path, got_code) == (path, code)


def test_text_regex_is_linear_time() -> None:
    # A pattern that backtracks catastrophically in Python's re finishes at once in RE2.
    definition = configured("TEXT", regex="(a+)+$")
    with pytest.raises(FieldValueError) as caught:
        field_type("TEXT").to_storage("a" * 900 + "!", definition)
    assert caught.value.code == E.PATTERN_MISMATCH


# --- INTEGER --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [(0, 0), (42, 42), (-7, -7), (INT_MAX, INT_MAX), (INT_MIN, INT_MIN), (5.0, 5), (-3.0, -3)],
)
def test_integer_valid(value: Any, stored: int) -> None:
    result = store("INTEGER", value)
    assert result == stored
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("5", E.INVALID),
        (5.5, E.INVALID),
        (True, E.INVALID),
        (False, E.INVALID),
        (float("nan"), E.INVALID),
        (float("inf"), E.INVALID),
        ([1], E.INVALID),
        (decimal.Decimal("1.5"), E.INVALID),
        (INT_MAX + 1, E.TOO_LARGE),
        (2**63, E.TOO_LARGE),
        (1e20, E.TOO_LARGE),
        (INT_MIN - 1, E.TOO_SMALL),
        (-1e20, E.TOO_SMALL),
    ],
)
def test_integer_invalid(value: Any, code: UserErrorCode) -> None:
    assert refusal("INTEGER", value).code == code


@pytest.mark.parametrize(("value", "code"), [(-1, E.TOO_SMALL), (101, E.TOO_LARGE), (0, None), (100, None), (50, None)])
def test_integer_min_max(value: int, code: UserErrorCode | None) -> None:
    if code is None:
        assert store("INTEGER", value, min=0, max=100) == value
    else:
        assert refusal("INTEGER", value, min=0, max=100).code == code


@pytest.mark.parametrize(
    ("settings", "path", "code"),
    [
        ({"min": 10, "max": 5}, ["input", "min"], E.INVALID),
        ({"min": "abc"}, ["input", "min"], E.INVALID),
        ({"max": 1.5}, ["input", "max"], E.INVALID),
        ({"min": True}, ["input", "min"], E.INVALID),
        ({"max": INT_MAX + 1}, ["input", "max"], E.TOO_LARGE),
        ({"min": 0, "default": -1}, ["input", "default"], E.TOO_SMALL),
        ({"default": "7"}, ["input", "default"], E.INVALID),
    ],
)
def test_integer_config_problems(settings: dict[str, Any], path: list[str], code: UserErrorCode) -> None:
    got_path, got_code, _ = config_refusal("INTEGER", **settings)
    assert (got_path, got_code) == (path, code)


def test_integer_config_is_canonicalised() -> None:
    config = build_config(draft("INTEGER"), {"min": 1.0, "max": 10.0, "default": 3.0})
    assert config == {"min": 1, "max": 10, "default": 3}
    assert all(type(v) is int for v in config.values())


# --- DECIMAL --------------------------------------------------------------------------------------------

DIGITS_38 = "12345678901234567890123456789012345678"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("12.50", "12.5"),
        ("12.5", "12.5"),
        ("1.25E+1", "12.5"),
        ("1E+2", "100"),
        ("100.00", "100"),
        ("-0.00", "0"),
        ("0E+5", "0"),
        (" 7.5 ", "7.5"),
        ("-1.0E-3", "-0.001"),
        (12, "12"),
        (0.1, "0.1"),  # the float's shortest repr, not its binary expansion
        (1.5, "1.5"),
        (decimal.Decimal("3.140"), "3.14"),
        (DIGITS_38, DIGITS_38),  # all 38 digits kept, none rounded away
        ("1234567890123456789012345678901234567.8", "1234567890123456789012345678901234567.8"),
        ("0.00000000000000000000000000000000000001", "0.00000000000000000000000000000000000001"),
        ("-" + DIGITS_38, "-" + DIGITS_38),
    ],
)
def test_decimal_valid(value: Any, stored: str) -> None:
    assert store("DECIMAL", value) == stored


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("abc", E.INVALID),
        ("", E.INVALID),
        ("1,5", E.INVALID),
        ("12.5.1", E.INVALID),
        (True, E.INVALID),
        ([1], E.INVALID),
        ({"amount": 1}, E.INVALID),
        ("NaN", E.INVALID),
        ("sNaN", E.INVALID),
        ("Infinity", E.INVALID),
        ("-Infinity", E.INVALID),
        (float("nan"), E.INVALID),
        (float("inf"), E.INVALID),
        (decimal.Decimal("NaN"), E.INVALID),
        ("1" * 101, E.INVALID),  # absurdly long text is not read at all
        (DIGITS_38 + "9", E.TOO_LARGE),
        ("12345678901234567890.1234567890123456789", E.TOO_LARGE),  # 39 significant digits
        ("1E+38", E.TOO_LARGE),
        ("1E+1000000", E.TOO_LARGE),  # one significant digit, a million written out
        (10**40, E.TOO_LARGE),
        ("1E-39", E.INVALID),
        ("1E-1000000", E.INVALID),
        ("1.234567890123456789012345678901234567891", E.INVALID),  # 39 places
    ],
)
def test_decimal_invalid(value: Any, code: UserErrorCode) -> None:
    assert refusal("DECIMAL", value).code == code


@pytest.mark.parametrize(
    ("value", "settings", "outcome"),
    [
        ("1.23", {"scale": 2}, "1.23"),
        ("1.230", {"scale": 2}, "1.23"),
        ("5", {"scale": 0}, "5"),
        ("1.234", {"scale": 2}, E.INVALID),
        ("0.5", {"scale": 0}, E.INVALID),
        ("-0.01", {"min": "0", "max": "10.5"}, E.TOO_SMALL),
        ("10.51", {"min": "0", "max": "10.5"}, E.TOO_LARGE),
        ("10.50", {"min": "0", "max": "10.5"}, "10.5"),
        ("0", {"min": "0", "max": "10.5"}, "0"),
        ("9.5", {"min": "2", "max": "10"}, "9.5"),  # compared as numbers, not as text
    ],
)
def test_decimal_settings(value: str, settings: dict[str, Any], outcome: str | UserErrorCode) -> None:
    if isinstance(outcome, UserErrorCode):
        assert refusal("DECIMAL", value, **settings).code == outcome
    else:
        assert store("DECIMAL", value, **settings) == outcome


@pytest.mark.parametrize(
    ("settings", "path", "code"),
    [
        ({"min": "10", "max": "9.5"}, ["input", "min"], E.INVALID),
        ({"min": "abc"}, ["input", "min"], E.INVALID),
        ({"max": "NaN"}, ["input", "max"], E.INVALID),
        ({"scale": 13}, ["input", "scale"], E.INVALID),
        ({"scale": -1}, ["input", "scale"], E.INVALID),
        ({"scale": True}, ["input", "scale"], E.INVALID),
        ({"scale": "2"}, ["input", "scale"], E.INVALID),
        ({"scale": 2, "default": "12.345"}, ["input", "default"], E.INVALID),
        ({"max": "5", "default": "5.01"}, ["input", "default"], E.TOO_LARGE),
    ],
)
def test_decimal_config_problems(settings: dict[str, Any], path: list[str], code: UserErrorCode) -> None:
    got_path, got_code, _ = config_refusal("DECIMAL", **settings)
    assert (got_path, got_code) == (path, code)


def test_decimal_config_is_canonicalised() -> None:
    config = build_config(draft("DECIMAL"), {"min": "2.50", "max": 10, "scale": 2, "default": 3.1})
    assert config == {"min": "2.5", "max": "10", "scale": 2, "default": "3.1"}


# --- BOOLEAN --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_boolean_valid(value: bool) -> None:
    assert store("BOOLEAN", value) is value


@pytest.mark.parametrize("value", ["true", "false", 1, 0, "yes", [True], 1.0])
def test_boolean_invalid(value: Any) -> None:
    assert refusal("BOOLEAN", value).code == E.INVALID


def test_boolean_false_default_is_kept() -> None:
    assert build_config(draft("BOOLEAN"), {"default": False}) == {"default": False}


# --- DATE -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-05-01", "2024-05-01"),
        ("2024-02-29", "2024-02-29"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        ("0999-01-01", "0999-01-01"),
        ("2024-W01-1", "2024-01-01"),  # an ISO week date, canonicalised
    ],
)
def test_date_valid(value: Any, stored: str) -> None:
    assert store("DATE", value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "2024-13-01",
        "2023-02-29",
        "2024-5-1",
        "01/05/2024",
        "20240501",
        "2024-05-01T00:00:00",
        "",
        "tomorrow",
        20240501,
        dt.datetime(2024, 5, 1, tzinfo=UTC),  # an instant is not a calendar date
        ["2024-05-01"],
    ],
)
def test_date_invalid(value: Any) -> None:
    assert refusal("DATE", value).code == E.INVALID


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        ("2023-12-31", E.TOO_SMALL),
        ("2025-01-01", E.TOO_LARGE),
        ("2024-01-01", "2024-01-01"),
        ("2024-12-31", "2024-12-31"),
    ],
)
def test_date_min_max(value: str, outcome: str | UserErrorCode) -> None:
    settings = {"min": "2024-01-01", "max": "2024-12-31"}
    if isinstance(outcome, UserErrorCode):
        assert refusal("DATE", value, **settings).code == outcome
    else:
        assert store("DATE", value, **settings) == outcome


@pytest.mark.parametrize(
    ("settings", "path", "code"),
    [
        ({"min": "2024-12-31", "max": "2024-01-01"}, ["input", "min"], E.INVALID),
        ({"min": "not a date"}, ["input", "min"], E.INVALID),
        ({"max": 2024}, ["input", "max"], E.INVALID),
        ({"min": "2024-01-01", "default": "2023-06-01"}, ["input", "default"], E.TOO_SMALL),
    ],
)
def test_date_config_problems(settings: dict[str, Any], path: list[str], code: UserErrorCode) -> None:
    got_path, got_code, _ = config_refusal("DATE", **settings)
    assert (got_path, got_code) == (path, code)


# --- DATETIME -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-05-01T09:30:00+08:00", "2024-05-01T01:30:00.000000Z"),
        ("2024-05-01T09:30:00Z", "2024-05-01T09:30:00.000000Z"),
        ("2024-05-01T09:30:00.123456+00:00", "2024-05-01T09:30:00.123456Z"),
        ("2024-01-01T02:00:00+05:00", "2023-12-31T21:00:00.000000Z"),
        (dt.datetime(2024, 5, 1, 9, 30, tzinfo=CST), "2024-05-01T01:30:00.000000Z"),
        ("0999-06-01T00:00:00+00:00", "0999-06-01T00:00:00.000000Z"),  # still four-digit years
    ],
)
def test_datetime_valid(value: Any, stored: str) -> None:
    assert store("DATETIME", value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T09:30:00",  # naive: which time zone?
        dt.datetime(2024, 5, 1, 9, 30),
        "2024-05-01",
        "yesterday",
        "",
        1714550000,
        "2024-05-01T09:30:00+08:00" + " " * 60,
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        dt.date(2024, 5, 1),
    ],
)
def test_datetime_invalid(value: Any) -> None:
    assert refusal("DATETIME", value).code == E.INVALID


def test_datetime_text_order_is_time_order() -> None:
    instants = [
        dt.datetime(999, 12, 31, 23, tzinfo=UTC),
        dt.datetime(2024, 5, 1, 9, 30, tzinfo=CST),
        dt.datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
        dt.datetime(2024, 4, 30, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2024, 5, 1, 1, 30, 0, 1, tzinfo=UTC),
        dt.datetime(2100, 1, 1, tzinfo=UTC),
    ]
    stored = [store("DATETIME", i) for i in instants]
    assert len({len(s) for s in stored}) == 1
    assert sorted(stored) == [store("DATETIME", i) for i in sorted(instants)]


def test_datetime_takes_no_settings() -> None:
    path, code, _ = config_refusal("DATETIME", min="2024-01-01T00:00:00Z")
    assert (path, code) == (["input", "min"], E.INVALID)


# --- EMAIL / PHONE / URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("Foo@Example.COM", "Foo@example.com"),
        ("  a@b.co  ", "a@b.co"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
    ],
)
def test_email_valid(value: str, stored: str) -> None:
    assert store("EMAIL", value) == stored


def test_blank_email_is_no_value() -> None:
    assert FIELD_TYPES["EMAIL"].to_storage("   ", configured("EMAIL")) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("not-an-email", E.INVALID_EMAIL),
        ("a@", E.INVALID_EMAIL),
        ("@b.com", E.INVALID_EMAIL),
        ("a b@c.com", E.INVALID_EMAIL),
        ("a@b@c.com", E.INVALID_EMAIL),
        ("a" * 250 + "@b.com", E.INVALID_EMAIL),
        (5, E.INVALID),
        (["a@b.com"], E.INVALID),
    ],
)
def test_email_invalid(value: Any, code: UserErrorCode) -> None:
    assert refusal("EMAIL", value).code == code


@pytest.mark.parametrize(
    ("value", "settings", "stored"),
    [
        ("+86 138 0013 8000", {}, "+8613800138000"),
        ("+1 (650) 253-0000", {}, "+16502530000"),
        ("+44 20 7946 0958", {}, "+442079460958"),
        ("138 0013 8000", {"defaultRegion": "CN"}, "+8613800138000"),
        ("138 0013 8000", {"defaultRegion": "cn"}, "+8613800138000"),
        ("+1 650 253 0000", {"defaultRegion": "CN"}, "+16502530000"),  # +country wins over the region
    ],
)
def test_phone_valid(value: str, settings: dict[str, Any], stored: str) -> None:
    assert store("PHONE", value, **settings) == stored


@pytest.mark.parametrize(
    ("value", "settings", "code"),
    [
        ("138 0013 8000", {}, E.INVALID_PHONE),  # no +country and no default region
        ("+86 123", {}, E.INVALID_PHONE),
        ("hello", {}, E.INVALID_PHONE),
        ("", {}, E.INVALID_PHONE),
        ("+86 138 0013 8000" + "0" * 60, {}, E.INVALID_PHONE),
        (8613800138000, {}, E.INVALID),
        ("123", {"defaultRegion": "CN"}, E.INVALID_PHONE),
    ],
)
def test_phone_invalid(value: Any, settings: dict[str, Any], code: UserErrorCode) -> None:
    assert refusal("PHONE", value, **settings).code == code


@pytest.mark.parametrize("region", ["XX", "", "China", 86])
def test_phone_bad_default_region(region: Any) -> None:
    path, code, _ = config_refusal("PHONE", defaultRegion=region)
    assert (path, code) == (["input", "defaultRegion"], E.INVALID)


def test_phone_default_region_is_canonicalised() -> None:
    assert build_config(draft("PHONE"), {"defaultRegion": "us"}) == {"defaultRegion": "US"}


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://example.com", "https://example.com/"),
        ("http://Example.COM/path?q=1", "http://example.com/path?q=1"),
        ("  https://example.com/a b  ", "https://example.com/a%20b"),
        ("https://example.com:8443/x#frag", "https://example.com:8443/x#frag"),
    ],
)
def test_url_valid(value: str, stored: str) -> None:
    assert store("URL", value) == stored


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ftp://example.com", E.INVALID_URL),
        ("example.com", E.INVALID_URL),
        ("javascript:alert(1)", E.INVALID_URL),
        ("https://", E.INVALID_URL),
        ("", E.INVALID_URL),
        ("https://example.com/" + "a" * 2048, E.INVALID_URL),
        (5, E.INVALID),
    ],
)
def test_url_invalid(value: Any, code: UserErrorCode) -> None:
    assert refusal("URL", value).code == code


@pytest.mark.parametrize(
    ("type_name", "setting", "value"),
    [
        ("EMAIL", "minLength", 3),
        ("EMAIL", "defaultRegion", "CN"),
        ("URL", "regex", "https://.*"),
        ("PHONE", "maxLength", 20),
    ],
)
def test_text_like_types_refuse_text_settings(type_name: str, setting: str, value: Any) -> None:
    path, code, message = config_refusal(type_name, **{setting: value})
    assert (path, code) == (["input", setting], E.INVALID)
    assert type_name in message


# --- SELECT / MULTI_SELECT ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Gold", "GOLD"),
        ("VIP+", "VIP"),
        ("Café au lait", "CAFE_AU_LAIT"),
        ("2nd tier", "N2ND_TIER"),
        ("  spaced   out ", "SPACED_OUT"),
        ("中文", ""),
        ("x" * 80, "X" * 60),
    ],
)
def test_enum_name_from_label(label: str, value: str) -> None:
    assert enum_name_from_label(label) == value


def test_canonical_options() -> None:
    options = canonical_options(
        [{"label": "Gold", "color": "#ffd700"}, {"label": "中文"}, {"label": "Platinum", "value": "PLAT"}]
    )
    assert [(o["value"], o["label"]) for o in options] == [("GOLD", "Gold"), ("OPTION_2", "中文"), ("PLAT", "Platinum")]
    assert options[0]["color"] == "#ffd700"
    assert "color" not in options[1]
    ids = [o["id"] for o in options]
    assert len(set(ids)) == 3
    assert all(i.startswith("opt_") for i in ids)


def test_select_stores_option_id() -> None:
    definition = tiers()
    ftype = field_type("SELECT")
    gold = option_id(definition, "GOLD")
    assert ftype.to_storage("GOLD", definition) == gold
    assert ftype.to_storage(gold, definition) == gold  # the generic form may give the id
    make_enum: Any = enum.Enum  # members from data: a functional Enum mypy cannot follow
    member = make_enum("Tier", {o.value: o.id for o in definition.options})
    assert ftype.to_storage(member.GOLD, definition) == gold  # typed input gives the enum member


@pytest.mark.parametrize("value", ["BRONZ", "gold", "Gold", "", 5, None, ["GOLD"]])
def test_select_unknown_option(value: Any) -> None:
    with pytest.raises(FieldValueError) as caught:
        field_type("SELECT").to_storage(value, tiers())
    assert caught.value.code == E.UNKNOWN_OPTION
    assert "GOLD, SILVER, BRONZE" in caught.value.message


def test_multi_select_stores_ids_in_option_order() -> None:
    definition = tiers("MULTI_SELECT")
    ftype = field_type("MULTI_SELECT")
    gold, silver, bronze = (option_id(definition, v) for v in ("GOLD", "SILVER", "BRONZE"))
    assert ftype.to_storage(["BRONZE", "GOLD"], definition) == [gold, bronze]
    assert ftype.to_storage(("SILVER", silver, "SILVER"), definition) == [silver]
    assert ftype.to_storage([bronze, "SILVER", "GOLD"], definition) == [gold, silver, bronze]


def test_multi_select_empty_is_no_value() -> None:
    assert field_type("MULTI_SELECT").to_storage([], tiers("MULTI_SELECT")) is None
    assert "default" not in build_config(draft("MULTI_SELECT"), {"options": TIERS, "default": []})


@pytest.mark.parametrize(
    ("value", "code"),
    [("GOLD", E.INVALID), ({"GOLD": True}, E.INVALID), (["GOLD", "NOPE"], E.UNKNOWN_OPTION), ([5], E.UNKNOWN_OPTION)],
)
def test_multi_select_invalid(value: Any, code: UserErrorCode) -> None:
    with pytest.raises(FieldValueError) as caught:
        field_type("MULTI_SELECT").to_storage(value, tiers("MULTI_SELECT"))
    assert caught.value.code == code


@pytest.mark.parametrize("type_name", ["SELECT", "MULTI_SELECT"])
@pytest.mark.parametrize(
    ("options", "code"),
    [
        (None, E.REQUIRED),
        ([], E.REQUIRED),
        ([{"label": ""}], E.INVALID),
        ([{"label": "   "}], E.INVALID),
        ([{"label": "x" * 101}], E.INVALID),
        ([{"label": "Gold"}, {"label": "GOLD"}], E.DUPLICATE),
        ([{"label": "Gold"}, {"label": "Other", "value": "GOLD"}], E.DUPLICATE),
        ([{"label": "Gold", "id": "opt_0123456789"}], E.INVALID),  # ids are given only to keep options
        ([{"label": "Gold", "value": "gold"}], E.INVALID),
        ([{"label": "Gold", "value": "1GOLD"}], E.INVALID),
        ([{"label": "Yes", "value": "TRUE"}], E.INVALID),
        ([{"label": "Nothing", "value": "NULL"}], E.INVALID),
        ([{"label": f"Option {i}"} for i in range(MAX_OPTIONS + 1)], E.LIMIT_EXCEEDED),
    ],
)
def test_option_config_problems(type_name: str, options: Any, code: UserErrorCode) -> None:
    settings = {} if options is None else {"options": options}
    path, got_code, _ = config_refusal(type_name, **settings)
    assert (path, got_code) == (["input", "options"], code)


def test_select_max_options_allowed() -> None:
    definition = configured("SELECT", options=[{"label": f"Option {i}"} for i in range(MAX_OPTIONS)])
    assert len(definition.options) == MAX_OPTIONS


def test_select_default_is_stored_as_option_id() -> None:
    definition = tiers(default="SILVER")
    assert definition.default == option_id(definition, "SILVER")
    path, code, _ = config_refusal("SELECT", options=TIERS, default="PLATINUM")
    assert (path, code) == (["input", "default"], E.UNKNOWN_OPTION)


def test_multi_select_default_is_stored_as_option_ids() -> None:
    definition = tiers("MULTI_SELECT", default=["BRONZE", "GOLD"])
    assert definition.default == [option_id(definition, "GOLD"), option_id(definition, "BRONZE")]


@pytest.mark.parametrize("type_name", ["SELECT", "MULTI_SELECT"])
def test_relabelling_an_option_keeps_its_id_and_enum_value(type_name: str) -> None:
    current = tiers(type_name)
    gold, silver = option_id(current, "GOLD"), option_id(current, "SILVER")
    config = build_config(
        current, {"options": [{"id": silver, "label": "Argent"}, {"id": gold, "label": "Golden"}, {"label": "New One"}]}
    )
    assert [(o["id"], o["value"], o["label"]) for o in config["options"][:2]] == [
        (silver, "SILVER", "Argent"),
        (gold, "GOLD", "Golden"),
    ]
    assert config["options"][2]["value"] == "NEW_ONE"
    assert config["options"][2]["id"] not in (gold, silver)
    renamed = build_config(current, {"options": [{"id": gold, "label": "Golden", "value": "GOLDEN"}]})
    assert renamed["options"] == [{"id": gold, "value": "GOLDEN", "label": "Golden"}]


@pytest.mark.parametrize("type_name", ["SELECT", "MULTI_SELECT"])
def test_option_ids_must_name_existing_options(type_name: str) -> None:
    current = tiers(type_name)
    gold = option_id(current, "GOLD")
    for options, code in (
        ([{"id": gold, "label": "Gold"}, {"id": "SILVER", "label": "Alpha"}], E.INVALID),
        ([{"id": gold, "label": "Gold"}, {"id": "opt_" + "x" * 300, "label": "Long"}], E.INVALID),
        ([{"id": gold, "label": "Gold"}, {"id": gold, "label": "Again", "value": "AGAIN"}], E.DUPLICATE),
    ):
        with pytest.raises(Refused) as caught:
            build_config(current, {"options": options})
        assert [(p.path, p.code) for p in caught.value.problems] == [(["input", "options"], code)]


def test_removing_the_default_option_is_refused() -> None:
    current = tiers(default="GOLD")
    silver = option_id(current, "SILVER")
    with pytest.raises(Refused) as caught:
        build_config(current, {"options": [{"id": silver, "label": "Silver"}]})
    assert [(p.path, p.code) for p in caught.value.problems] == [(["input", "default"], E.UNKNOWN_OPTION)]


# --- build_config ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "setting", "value"),
    [
        ("TEXT", "min", 1),
        ("TEXT", "options", TIERS),
        ("TEXT", "scale", 2),
        ("INTEGER", "regex", "[0-9]+"),
        ("INTEGER", "scale", 2),
        ("INTEGER", "minLength", 1),
        ("DECIMAL", "maxLength", 3),
        ("BOOLEAN", "options", TIERS),
        ("BOOLEAN", "min", 0),
        ("DATE", "scale", 1),
        ("DATE", "defaultRegion", "CN"),
        ("DATETIME", "max", "2030-01-01T00:00:00Z"),
        ("SELECT", "min", 1),
        ("MULTI_SELECT", "regex", "x"),
        ("PHONE", "options", TIERS),
        ("URL", "scale", 1),
        ("TEXT", "currency", "CNY"),
        ("INTEGER", "unknownSetting", True),
    ],
)
def test_settings_that_do_not_apply_are_refused(type_name: str, setting: str, value: Any) -> None:
    path, code, message = config_refusal(type_name, **{setting: value})
    assert (path, code) == (["input", setting], E.INVALID)
    assert setting in message
    assert type_name in message


def test_settings_given_as_none_are_ignored_or_cleared() -> None:
    assert build_config(draft("TEXT"), {"min": None, "options": None}) == {}
    current = configured("TEXT", minLength=2, maxLength=5)
    assert build_config(current, {"minLength": None}) == {"maxLength": 5}


def test_required_false_is_not_stored() -> None:
    assert build_config(draft("TEXT"), {"required": True}) == {"required": True}
    assert build_config(draft("TEXT"), {"required": False}) == {}
    assert build_config(configured("TEXT", required=True), {"required": False}) == {}


@pytest.mark.parametrize(
    ("type_name", "settings", "default", "stored"),
    [
        ("TEXT", {}, "  hello ", "hello"),
        ("INTEGER", {}, 5.0, 5),
        ("DECIMAL", {}, "1.50", "1.5"),
        ("DECIMAL", {}, 2, "2"),
        ("BOOLEAN", {}, True, True),
        ("DATE", {}, "2024-05-01", "2024-05-01"),
        ("DATETIME", {}, "2024-05-01T09:30:00+08:00", "2024-05-01T01:30:00.000000Z"),
        ("EMAIL", {}, "Mei.Lin@Example.COM", "Mei.Lin@example.com"),
        ("PHONE", {"defaultRegion": "CN"}, "138 0013 8000", "+8613800138000"),
        ("URL", {}, "https://Example.com", "https://example.com/"),
    ],
)
def test_default_is_validated_and_canonicalised(
    type_name: str, settings: dict[str, Any], default: Any, stored: Any
) -> None:
    config = build_config(draft(type_name), {**settings, "default": default})
    assert config["default"] == stored
    assert type(config["default"]) is type(stored)


@pytest.mark.parametrize(
    ("type_name", "settings", "default", "code"),
    [
        ("TEXT", {"maxLength": 3}, "toolong", E.TOO_LONG),
        ("TEXT", {"regex": "[a-z]+"}, "ABC", E.PATTERN_MISMATCH),
        ("INTEGER", {"max": 10}, 11, E.TOO_LARGE),
        ("INTEGER", {}, "five", E.INVALID),
        ("DECIMAL", {}, "NaN", E.INVALID),
        ("BOOLEAN", {}, "yes", E.INVALID),
        ("DATE", {"max": "2024-01-01"}, "2024-01-02", E.TOO_LARGE),
        ("DATETIME", {}, "2024-05-01T09:30:00", E.INVALID),
        ("EMAIL", {}, "nope", E.INVALID_EMAIL),
        ("PHONE", {}, "138 0013 8000", E.INVALID_PHONE),
        ("URL", {}, "mailto:a@b.c", E.INVALID_URL),
        ("SELECT", {"options": TIERS}, "PLATINUM", E.UNKNOWN_OPTION),
        ("MULTI_SELECT", {"options": TIERS}, "GOLD", E.INVALID),
    ],
)
def test_invalid_default_is_refused(
    type_name: str, settings: dict[str, Any], default: Any, code: UserErrorCode
) -> None:
    path, got_code, message = config_refusal(type_name, **settings, default=default)
    assert (path, got_code) == (["input", "default"], code)
    assert message.startswith("default: ")


def test_blank_text_default_is_no_default() -> None:
    assert build_config(draft("TEXT"), {"default": "   "}) == {}


def test_existing_default_is_kept_and_rechecked() -> None:
    current = configured("INTEGER", max=100, default=50)
    assert build_config(current, {"min": 10}) == {"max": 100, "min": 10, "default": 50}
    with pytest.raises(Refused) as caught:
        build_config(current, {"max": 40})
    assert [(p.path, p.code) for p in caught.value.problems] == [(["input", "default"], E.TOO_LARGE)]
    assert build_config(current, {"max": 40, "default": 40}) == {"max": 40, "default": 40}


def test_build_config_does_not_modify_the_definition() -> None:
    current = configured("INTEGER", min=0, default=5)
    before = dict(current.config)
    build_config(current, {"min": 1, "default": 6})
    assert current.config == before


# --- filter operands ------------------------------------------------------------------------------------


def test_filter_operands_are_canonicalised_but_not_bound_by_constraints() -> None:
    # Constraints can be tightened after values were stored; such values must stay findable.
    integer = configured("INTEGER", max=100)
    assert field_type("INTEGER").to_filter_storage(500, integer) == 500
    text = configured("TEXT", maxLength=3, regex="[a-z]+")
    assert field_type("TEXT").to_filter_storage("  LONGER ", text) == "LONGER"
    email = configured("EMAIL")
    assert field_type("EMAIL").to_filter_storage("A@EXAMPLE.COM", email) == "A@example.com"
    decimal_field = configured("DECIMAL", scale=1)
    assert field_type("DECIMAL").to_filter_storage(decimal.Decimal("1.250"), decimal_field) == "1.25"


@pytest.mark.parametrize(
    ("type_name", "operand"),
    [("EMAIL", "not an email"), ("PHONE", "12"), ("DATE", "2024-02-30"), ("INTEGER", 2**40)],
)
def test_filter_operand_of_impossible_form_is_bad_input(type_name: str, operand: Any) -> None:
    with pytest.raises(BadInput, match="filter on field"):
        field_type(type_name).to_filter_storage(operand, configured(type_name))


def test_decimal_range_operand_must_fit_postgresql_numeric() -> None:
    ftype = field_type("DECIMAL")
    assert ftype.filter_value(decimal.Decimal("10.50")) == decimal.Decimal("10.5")
    with pytest.raises(BadInput, match="decimal filter operand"):
        ftype.filter_value(decimal.Decimal("1E+1000000"))
    with pytest.raises(BadInput):
        ftype.filter_value(decimal.Decimal("NaN"))
