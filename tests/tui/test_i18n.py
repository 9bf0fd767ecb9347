import pytest

from tui import i18n
from tui.i18n import LANGUAGES, catalog, placeholders, t


def test_every_language_has_every_key() -> None:
    """said.* keys excepted: their English is in the code (tests/tui/test_said.py)."""
    en = catalog("en")
    for lang in LANGUAGES:
        missing = set(en) - set(catalog(lang))
        extra = {k for k in set(catalog(lang)) - set(en) if not k.startswith("said.")}
        assert not missing and not extra, (lang, sorted(missing), sorted(extra))


def test_placeholders_match_across_languages() -> None:
    en = catalog("en")
    for lang in LANGUAGES:
        other = catalog(lang)
        wrong = [k for k in en if placeholders(en[k]) != placeholders(other[k])]
        assert not wrong, (lang, wrong)


def test_chinese_is_actually_translated() -> None:
    zh = catalog("zh-CN")
    han = [k for k, v in zh.items() if any("\u4e00" <= ch <= "\u9fff" for ch in v)]
    # Brand names and symbols stay as they are; nearly everything else is Chinese.
    assert len(han) >= 0.8 * len(zh)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_language("xx")


def test_switching_language_changes_texts() -> None:
    try:
        i18n.set_language("zh-CN")
        assert t("nav.assets") == "资产"
        i18n.set_language("en")
        assert t("nav.assets") == "Assets"
    finally:
        i18n.set_language("en")


def test_counts_of_one_read_in_the_singular() -> None:
    from tui.i18n import tn

    try:
        i18n.set_language("en")
        assert tn("history.synced_no_block", 1, rows=1, flagged=0) == "1 transaction · 0 flagged"
        assert tn("history.synced_no_block", 2, rows=2, flagged=0) == "2 transactions · 0 flagged"
        assert tn("support.promise.live", 1, minutes=1, low=1, high=2, hours=1) == (
            "usually answers within 1 minute"
        )
        i18n.set_language("zh-CN")
        assert tn("history.synced_no_block", 1, rows=1, flagged=0) == "1 笔交易 · 0 笔需注意"
    finally:
        i18n.set_language("en")


def test_a_sentence_filled_in_before_a_full_stop_does_not_double_it() -> None:
    from chains.errors import NodeUnreachable
    from tui.errors import user_message

    try:
        for lang in ("en", "zh-CN"):
            i18n.set_language(lang)
            reason = user_message(NodeUnreachable("http://127.0.0.1:9"))
            assert reason.endswith(("settings.", "地址。"))
            for key in ("assets.stale", "assets.stale_empty", "history.sync_failed"):
                text = t(key, reason=reason, block=7)
                assert ".." not in text and "。。" not in text, (lang, text)
                assert reason[:-1] in text
        i18n.set_language("en")
        # Only a doubled end goes: text and format specs are kept as they are.
        assert t("cli.os_error", path="/x", reason="No such file") == "cannot use /x: No such file"
    finally:
        i18n.set_language("en")
