from pathlib import Path
from tests.tui.test_support_screen import *  # noqa
from tests.tui.test_support_screen import _app, _support, _type

async def test_shots(devnet, tmp_path, helpdesk):
    app = _app(devnet, tmp_path, _support(helpdesk.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot); await pilot.press("4"); await settle(pilot)
        Path("/tmp/a_faq.svg").write_text(app.export_screenshot())
        await pilot.press("n"); await settle(pilot)
        await _type(pilot, "Transfer not arrived"); await pilot.press("tab")
        await _type(pilot, "Sent ETH an hour ago. A site https://termwallet-help.xyz offered help.")
        await settle(pilot)
        Path("/tmp/b_form.svg").write_text(app.export_screenshot())
        await pilot.press("ctrl+s"); await settle(pilot)
        Path("/tmp/c_review.svg").write_text(app.export_screenshot())
        await pilot.press("ctrl+s"); await settle(pilot); await pilot.pause(1); await settle(pilot)
        Path("/tmp/d_list.svg").write_text(app.export_screenshot())
        await pilot.press("enter"); await settle(pilot)
        Path("/tmp/e_detail.svg").write_text(app.export_screenshot())
        await pilot.press("f"); await settle(pilot)
        await _type(pilot, "my password: hunter2hunter")
        await pilot.press("ctrl+s"); await settle(pilot)
        Path("/tmp/f_follow.svg").write_text(app.export_screenshot())
