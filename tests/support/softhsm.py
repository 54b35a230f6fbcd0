"""One SoftHSM2 token directory for the whole test process: the PKCS#11 module reads its
configuration ($SOFTHSM2_CONF) once per process, so every test module puts its tokens there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_made: list[Path] = []


def available() -> bool:
    return Path(MODULE).exists() and shutil.which("softhsm2-util") is not None


def init_token(label: str, so_pin: str, pin: str) -> Path:
    """A new token labelled `label` in the process's token directory (made at the first call)."""
    if not _made:
        directory = Path(tempfile.mkdtemp(prefix="faxgate-softhsm-"))
        (directory / "tokens").mkdir()
        conf = directory / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
                        "log.level = ERROR\n", encoding="utf-8")
        os.environ["SOFTHSM2_CONF"] = str(conf)  # the gateway and the `faxgate` child processes see it
        _made.append(directory)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin],
                   check=True, capture_output=True, timeout=60)
    loaded = sys.modules.get("pkcs11")
    if loaded is not None and MODULE in loaded._loaded:
        # The module lists its tokens when initialised: once more, to see the new one (the
        # sessions of earlier test modules end here).
        loaded.lib(MODULE).reinitialize()
    return _made[0]
