"""
``commerce_routes``: the map printed in each format (Mermaid by default), or written to a file, and a
path it cannot write refused in a sentence.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commerce_plugin.operator import routing
from tests.operator.commands import run
from tests.operator.route_drawings import node_titles


@pytest.mark.parametrize(
    "fmt, opening",
    [("svg", '<svg xmlns="http://www.w3.org/2000/svg"'), ("dot", "digraph"), ("mermaid", "flowchart LR")],
)
def test_commerce_routes_prints_each_format(fmt, opening, capsys):
    call_command("commerce_routes", "--format", fmt)

    out = capsys.readouterr().out
    assert out.startswith(opening)
    assert "org.openedx.commerce.order.placed.v1" in out
    assert "commerce_plugin.core.handlers.refund_unenrolled_seat" in out


def test_commerce_routes_writes_the_svg_to_a_file(tmp_path, capsys):
    target = tmp_path / "routes.svg"

    call_command("commerce_routes", "--format", "svg", "--output", str(target))

    assert capsys.readouterr().out == ""
    assert "commerce_plugin.tasks.fulfill_line" in node_titles(target.read_text(encoding="utf-8"))


def test_commerce_routes_to_a_path_it_cannot_write_says_so_without_a_traceback(tmp_path):
    target = tmp_path / "no-such-folder" / "routes.svg"

    with pytest.raises(CommandError, match=r"Cannot write the routing map to .*no-such-folder/routes\.svg"):
        call_command("commerce_routes", "--output", str(target))


def test_the_default_format_is_still_mermaid(capsys):
    call_command("commerce_routes")

    assert capsys.readouterr().out == routing.mermaid()


def test_routes_command_prints_the_mermaid_map(db):
    out, _ = run("commerce_routes", "--format", "mermaid")
    assert out.startswith("flowchart LR")
    assert "org.openedx.commerce.order.placed.v1" in out
    assert "commerce_plugin.tasks.fulfill_line" in out
