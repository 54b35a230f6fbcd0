"""A PBX profile that cannot describe a real site is refused in the admins' language first (the
CLI's `sites add/set`, the web page 拠点 and the config file show the message as it is)."""

import pytest

from directory.profile import DidRange, PbxProfile, ProfileError


@pytest.mark.parametrize("settings, japanese", [
    ({"outside_line": "O"}, "外線発信番号"),
    ({"area_code": "3"}, "市外局番"),
    ({"extension_length": 12}, "内線の桁数"),
    ({"did_ranges": (DidRange("8142722"),)}, "ダイヤルイン"),
])
def test_a_profile_that_cannot_be_is_refused_in_japanese_with_the_english_beside(settings, japanese):
    with pytest.raises(ProfileError) as refused:
        PbxProfile(**settings)
    assert str(refused.value).startswith(japanese) and "must" in str(refused.value)
