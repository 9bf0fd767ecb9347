from __future__ import annotations

from devices.base import DeviceInfo, SignerKind
from wallet.support import faq
from wallet.support.config import OfficialChannel, OfficialKind, SupportSettings, support_settings
from wallet.support.diagnostics import NetworkHealth, gather
from wallet.support.phishing import LinkKind, find_unofficial

TOPICS = {
    "contact",
    "reply_times",
    "free",
    "never_ask",
    "security",
    "currencies",
    "fees",
    "locked_wrong_password",
    "forgot_password",
    "login_network",
    "login_app_fault",
    "abnormal_tx",
    "compromised",
}


def test_faq_has_every_topic_in_both_languages():
    en, zh = faq.entries("en"), faq.entries("zh-CN")
    assert [e.id for e in en] == [e.id for e in zh]
    assert {e.id for e in en} == TOPICS
    for e in en + zh:
        assert "{" not in e.answer  # every placeholder filled
    forgot = {e.id: e for e in en}["forgot_password"].answer
    assert "recovery phrase" in forgot and "only way" in forgot


def test_faq_search():
    assert [e.id for e in faq.search("2FA", "en")] == ["security"]
    assert "compromised" in [e.id for e in faq.search("revoke", "en")]
    assert "compromised" in [e.id for e in faq.search("撤销 授权", "zh-CN")]
    assert faq.search("no such thing at all", "en") == []
    assert len(faq.search("", "en")) == len(TOPICS)


def test_faq_reply_times_follow_settings():
    s = SupportSettings(live_reply_minutes=7, social_reply_hours=12)
    text = {e.id: e for e in faq.entries("en", s)}["reply_times"].answer
    assert "7 minutes" in text and "12 hours" in text and "1-2 business days" in text


def test_diagnostics_bundle_scrubs_logs():
    secret = "cd" * 32
    d = gather(
        app_version="0.1.0",
        signer=DeviceInfo(kind=SignerKind.TREZOR, model="T", firmware="2.8.1"),
        networks=[
            NetworkHealth(network="eth", healthy=True, detail="block 5"),
            NetworkHealth(network="ltc", healthy=False, detail="NODE_UNREACHABLE"),
        ],
        error_codes=["NODE_UNREACHABLE", "NODE_UNREACHABLE", "WRONG_APP"],
        log_lines=["ok", f"loaded key {secret}"],
        terminal_size=(80, 24),
        environ={"TERM": "xterm-256color", "COLORTERM": "truecolor"},
        os_name="Linux 6.1 (x86_64)",
    )
    text = d.render()
    assert secret not in text and "[REDACTED:hex_key]" in text and d.redactions == 1
    assert "xterm-256color COLORTERM=truecolor (80x24)" in text
    assert "trezor / T / 2.8.1" in text and "ltc DOWN (NODE_UNREACHABLE)" in text
    assert d.error_codes == ("NODE_UNREACHABLE", "WRONG_APP")


def test_unofficial_links_are_flagged():
    s = SupportSettings(
        official_channels=(
            OfficialChannel(
                kind=OfficialKind.WEB, label="Web", address="https://termwallet.example"
            ),
        ),
        support_email="help@termwallet.example",
        social_handle="@termwallet",
    )
    text = (
        "they said to go to https://termwallet-verify.xyz/claim and mail "
        "fix@wallet-help.com, not https://docs.termwallet.example/faq or help@termwallet.example; "
        "also @termwallet and @termwallet_helpdesk, and metamask-sync.io"
    )
    flags = find_unofficial(text, s)
    assert [(f.kind, f.text) for f in flags] == [
        (LinkKind.URL, "https://termwallet-verify.xyz/claim"),
        (LinkKind.EMAIL, "fix@wallet-help.com"),
        (LinkKind.HANDLE, "@termwallet_helpdesk"),
        (LinkKind.URL, "metamask-sync.io"),
    ]


def test_secrets_come_from_env_and_never_show(monkeypatch):
    monkeypatch.setenv("TERMWALLET_SUPPORT__SMTP_PASSWORD", "canary-pw-1")
    s = support_settings(object())
    assert s.smtp_password is not None and s.smtp_password.get_secret_value() == "canary-pw-1"
    assert "canary-pw-1" not in repr(s) and "canary-pw-1" not in str(s.model_dump())
