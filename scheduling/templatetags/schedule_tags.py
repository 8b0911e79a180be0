from django import template

register = template.Library()

VISIT = "scheduling/includes/_visit.html"


@register.simple_tag(takes_context=True)
def schedule_visit(context, visit):
    """scheduling/includes/_visit.html for `visit`, rendered once a page: the table
    and the phone's list show each visit alike, so the second gets the first's HTML
    (kept on the appointment, which the page's query made for this request)."""
    html = getattr(visit, "_schedule_visit_html", None)
    if html is None:
        with context.push(visit=visit):
            html = context.template.engine.get_template(VISIT).render(context)
        visit._schedule_visit_html = html
    return html
