"""CellStyle: validation, normalisation and the wire form Feishu takes."""

from __future__ import annotations

from typing import Any

import pytest

from lark_async.core.errors import InvalidParameter
from lark_async.sheets import BorderType, CellStyle, HAlign, NumberFormat, VAlign


def test_full_style_wire_form() -> None:
    style = CellStyle(
        bold=True,
        italic=False,
        font_size=12,
        underline=True,
        strikethrough=True,
        fore_color="#FFF",
        back_color="1F4E79",
        h_align="center",
        v_align=VAlign.BOTTOM,
        border="full_border",
        border_color="#000000",
        number_format=NumberFormat.THOUSANDS_2,
    )
    assert style.to_api() == {
        "font": {"bold": True, "italic": False, "fontSize": "12pt/1.5"},
        "textDecoration": 3,
        "formatter": "#,##0.00",
        "hAlign": 1,
        "vAlign": 2,
        "foreColor": "#ffffff",
        "backColor": "#1f4e79",
        "borderType": "FULL_BORDER",
        "borderColor": "#000000",
    }
    assert style.h_align is HAlign.CENTER
    assert style.border is BorderType.FULL_BORDER


@pytest.mark.parametrize(
    ("underline", "strike", "code"),
    [(False, None, 0), (True, None, 1), (None, True, 2), (True, True, 3), (False, False, 0)],
)
def test_text_decoration_codes(underline: bool | None, strike: bool | None, code: int) -> None:
    style = CellStyle(underline=underline, strikethrough=strike)
    assert style.to_api() == {"textDecoration": code}


def test_only_what_is_set_is_sent() -> None:
    assert CellStyle(h_align="right").to_api() == {"hAlign": 2}
    assert CellStyle(number_format="0.0%").to_api() == {"formatter": "0.0%"}
    assert CellStyle(clean=True).to_api() == {"clean": True}


def test_fluent_helpers_return_new_validated_styles() -> None:
    base = CellStyle()
    style = (
        base.with_font(bold=True, size=14)
        .with_colors(back="#eee")
        .with_alignment(horizontal="left", vertical="middle")
        .with_border(BorderType.OUTER_BORDER, color="#123456")
        .with_number_format(NumberFormat.PERCENT)
        .with_decoration(underline=True)
    )
    assert base.is_empty  # unchanged
    assert style.to_api() == {
        "font": {"bold": True, "fontSize": "14pt/1.5"},
        "textDecoration": 1,
        "formatter": "0%",
        "hAlign": 0,
        "vAlign": 1,
        "backColor": "#eeeeee",
        "borderType": "OUTER_BORDER",
        "borderColor": "#123456",
    }
    with pytest.raises(InvalidParameter):
        base.with_colors(fore="red")
    with pytest.raises(InvalidParameter):
        base.with_font(size=40)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"font_size": 8}, "font_size"),
        ({"font_size": 37}, "font_size"),
        ({"font_size": 12.5}, "font_size"),
        ({"font_size": True}, "font_size"),
        ({"fore_color": "red"}, "fore_color"),
        ({"back_color": "#12345"}, "back_color"),
        ({"back_color": "#gggggg"}, "back_color"),
        ({"border_color": "#000"}, "border"),  # colour without a border
        ({"border": "DOTTED", "border_color": "#000"}, "border"),
        ({"h_align": "middle"}, "h_align"),
        ({"v_align": "center"}, "v_align"),
        ({"h_align": 5}, "h_align"),
        ({"bold": "yes"}, "bold"),
        ({"number_format": ""}, "number_format"),
        ({"number_format": "0\n0"}, "number_format"),
        ({"clean": True, "bold": True}, "clean"),
        ({"clean": "yes"}, "clean"),
    ],
)
def test_bad_styles_are_rejected_naming_the_parameter(kwargs: dict[str, Any], names: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        CellStyle(**kwargs)
    assert names in (exc.value.hint or "")


def test_empty_style_cannot_be_sent() -> None:
    with pytest.raises(InvalidParameter) as exc:
        CellStyle().to_api()
    assert "nothing" in str(exc.value)


def test_only_full_and_no_border_split_safely() -> None:
    assert BorderType.FULL_BORDER.splittable
    assert BorderType.NO_BORDER.splittable
    assert not BorderType.OUTER_BORDER.splittable
    assert not BorderType.INNER_BORDER.splittable
    assert not BorderType.TOP_BORDER.splittable
