"""All field types by name. Adding a type: write its module, then list it here."""

from __future__ import annotations

from rapport.customfields.types.base import FieldType
from rapport.customfields.types.boolean import BooleanType
from rapport.customfields.types.date import DateType
from rapport.customfields.types.datetime import DateTimeType
from rapport.customfields.types.decimal import DecimalType
from rapport.customfields.types.email import EmailType
from rapport.customfields.types.integer import IntegerType
from rapport.customfields.types.json import JsonType
from rapport.customfields.types.long_text import LongTextType
from rapport.customfields.types.money import MoneyType
from rapport.customfields.types.multi_select import MultiSelectType
from rapport.customfields.types.percent import PercentType
from rapport.customfields.types.phone import PhoneType
from rapport.customfields.types.rating import RatingType
from rapport.customfields.types.reference import ReferenceType
from rapport.customfields.types.select import SelectType
from rapport.customfields.types.text import TextType
from rapport.customfields.types.url import UrlType

FIELD_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        TextType(),
        IntegerType(),
        DecimalType(),
        BooleanType(),
        DateType(),
        DateTimeType(),
        EmailType(),
        PhoneType(),
        UrlType(),
        SelectType(),
        MultiSelectType(),
        LongTextType(),
        MoneyType(),
        PercentType(),
        RatingType(),
        ReferenceType(),
        JsonType(),
    )
}


def field_type(name: str) -> FieldType:
    return FIELD_TYPES[name]
