"""The demo's banner: it is printed to a terminal, and pasted into chats and issues."""

from __future__ import annotations

import pytest

from tanfang.demo import DemoOptions, _banner, mask_password
from tanfang.settings import Settings

TOKEN = "k3Zt9w1Qx-7hTfLr0aVbq2YpNc"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://tanfang:s3cr%40t@db.example:5432/tanfang",
            "postgresql://tanfang:***@db.example:5432/tanfang",
        ),
        ("mqtt://gw:p4ss@broker:1883", "mqtt://gw:***@broker:1883"),
        ("mqtts://gw:p@ss:w0rd@broker:8883", "mqtts://gw:***@broker:8883"),
        (
            "postgresql://tanfang@db/tanfang?sslmode=require&password=s3cret",
            "postgresql://tanfang@db/tanfang?sslmode=require&password=***",
        ),
        (
            "host=db dbname=tanfang password=s3cret user=t",
            "host=db dbname=tanfang password=*** user=t",
        ),
        ("host=db password='s3 cr\\'et' user=t", "host=db password=*** user=t"),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql://postgres:@/postgres?host=/tmp/pg",
        ),
        ("mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:1883"),
        (None, ""),
    ],
)
def test_mask_password_hides_every_form_of_password(url: str | None, shown: str) -> None:
    assert mask_password(url) == shown


def test_the_banner_shows_urls_and_token_but_no_password() -> None:
    settings = Settings(
        mqtt_url="mqtt://gw:broker-pw-1@127.0.0.1:1883",
        database_url="postgresql://tanfang:db-pw-2@127.0.0.1:5432/tanfang",
        admin_token=TOKEN,
        _env_file=None,  # type: ignore[call-arg]
    )
    banner = _banner(settings, DemoOptions())
    assert "broker-pw-1" not in banner
    assert "db-pw-2" not in banner
    assert "postgresql://tanfang:***@127.0.0.1:5432/tanfang" in banner
    assert "mqtt://gw:***@127.0.0.1:1883" in banner
    assert TOKEN in banner, "the demo's admin token is printed on purpose"
