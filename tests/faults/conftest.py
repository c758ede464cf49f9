"""Fault tests kill and restart Dovecot: they get a server of their own."""

from __future__ import annotations

import pytest

from servers.dovecot import DovecotServer


@pytest.fixture(scope="module")
def dovecot(killable_dovecot: DovecotServer) -> DovecotServer:
    return killable_dovecot
