"""Reading the schedule's pages as a person (or a script) would: the table's
headings, rows and cells, each visit's marks, and the list shown on a phone."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    parent: "Node | None" = None

    @property
    def text(self) -> str:
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join(" ".join(parts).split())

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag=None, *, cls=None, attr=None) -> list["Node"]:
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                (tag is None or child.tag == tag)
                and (cls is None or cls in child.classes())
                and (attr is None or attr in child.attrs)
            ):
                found.append(child)
            found += child.find_all(tag, cls=cls, attr=attr)
        return found

    def find(self, tag=None, **kwargs) -> "Node":
        found = self.find_all(tag, **kwargs)
        assert found, f"no {tag} {kwargs} in {self.tag}"
        return found[0]

    def inside(self, cls: str) -> bool:
        node = self.parent
        while node is not None:
            if cls in node.classes():
                return True
            node = node.parent
        return False


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(response) -> Node:
    builder = _Builder()
    builder.feed(response.content.decode())
    return builder.root


@dataclass
class Table:
    """The schedule's table: column headings, and per row its time and cells."""

    headings: list[str]
    rows: list[tuple[str, list[Node]]]

    def cell(self, time: str, column: int) -> Node:
        """The cell a column shows at a time, following rowspans upwards."""
        grid: dict[tuple[int, int], Node] = {}
        for row_index, (_label, cells) in enumerate(self.rows):
            column_index = 0
            for cell in cells:
                while (row_index, column_index) in grid:
                    column_index += 1
                for below in range(int(cell.attrs.get("rowspan", 1))):
                    grid[(row_index + below, column_index)] = cell
                column_index += 1
        times = [label for label, _cells in self.rows]
        return grid[(times.index(time), column)]


def table(page: Node) -> Table:
    found = page.find("table", cls="schedule-table")
    headings = [th.text for th in found.find("thead").find_all("th")][1:]
    rows = []
    for tr in found.find("tbody").find_all("tr"):
        label = tr.find("th").text
        rows.append(
            (label, [td for td in tr.children if not isinstance(td, str) and td.tag == "td"])
        )
    return Table(headings, rows)


def visits(page: Node, where: str = "table") -> dict[str, Node]:
    """The visit elements (data-appointment) in the table, the phone list, or the
    cancelled list, by code."""
    holder = {
        "table": "schedule-scroll",
        "list": "schedule-list",
        "cancelled": "schedule-cancelled",
    }
    return {
        node.attrs["data-appointment"]: node
        for node in page.find_all(attr="data-appointment")
        if node.inside(holder[where])
    }
