"""The site's PBX profile: how the office's exchange line is reached from a device."""

from __future__ import annotations

from dataclasses import dataclass, field


class ProfileError(ValueError):
    """A PBX profile setting that cannot describe a real site."""


@dataclass(frozen=True)
class DidRange:
    """A block of the office's own direct-inward-dial numbers that map onto extensions.

    A number ``prefix + rest`` belongs to the office and is reached in-house as
    ``extension_prefix + rest``.
    """

    prefix: str
    extension_prefix: str = ""


@dataclass(frozen=True)
class PbxProfile:
    outside_line: str = "0"
    area_code: str = "03"
    local_dialing: bool = True
    extension_length: int = 4
    did_ranges: tuple[DidRange, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.outside_line and not self.outside_line.isdigit():
            raise ProfileError(f"外線発信番号は数字か空にしてください: {self.outside_line!r} "
                               f"(outside_line must be digits or empty, not {self.outside_line!r})")
        if self.area_code and not (
            self.area_code.startswith("0") and self.area_code.isdigit() and 2 <= len(self.area_code) <= 5
        ):
            raise ProfileError(
                f"市外局番は先頭の 0 を含めて書いてください（例 03、0466）: {self.area_code!r} "
                f"(area_code must be a Japanese area code with its trunk 0, e.g. '03', '0466', not {self.area_code!r})"
            )
        if not 2 <= self.extension_length <= 8:
            raise ProfileError(f"内線の桁数は 2 から 8 です: {self.extension_length} "
                               f"(extension_length must be between 2 and 8, not {self.extension_length})")
        for did in self.did_ranges:
            if not (did.prefix.startswith("+") and did.prefix[1:].isdigit()):
                raise ProfileError(f"ダイヤルイン番号の範囲は + に続く E.164 の数字で書いてください: {did.prefix!r} "
                                   f"(did_ranges prefix must be E.164 digits after '+', not {did.prefix!r})")
            if did.extension_prefix and not did.extension_prefix.isdigit():
                raise ProfileError(f"ダイヤルイン範囲の内線の頭は数字にしてください: {did.extension_prefix!r} "
                                   f"(did_ranges extension_prefix must be digits, not {did.extension_prefix!r})")

    @property
    def local_number_length(self) -> int:
        """Digits of a local call: area code (without trunk 0) + local number = 9 digits."""
        return 9 - len(self.area_code[1:])
