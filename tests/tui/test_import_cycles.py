"""No import circle inside tui/ (issue 21): screens import shared helpers from modules below
them (tui/send_errors.py, tui/swap_text.py, tui/support_text.py, tui/screens/review_base.py),
never from a screen that imports them back. grimp (import-linter's graph) counts every import,
those inside functions too: a lazy import that closes a circle is a circle all the same."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[list[str]]:
    """Each import circle among `package`'s modules once, as the modules around it."""
    graph = grimp.build_graph(package, include_external_packages=False)
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            chain = graph.find_shortest_chain(importer=imported, imported=importer)
            if chain is None:
                continue
            members = frozenset(chain)
            if members not in seen:
                seen.add(members)
                cycles.append([importer, *chain])
    return cycles


def test_tui_has_no_import_cycle() -> None:
    cycles = import_cycles("tui")
    assert not cycles, "import circles in tui/:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_check_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not blind: a two-module circle in a throwaway package is reported."""
    pkg = tmp_path / "circle_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from circle_pkg import b\n")
    (pkg / "b.py").write_text("from circle_pkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("circle_pkg") == [["circle_pkg.a", "circle_pkg.b", "circle_pkg.a"]]
