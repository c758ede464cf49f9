"""The deploy files, checked by the parsers that will read them (no Docker engine or running
systemd is needed): systemd's own unit verifier, Dovecot's config parser, Radicale's config
loader, our settings loader, and the files compose.yaml and the Dockerfile refer to."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from coffeechat.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_systemd_unit_passes_systemds_verifier(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "coffeechat.service").read_text()
    assert "Type=notify" in unit and "DynamicUser=yes" in unit and "NoNewPrivileges=yes" in unit
    # the verifier checks that ExecStart exists: point it at this machine's coffeechat
    exe = shutil.which("coffeechat")
    if exe is None:
        pytest.skip("the coffeechat command is not on PATH")
    local = tmp_path / "coffeechat.service"
    local.write_text(unit.replace("/usr/local/bin/coffeechat", exe))
    done = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    problems = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert done.returncode == 0 and problems == [], problems


def test_the_demo_dovecot_config_parses() -> None:
    doveconf = shutil.which("doveconf") or "/usr/bin/doveconf"
    if not Path(doveconf).exists():
        pytest.skip("doveconf is not installed")
    done = subprocess.run(
        [doveconf, "-n", "-c", str(DEPLOY / "demo" / "dovecot.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def test_the_demo_radicale_config_loads() -> None:
    import radicale.config

    configuration = radicale.config.load([(str(DEPLOY / "demo" / "radicale.conf"), False)])
    assert configuration.get("auth", "type") == "htpasswd"


def test_the_demo_settings_validate() -> None:
    settings = load_settings(DEPLOY / "demo" / "coffeechat.toml")
    assert settings.imap is not None and settings.smtp is not None and settings.caldav is not None


def test_compose_and_dockerfile_refer_to_files_that_exist() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            dockerfile = context / build["dockerfile"]
            assert dockerfile.exists()
            for line in dockerfile.read_text().splitlines():
                copy = re.match(r"COPY\s+(?!--from)(.+)\s+\S+$", line)
                for source in copy[1].split() if copy else []:
                    assert (context / source).exists(), f"{dockerfile.name}: COPY {source}"
    assert set(compose["services"]) >= {"coffeechat", "dovecot", "radicale", "mailcatcher"}
