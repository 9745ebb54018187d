"""GDAL settings: applied once per process, user values win, single-threaded in forked children."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import rasterio
from rasterio.env import get_gdal_config

from eoforge.io import GDAL_SETTINGS, configure_gdal, gdal_env
from eoforge.io.gdal_env import gdal_threads, in_forked_child


def _python(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if k not in GDAL_SETTINGS}
    full_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_settings_reach_gdal_in_a_fresh_process() -> None:
    out = _python(
        "from eoforge.io import configure_gdal; from rasterio.env import get_gdal_config as get\n"
        "configure_gdal()\n"
        "print(get('GDAL_DISABLE_READDIR_ON_OPEN'), get('GDAL_NUM_THREADS'))"
    )
    assert out == "TRUE ALL_CPUS"


def test_user_environment_wins() -> None:
    out = _python(
        "import os; from eoforge.io import configure_gdal; configure_gdal()\n"
        "print(os.environ['GDAL_CACHEMAX'], os.environ['GDAL_NUM_THREADS'])",
        GDAL_CACHEMAX="77",
        GDAL_NUM_THREADS="2",
    )
    assert out == "77 2"


def test_configure_is_idempotent_and_in_this_process() -> None:
    configure_gdal()
    configure_gdal()
    for key in GDAL_SETTINGS:
        assert key in os.environ
    assert get_gdal_config("GDAL_DISABLE_READDIR_ON_OPEN") is not None


def test_gdal_env_is_a_rasterio_env() -> None:
    env = gdal_env(GDAL_HTTP_TIMEOUT="5")
    assert isinstance(env, rasterio.Env)
    assert env.options["GDAL_HTTP_TIMEOUT"] == "5"
    assert "GDAL_CACHEMAX" not in env.options
    with env:
        assert str(get_gdal_config("GDAL_HTTP_TIMEOUT")) == "5"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_decodes_single_threaded() -> None:
    assert not in_forked_child()
    with gdal_env(GDAL_NUM_THREADS="ALL_CPUS"):  # leaves the option in GDAL's config on exit
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read)
        configure_gdal()
        gdal_value = get_gdal_config("GDAL_NUM_THREADS")
        os.write(write, f"{in_forked_child()} {gdal_threads()} {gdal_value}".encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "True 1 1"
    assert gdal_threads() == os.environ["GDAL_NUM_THREADS"] != ""
