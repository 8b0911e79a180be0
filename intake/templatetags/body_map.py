"""The body map, drawn as inline SVG: {% load body_map %}.

    {% body_map_input "pain_locations" side_prefix="pain_location_side_"
                      score_prefix="pain_location_score_" title="…" %}
        the map over a form's region fields, for intake/static/intake/body_map.js to
        drive (hidden until it does: without JavaScript the checkboxes are the form);
    {% body_map_picture marks title="…" %}
        a read-only picture of regions (the chart, a session note): no script needed.

`kind` is "pain" (red, the patient's pain) or "treated" (blue, the regions treated).
"""

from django import template

from intake import body_map

register = template.Library()

TEMPLATE = "intake/includes/_body_map.html"


def _context(**values) -> dict:
    return {
        "viewbox": body_map.VIEWBOX,
        "front_trunk": body_map.FRONT_TRUNK,
        "captions": body_map.CAPTIONS,
        **values,
    }


@register.inclusion_tag(TEMPLATE)
def body_map_input(field, *, side_prefix, title, score_prefix="", kind="pain"):
    return _context(
        interactive=True,
        field=field,
        side_prefix=side_prefix,
        score_prefix=score_prefix,
        kind=kind,
        title=title,
        map_id=f"body-map-{field}",
        targets=body_map.drawn(),
    )


@register.inclusion_tag(TEMPLATE)
def body_map_picture(marks, *, title, kind="pain", map_id="body-map"):
    return _context(
        interactive=False,
        kind=kind,
        title=title,
        map_id=map_id,
        targets=body_map.drawn(marks),
    )
