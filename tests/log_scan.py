"""
A pytest plugin (registered in ``tests/conftest.py``) that keeps every log record of the session, at
DEBUG and whichever logger wrote it, and fails the session if any of them shows a secret or a
buyer's email: every store secret and API credential (key, secret) saved during the suite
(recorded as stores are saved, so no list has to be kept in step with the fixtures), the shapes of
Stripe, Shopify and WooCommerce secrets and keys, any whole seat code (``XXXX-XXXX-XXXX-XXXX``),
and any email address but the documented non-personal ones (``noreply@...``).

The request paths Django logs for 4xx answers (``django.request``) are checked for secrets only: the
path is what the caller typed, and fuzzers type anything. Other libraries' DEBUG records (the
``stripe`` library logs whole response bodies at DEBUG) are listed in the summary but fail nothing:
they appear only where an operator turns DEBUG on for that library; the plugin's own records fail
the session at any level.
"""

import logging
import re

import pytest

SECRET_SHAPES = re.compile(
    r"(whsec_|sk_(test|live)_|rk_(test|live)_|shpss_|shpat_|ck_[0-9a-f]{8}|cs_[0-9a-f]{8})\w+|secret-\d+-0123456789abcdef"
    # A whole seat code (XXXX-XXXX-XXXX-XXXX of its alphabet): logs show its last four characters at most.
    r"|(?<![A-Za-z0-9])[A-HJ-NP-Z2-9]{4}(?:-[A-HJ-NP-Z2-9]{4}){3}(?![A-Za-z0-9])"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
NOT_PERSONAL = re.compile(r"^(noreply|no-reply|donotreply)@|^support@stripe\.com$", re.IGNORECASE)
OURS = "commerce_plugin"
PATHS_ONLY = ("django.request",)
SHORTEST_SECRET = 8  # shorter "secrets" (test typos) would match ordinary words


def find_leaks(records, secrets):
    """``(logger, where, level, text)`` records → the lines that show a secret or an email, and what."""
    leaks = []
    for logger, where, _level, text in records:
        shown = [secret for secret in secrets if len(secret) >= SHORTEST_SECRET and secret in text]
        shown += [match.group(0) for match in SECRET_SHAPES.finditer(text)]
        if logger not in PATHS_ONLY:
            shown += [email for email in (m.group(0) for m in EMAIL.finditer(text)) if not NOT_PERSONAL.match(email)]
        if shown:
            leaks.append(f"{where} [{logger}] shows {sorted(set(shown))}: {text[:300]!r}")
    return leaks


def _blocking(record):
    logger, _, level, _ = record
    return level >= logging.INFO or logger == OURS or logger.startswith(f"{OURS}.")


class LogCollector(logging.Handler):
    """Keeps each distinct formatted record (message and traceback) with where it was logged."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.records = set()

    def emit(self, record):
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is still scanned as it was given
            text = f"{record.msg!r} {record.args!r}"
        self.records.add((record.name, f"{record.pathname}:{record.lineno}", record.levelno, text))


class LogScan:
    def __init__(self):
        self.collector = LogCollector()
        self.secrets = set()
        self.leaks, self.debug_only = [], []
        self._root_level = None

    def attach(self):
        """Root, and every logger that does not propagate to it (the sandbox's ``commerce_plugin``)."""
        loggers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
        for logger in [logging.getLogger(), *(lg for lg in loggers if isinstance(lg, logging.Logger))]:
            if (logger is logging.getLogger() or not logger.propagate) and self.collector not in logger.handlers:
                logger.addHandler(self.collector)

    def remember_secret(self, sender, instance, **kwargs):
        for field in ("secret", "api_key", "api_secret"):
            if getattr(instance, field, ""):
                self.secrets.add(getattr(instance, field))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        from django.db.models.signals import pre_save  # pylint: disable=import-outside-toplevel

        from commerce_plugin.models import Store  # pylint: disable=import-outside-toplevel

        pre_save.connect(self.remember_secret, sender=Store, dispatch_uid="log-scan-secrets", weak=False)
        root = logging.getLogger()
        self._root_level = root.level
        root.setLevel(logging.DEBUG)
        self.attach()

    def pytest_runtest_setup(self, item):
        self.attach()  # loggers configured since (a test's own LOGGING) are covered too

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            if isinstance(logger, logging.Logger) and self.collector in logger.handlers:
                logger.removeHandler(self.collector)
        logging.getLogger().setLevel(self._root_level)
        records = self.collector.records
        self.leaks = find_leaks([r for r in records if _blocking(r)], self.secrets)
        self.debug_only = find_leaks([r for r in records if not _blocking(r)], self.secrets)
        if self.leaks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if self.debug_only:
            terminalreporter.section("log scan: other libraries' DEBUG records show", sep="-", yellow=True)
            for leak in sorted(self.debug_only)[:5]:
                terminalreporter.line(leak)
            if len(self.debug_only) > 5:
                terminalreporter.line(f"... and {len(self.debug_only) - 5} more")
        if self.leaks:
            terminalreporter.section("secrets or buyer emails in the logs", sep="=", red=True, bold=True)
            for leak in sorted(self.leaks):
                terminalreporter.line(leak)
        else:
            terminalreporter.line(
                f"log scan: {len(self.collector.records)} distinct log lines, "
                f"{len(self.secrets)} store secrets and API credentials: no secret or buyer email logged"
            )


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("commerce-log-scan"):
        config.pluginmanager.register(LogScan(), "commerce-log-scan")
