"""`[keys] pkcs11_key_label` (the KEK on a PKCS#11 token) is one of three alternatives and needs
a token library: a configuration naming two, or no library, is refused at start with why."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, config_from_dict


def test_the_token_kek_is_an_alternative_to_the_file_and_the_variable():
    for other in ({"kek_file": "/k/data-kek.key"}, {"kek_env": "FAXGATE_KEK"}):
        with pytest.raises(ConfigError, match="alternatives"):
            config_from_dict({"keys": {"pkcs11_key_label": "kek", "pkcs11_module": "/lib/p11.so", **other}}, "t")


def test_the_token_kek_needs_a_module_from_keys_or_records():
    with pytest.raises(ConfigError, match="needs pkcs11_module"):
        config_from_dict({"keys": {"pkcs11_key_label": "kek"}}, "t")
    config = config_from_dict({"keys": {"pkcs11_key_label": "kek"},
                               "records": {"pkcs11_module": "/lib/p11.so", "pkcs11_key_label": "signing"}}, "t")
    assert config.keys.pkcs11_key_label == "kek"
