import pytest

from tui import i18n
from tui.i18n import LANGUAGES, catalog, placeholders, t


def test_every_language_has_every_key() -> None:
    en = catalog("en")
    for lang in LANGUAGES:
        missing = set(en) - set(catalog(lang))
        extra = set(catalog(lang)) - set(en)
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
