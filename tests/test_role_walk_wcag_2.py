"""The browser part of the role walk (tests/test_role_walk.py), roles of part 2: every page
they reach meets WCAG 2.1 AA at 1280 and 320 px and reflows at 320 px."""

import pytest

from tests.test_role_walk import ROLE_PARTS, every_page_meets_wcag_at_1280_and_320_px

pytestmark = pytest.mark.real_second_factor


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_of_every_role_meets_wcag_at_1280_and_320_px(demo, api, settings):
    assert ROLE_PARTS[2]
    every_page_meets_wcag_at_1280_and_320_px(demo, api, settings, part=2)
