"""Rating channels, with their GB/T 39046-2020 codes both ways.

Interfaces in the field disagree on codes 6 and 7 (some swap hotline and SMS), so every mapping is
explicit here and nothing is derived from declaration order."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    PC = "pc"  # PC web
    MOBILE = "mobile"  # app, mini-program
    QRCODE = "qrcode"
    HALL_PAD = "hall_pad"  # window rating tablet (评价器)
    HALL_TERMINAL = "hall_terminal"  # kiosk or other hall device
    PHONE = "phone"  # hotline revisit
    SMS = "sms"

    @property
    def group(self) -> str | None:
        """Which sub-score dimensions apply (province.SubScoreDimensions): "on_site" for the hall's
        devices and the window's QR code, "online" for the web and apps; None for the hotline and SMS,
        which ask for a level only."""
        return _GROUPS.get(self)

    @property
    def national_code(self) -> int:
        return _NATIONAL_CODES[self]

    @classmethod
    def from_national_code(cls, code: int) -> Channel:
        try:
            return _BY_NATIONAL_CODE[code]
        except KeyError:
            raise ValueError(f"unknown GB/T 39046 channel code {code!r}") from None


_NATIONAL_CODES = {
    Channel.PC: 1,
    Channel.MOBILE: 2,
    Channel.QRCODE: 3,
    Channel.HALL_PAD: 4,
    Channel.HALL_TERMINAL: 5,
    Channel.PHONE: 6,
    Channel.SMS: 7,
}
_GROUPS = {
    Channel.HALL_PAD: "on_site",
    Channel.HALL_TERMINAL: "on_site",
    Channel.QRCODE: "on_site",
    Channel.PC: "online",
    Channel.MOBILE: "online",
}
_BY_NATIONAL_CODE = {code: channel for channel, code in _NATIONAL_CODES.items()}
