"""The monitor dashboard in a real browser: the charts render (screenshot)."""

import pytest

from casework.management.demo_history import build_history
from tests.browser import ARTIFACTS, chromium, live_asgi_server, log_in, usable_passwords

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_dashboard_charts_render(demo, settings):
    build_history(cases=30, days=200)
    usable_passwords(settings, [demo["users"]["swv_director"]], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 1400}).new_page()
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        log_in(page, base_url, demo["users"]["swv_director"], demo["password"])
        page.goto(f"{base_url}/monitor/")
        for chart in ("trend", "durations", "compliance", "returns"):
            page.wait_for_function(
                "() => { const c = document.getElementById('chart-" + chart + "');"
                " return window.Chart && window.Chart.getChart(c) && c.width > 0; }", timeout=20000)
        drawn = page.evaluate("""() => ['trend', 'durations', 'compliance', 'returns'].map(name => {
            const canvas = document.getElementById('chart-' + name);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
            return inked;
        })""")
        page.screenshot(path=str(ARTIFACTS / "monitor-dashboard.png"), full_page=True)
        assert all(count > 500 for count in drawn), drawn  # something was painted on every canvas
        assert not [e for e in errors if "Content Security Policy" in e or "Chart" in e], errors
