"""The front page in a real browser: the smallest proof that the browser tests run."""


def test_front_page_loads_in_chromium_with_its_stylesheet(live_server, page):
    response = page.goto(live_server + "/")
    assert response.status == 200
    assert page.title() == "LeaverGuard"
    rules = page.evaluate("Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0)")
    assert rules > 0
