"""Reading a page's forms as a browser would send them back."""

from html.parser import HTMLParser


class PostForms(HTMLParser):
    """The POST forms of a page, in order: (action, {name: [values]}).

    A browser sends every named input (a checkbox or radio only when checked),
    every textarea, and the selected options of each select (the first option of
    a single select when none is marked).
    """

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._multiple = False
        self._options: list[tuple[str, bool]] = []
        self.feed(page)
        self.close()

    def _add(self, name, value):
        self._form.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append((attrs.get("action") or "", self._form))
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self._add(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
            self._multiple = "multiple" in attrs
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._multiple:
                chosen = [value for value, _ in self._options[:1]]
            self._form.setdefault(self._select, [])
            for value in chosen:
                self._add(self._select, value)
            self._select = None


def form_values(page: str, action: str = "") -> dict[str, list[str]]:
    """What the browser sends from the page's first POST form to `action` ("" = itself),
    without the CSRF token (the test client adds none and needs none)."""
    for form_action, values in PostForms(page).forms:
        if form_action == action:
            values.pop("csrfmiddlewaretoken", None)
            return values
    raise AssertionError(f"no form posting to {action or 'the page itself'}")
