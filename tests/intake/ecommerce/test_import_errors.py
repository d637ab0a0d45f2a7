"""
What goes wrong while importing, as the operator sees it: wrong credentials, ecommerce unreachable or
refusing, a 429 and 5xx answers (waited out as asked), a page that stays broken (the run stops,
names the page, and a second run from there finishes), an interruption, an unreadable order, and
credentials that never show, whatever happens.
"""

import logging
import socket

import pytest

from commerce_plugin.intake import ecommerce_orders
from commerce_plugin.models import Order, Store
from tests.factories import StoreFactory
from tests.intake.ecommerce.fake_ecommerce import CLIENT_SECRET, jwt_for, order
from tests.intake.ecommerce.importing import run, run_as_operator

pytestmark = pytest.mark.django_db(transaction=True)


def numbered(count):
    """``count`` orders, newest (highest number) first as ecommerce lists them."""
    return [order(f"EDX-{n}") for n in range(count, 0, -1)]


def nothing_written():
    return not Store.objects.filter(slug="ecommerce").exists() and not Order.objects.exists()


def one_line_error(status, err):
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: ")
    return lines[0]


def test_wrong_client_credentials_stop_with_one_line_and_write_nothing(ecommerce, lms, capsys, monkeypatch):
    ecommerce.orders = numbered(2)
    monkeypatch.setenv("ECOMMERCE_CLIENT_SECRET", "not-the-secret-0123456789")

    status, out, err = run_as_operator(capsys)

    error = one_line_error(status, err)
    assert "The LMS refused the client credentials (HTTP 401 invalid_client)" in error
    assert "ECOMMERCE_CLIENT_SECRET" in error and "not-the-secret" not in out + err
    assert ecommerce.pages_read() == [] and nothing_written()


def test_no_credentials_at_all_say_which_variables_to_set(ecommerce, lms, capsys, monkeypatch):
    monkeypatch.delenv("ECOMMERCE_CLIENT_SECRET")

    status, _, err = run_as_operator(capsys)

    assert "set ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET" in one_line_error(status, err)
    assert ecommerce.requests == [] and nothing_written()


def test_an_unreachable_ecommerce_stops_with_one_line_and_writes_nothing(ecommerce, lms, capsys, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("ECOMMERCE_API_URL", nobody)

    status, _, err = run_as_operator(capsys)

    error = one_line_error(status, err)
    assert f"ecommerce at {nobody} could not be reached" in error and "Connection refused" in error
    assert error.endswith("Connection refused. Nothing was written.")
    assert nothing_written()


def test_plain_http_to_another_machine_is_refused_before_anything_is_sent(ecommerce, lms, capsys):
    status, _, err = run_as_operator(capsys, "--api-url", "http://ecommerce.example.com")

    assert "must use HTTPS" in one_line_error(status, err)
    assert ecommerce.requests == [] and nothing_written()


def test_a_token_of_a_user_who_is_not_staff_is_refused_before_any_page(ecommerce, lms, capsys):
    ecommerce.orders = numbered(2)
    ecommerce.worker_is_staff = False  # ecommerce would list this user's own orders only: none

    status, _, err = run_as_operator(capsys)

    error = one_line_error(status, err)
    assert "The token's user (ecommerce_worker) is not staff" in error
    assert ecommerce.pages_read() == [] and nothing_written()


def test_a_jwt_ecommerce_refuses_stops_with_one_line(ecommerce, lms, capsys, monkeypatch):
    monkeypatch.setenv("ECOMMERCE_JWT", jwt_for("ecommerce_worker"))  # not one the fake (ecommerce) trusts

    status, _, err = run_as_operator(capsys)

    assert "ecommerce refused the token (HTTP 401" in one_line_error(status, err)
    assert nothing_written()


def test_a_service_users_jwt_is_used_as_it_is(ecommerce, lms, monkeypatch):
    token = jwt_for("ecommerce_worker")
    ecommerce.issued[token] = ("ecommerce_worker", True)
    monkeypatch.setenv("ECOMMERCE_JWT", token)
    ecommerce.orders = numbered(2)

    run()

    assert [r["method"] for r in ecommerce.requests] == ["GET"]  # no token asked for
    assert ecommerce.requests[0]["authorization"] == f"JWT {token}"
    assert Order.objects.count() == 2


def test_a_429_is_waited_out_as_retry_after_asks_then_the_import_goes_on(ecommerce, lms, waits):
    ecommerce.orders = numbered(3)
    ecommerce.fail(429, retry_after="2.5")

    out, _ = run()

    assert waits == [2.5]
    assert ecommerce.pages_read() == [1, 1]
    assert "read 3 orders: 3 imported" in out


def test_5xx_answers_are_retried_with_backoff_then_the_import_goes_on(ecommerce, lms, waits, settings):
    ecommerce.orders = numbered(3)
    ecommerce.fail(502)
    ecommerce.fail(503)
    backoff = settings.COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS = 0.05

    out, _ = run()

    assert ecommerce.pages_read() == [1, 1, 1]
    # urllib3 retries the first failure at once, then waits backoff × 2 plus up to one backoff of jitter.
    (second,) = waits
    assert 2 * backoff <= second < 3 * backoff
    assert "read 3 orders: 3 imported" in out


def test_a_page_that_stays_broken_stops_the_run_and_a_run_from_that_page_finishes(ecommerce, lms, capsys):
    ecommerce.orders = numbered(7)
    ecommerce.broken_page = (2, 500)

    status, out, err = run_as_operator(capsys, "--page-size", "3")

    error = one_line_error(status, err)
    assert "ecommerce at http://127.0.0.1" in error and "kept failing (too many 500 error responses)" in error
    assert "Stopped on page 2: run again with --start-page 2 to go on" in error
    assert "read 3 orders: 3 imported" in out
    assert sorted(Order.objects.values_list("order_number", flat=True)) == ["EDX-5", "EDX-6", "EDX-7"]

    ecommerce.broken_page = None
    ecommerce.orders.insert(0, order("EDX-8"))  # sold meanwhile: every older order moves down one place
    status, out, _ = run_as_operator(capsys, "--page-size", "3", "--start-page", "2")

    assert status == 0
    assert "read 5 orders: 4 imported, 1 already here" in out  # EDX-5 is read again; none is skipped
    assert Order.objects.count() == 7 and not Order.objects.filter(order_number="EDX-8").exists()

    status, out, _ = run_as_operator(capsys, "--page-size", "3")  # the final run, from the start
    assert "read 8 orders: 1 imported, 7 already here" in out
    assert Order.objects.count() == 8


def test_an_interrupted_run_leaves_no_order_half_stored_and_names_the_page(ecommerce, lms, capsys, monkeypatch):
    ecommerce.orders = numbered(5)
    store = ecommerce_orders.store
    stored = []

    def interrupted(store_row, imported, payment_reference=""):
        if len(stored) == 3:  # Ctrl-C while the fourth order is being written
            Order.objects.create(store=store_row, order_number=imported.number, fingerprint="-")
            raise KeyboardInterrupt
        stored.append(imported.number)
        return store(store_row, imported, payment_reference)

    monkeypatch.setattr(ecommerce_orders, "store", interrupted)
    status, _, err = run_as_operator(capsys, "--page-size", "2")

    assert "Interrupted. Stopped on page 2: run again with --start-page 2" in one_line_error(status, err)
    assert sorted(Order.objects.values_list("order_number", flat=True)) == ["EDX-3", "EDX-4", "EDX-5"]
    assert all(order.lines.count() == 1 for order in Order.objects.all())

    monkeypatch.setattr(ecommerce_orders, "store", store)
    status, out, _ = run_as_operator(capsys, "--page-size", "2", "--start-page", "2")
    assert status == 0 and "read 3 orders: 2 imported, 1 already here" in out
    assert Order.objects.count() == 5


def test_an_order_not_in_ecommerces_shape_is_named_and_the_others_come_across(ecommerce, lms, capsys):
    lineless = order("EDX-1")
    lineless["lines"] = []
    ecommerce.orders = [order("EDX-3"), order("EDX-2", date_placed="yesterday"), lineless]

    status, out, err = run_as_operator(capsys)

    assert "2 orders could not be read (listed above)" in one_line_error(status, err)
    assert "could not read order EDX-2: date_placed 'yesterday' is not a date" in out
    assert "could not read order EDX-1: no lines" in out
    assert list(Order.objects.values_list("order_number", flat=True)) == ["EDX-3"]


def test_a_store_that_sells_is_never_where_orders_are_imported(ecommerce, lms, capsys):
    StoreFactory(slug="shop", kind="stripe")

    status, _, err = run_as_operator(capsys, "--store", "shop")

    assert "Store 'shop' already sells (stripe" in one_line_error(status, err)
    assert ecommerce.requests == []


def test_a_token_that_expires_while_reading_is_renewed_once(ecommerce, lms):
    ecommerce.orders = numbered(4)
    original, expired = ecommerce._orders, []

    def expiring(query, authorization, host):
        if query.get("page") == "2" and not expired:
            expired.extend(ecommerce.issued)
            ecommerce.issued.clear()  # the first token expired
        return original(query, authorization, host)

    ecommerce._orders = expiring
    out, _ = run("--page-size", "2")

    assert [r["path"] for r in ecommerce.requests].count("/oauth2/access_token") == 2
    assert ecommerce.pages_read() == [1, 2, 2]
    assert "read 4 orders: 4 imported" in out


def test_credentials_and_tokens_never_show_in_output_or_logs(ecommerce, lms, capsys, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    ecommerce.orders = numbered(3)
    ecommerce.fail(503)
    ecommerce.broken_page = (2, 502)

    status, out, err = run_as_operator(capsys, "--page-size", "2", "-v", "3")
    monkeypatch.setenv("ECOMMERCE_CLIENT_SECRET", "wrong-secret-0123456789")
    _, more_out, more_err = run_as_operator(capsys)

    assert status == 1 and ecommerce.issued
    shown = out + err + more_out + more_err + caplog.text
    for secret in (CLIENT_SECRET, "wrong-secret-0123456789", *ecommerce.issued):
        assert secret not in shown
    assert "ada@example.com" not in caplog.text
