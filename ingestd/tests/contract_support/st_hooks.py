"""Schemathesis hooks for the contract run (`ingestd/tests/contract.rs`).

The OpenAPI document states every rule the server enforces, but a JSON
Schema pattern or bound cannot state three of them, so they are written in the
field descriptions: a click's stored x is `x - page_left`, which must lie
between 0 and the page width plus the slack (the largest page without a
page size), with its y within the page height plus the slack; a box's stored
x (a click target's or a layout box's) is `x - page_left`, within the largest
page plus the slack either way; and a URL host label in the `xn--` form must be valid
punycode. A positive case that breaks one of these is not a valid event, so
it is left out of the positive run; negative cases are untouched.
"""

import re

import schemathesis

PUNYCODE_LABEL = re.compile(r"(^|[./])xn--", re.IGNORECASE)

MAX_PAGE_DIMENSION = 200_000.0
COORDINATE_SLACK = 10_000.0


def _number(value, default):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _click_fits_its_page(event):
    left = _number(event.get("page_left"), 0.0)
    page = event.get("page")
    # Without a page size, coordinates are bounded by the largest page.
    width = height = MAX_PAGE_DIMENSION
    if isinstance(page, list) and len(page) == 2:
        width, height = (_number(v, MAX_PAGE_DIMENSION) + COORDINATE_SLACK for v in page)
    x = _number(event.get("x"), 0.0) - left
    y = _number(event.get("y"), 0.0)
    if not (0.0 <= x <= width and 0.0 <= y <= height):
        return False
    target = event.get("target")
    box = target.get("box") if isinstance(target, dict) else None
    if isinstance(box, list) and len(box) == 4:
        box_x = _number(box[0], 0.0) - left
        if abs(box_x) > MAX_PAGE_DIMENSION + COORDINATE_SLACK:
            return False
    return True


def _layout_fits_its_page(event):
    left = _number(event.get("page_left"), 0.0)
    boxes = event.get("boxes")
    for item in boxes if isinstance(boxes, list) else []:
        box = item.get("box") if isinstance(item, dict) else None
        if isinstance(box, list) and len(box) == 4:
            if abs(_number(box[0], 0.0) - left) > MAX_PAGE_DIMENSION + COORDINATE_SLACK:
                return False
    return True


@schemathesis.hook
def filter_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return True
    events = [event for event in body["events"] if isinstance(event, dict)]
    if any(_host_has_punycode(event.get("url")) for event in events):
        return False
    return all(_click_fits_its_page(event) for event in events if event.get("type") == "click") and all(
        _layout_fits_its_page(event) for event in events if event.get("type") == "layout"
    )


def _host_has_punycode(url):
    if not isinstance(url, str) or "://" not in url:
        return False
    host = re.split(r"[/?#:]", url.split("://", 1)[1], maxsplit=1)[0]
    return PUNYCODE_LABEL.search("." + host) is not None
