"""Cell styles: a validated, immutable description of fonts, colours, alignment,
borders and number formats, turned into Feishu's ``style`` object (Feishu Sheets docs).

    header = CellStyle(bold=True, back_color="#1f4e79", fore_color="#ffffff",
                       h_align="center", border=BorderType.FULL_BORDER)
    money = CellStyle().with_number_format(NumberFormat.THOUSANDS_2)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from lark_async.core.errors import InvalidParameter

MIN_FONT_SIZE = 9
MAX_FONT_SIZE = 36
_HEX = re.compile(r"^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z")


class HAlign(IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class VAlign(IntEnum):
    TOP = 0
    MIDDLE = 1
    BOTTOM = 2


class BorderType(StrEnum):
    FULL_BORDER = "FULL_BORDER"
    OUTER_BORDER = "OUTER_BORDER"
    INNER_BORDER = "INNER_BORDER"
    NO_BORDER = "NO_BORDER"
    LEFT_BORDER = "LEFT_BORDER"
    RIGHT_BORDER = "RIGHT_BORDER"
    TOP_BORDER = "TOP_BORDER"
    BOTTOM_BORDER = "BOTTOM_BORDER"

    @property
    def splittable(self) -> bool:
        """Whether drawing it block by block gives the same lines as drawing it once.

        Outer/inner/side borders depend on the edges of the whole range, so a
        range carrying one of them must go in a single request.
        """
        return self in (BorderType.FULL_BORDER, BorderType.NO_BORDER)


class NumberFormat(StrEnum):
    """Common ``formatter`` strings; any other Excel-style format string works too."""

    GENERAL = "General"
    TEXT = "@"
    INTEGER = "0"
    DECIMAL_2 = "0.00"
    THOUSANDS = "#,##0"
    THOUSANDS_2 = "#,##0.00"
    PERCENT = "0%"
    PERCENT_2 = "0.00%"
    DATE = "yyyy/MM/dd"
    DATETIME = "yyyy/MM/dd HH:mm:ss"
    TIME = "HH:mm:ss"


def _color(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    m = _HEX.match(value) if isinstance(value, str) else None
    if not m:
        raise InvalidParameter(
            f"{name} must be a hex colour such as '#1f4e79', got {value!r}",
            hint=f"{name}: '#rrggbb' or '#rgb' (hex digits)",
        )
    digits = m.group(1).lower()
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return "#" + digits


def _enum(value: Any, enum: type[IntEnum], name: str) -> Any:
    if value is None or isinstance(value, enum):
        return value
    if isinstance(value, str) and value.upper() in enum.__members__:
        return enum[value.upper()]
    choices = ", ".join(m.lower() for m in enum.__members__)
    raise InvalidParameter(
        f"{name} must be one of {choices}, got {value!r}",
        hint=f"{name}: {enum.__name__}.{next(iter(enum.__members__))} or its lower-case name",
    )


def _flag(value: Any, name: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidParameter(
            f"{name} must be True, False or None, got {value!r}", hint=f"{name}: a bool"
        )


@dataclass(frozen=True, slots=True)
class CellStyle:
    """What to set on a range; ``None`` leaves that property as it is.

    ``h_align``/``v_align`` take the enums or their names (``"center"``).
    Colours are hex (``"#1f4e79"``, ``"#fff"``). ``font_size`` is in points
    (9–36). ``clean=True`` clears every format of the range and cannot be
    combined with other settings.
    """

    bold: bool | None = None
    italic: bool | None = None
    font_size: int | None = None
    underline: bool | None = None
    strikethrough: bool | None = None
    fore_color: str | None = None
    back_color: str | None = None
    h_align: HAlign | str | None = None
    v_align: VAlign | str | None = None
    border: BorderType | str | None = None
    border_color: str | None = None
    number_format: NumberFormat | str | None = None
    clean: bool = False

    def __post_init__(self) -> None:
        for flag in ("bold", "italic", "underline", "strikethrough"):
            _flag(getattr(self, flag), flag)
        if not isinstance(self.clean, bool):
            raise InvalidParameter(f"clean must be a bool, got {self.clean!r}", hint="clean")
        size = self.font_size
        if size is not None and (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not MIN_FONT_SIZE <= size <= MAX_FONT_SIZE
        ):
            raise InvalidParameter(
                f"font_size must be an int in {MIN_FONT_SIZE}..{MAX_FONT_SIZE}, got {size!r}",
                hint=f"font_size: points, {MIN_FONT_SIZE} to {MAX_FONT_SIZE}",
            )
        set_ = object.__setattr__  # frozen: normalise in place once, here
        set_(self, "fore_color", _color(self.fore_color, "fore_color"))
        set_(self, "back_color", _color(self.back_color, "back_color"))
        set_(self, "border_color", _color(self.border_color, "border_color"))
        set_(self, "h_align", _enum(self.h_align, HAlign, "h_align"))
        set_(self, "v_align", _enum(self.v_align, VAlign, "v_align"))
        if self.border is not None and not isinstance(self.border, BorderType):
            if (
                not isinstance(self.border, str)
                or self.border.upper() not in BorderType.__members__
            ):
                raise InvalidParameter(
                    f"border must be a BorderType, got {self.border!r}",
                    hint="border: " + ", ".join(BorderType.__members__),
                )
            set_(self, "border", BorderType[self.border.upper()])
        if self.border_color is not None and self.border is None:
            raise InvalidParameter(
                "border_color needs border", hint="border: e.g. BorderType.FULL_BORDER"
            )
        fmt = self.number_format
        if fmt is not None and (
            not isinstance(fmt, str) or not fmt.strip() or not fmt.isprintable()
        ):
            raise InvalidParameter(
                f"number_format must be a non-empty format string, got {fmt!r}",
                hint="number_format: e.g. '#,##0.00', '0%', 'yyyy/MM/dd' (see NumberFormat)",
            )
        if self.clean and self._settings():
            raise InvalidParameter(
                "clean=True clears every format and cannot be combined with other settings",
                hint="clean: send CellStyle(clean=True) first, then the new style",
            )

    def _settings(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "clean" and getattr(self, f.name) is not None
        }

    @property
    def is_empty(self) -> bool:
        return not self.clean and not self._settings()

    # -- fluent helpers (each returns a new, re-validated style) ---------
    def with_font(
        self, *, bold: bool | None = None, italic: bool | None = None, size: int | None = None
    ) -> CellStyle:
        changes: dict[str, Any] = {"bold": bold, "italic": italic, "font_size": size}
        return self._with(changes)

    def with_decoration(
        self, *, underline: bool | None = None, strikethrough: bool | None = None
    ) -> CellStyle:
        return self._with({"underline": underline, "strikethrough": strikethrough})

    def with_colors(self, *, fore: str | None = None, back: str | None = None) -> CellStyle:
        return self._with({"fore_color": fore, "back_color": back})

    def with_alignment(
        self, *, horizontal: HAlign | str | None = None, vertical: VAlign | str | None = None
    ) -> CellStyle:
        horizontal = _enum(horizontal, HAlign, "horizontal")
        vertical = _enum(vertical, VAlign, "vertical")
        return self._with({"h_align": horizontal, "v_align": vertical})

    def with_border(self, border: BorderType | str, *, color: str | None = None) -> CellStyle:
        return self._with({"border": border, "border_color": color})

    def with_number_format(self, number_format: NumberFormat | str) -> CellStyle:
        return self._with({"number_format": number_format})

    def _with(self, changes: dict[str, Any]) -> CellStyle:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    # -- wire form ------------------------------------------------------
    def to_api(self) -> dict[str, Any]:
        """The ``style`` object Feishu takes; InvalidParameter if it sets nothing."""
        if self.is_empty:
            raise InvalidParameter(
                "the style sets nothing", hint="style: set at least one property, or clean=True"
            )
        if self.clean:
            return {"clean": True}
        out: dict[str, Any] = {}
        font: dict[str, Any] = {}
        if self.bold is not None:
            font["bold"] = self.bold
        if self.italic is not None:
            font["italic"] = self.italic
        if self.font_size is not None:
            font["fontSize"] = f"{self.font_size}pt/1.5"
        if font:
            out["font"] = font
        if self.underline is not None or self.strikethrough is not None:
            out["textDecoration"] = (1 if self.underline else 0) + (2 if self.strikethrough else 0)
        if self.number_format is not None:
            out["formatter"] = str(self.number_format)
        if self.h_align is not None:
            out["hAlign"] = int(self.h_align)
        if self.v_align is not None:
            out["vAlign"] = int(self.v_align)
        if self.fore_color is not None:
            out["foreColor"] = self.fore_color
        if self.back_color is not None:
            out["backColor"] = self.back_color
        if self.border is not None:
            out["borderType"] = str(self.border)
        if self.border_color is not None:
            out["borderColor"] = self.border_color
        return out
