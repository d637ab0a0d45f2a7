"""
Progress for the long operator commands: a live counter on a terminal, a line now and then in a job
log, then the command's summary — all on stdout, because none of it is an error. The log lines the
work writes for each row it touches would bury that counter: :func:`log_detail` keeps them for ``-v 2``.
"""

import contextlib
import logging
import time

# What writes a line per order line while a command works: the plugin, and Celery and openedx-events
# when tasks run in the command's own process (the sandbox, an LMS with eager Celery).
CHATTY_LOGGERS = ("commerce_plugin", "celery.app.trace", "openedx_events")
# Django's --verbosity: 0 and 1 warnings only, 2 the INFO detail, 3 everything.
LEVELS = {0: logging.WARNING, 1: logging.WARNING, 2: logging.INFO}


@contextlib.contextmanager
def log_detail(verbosity):
    """
    While the block runs, the chatty loggers write no more than ``verbosity`` asks for: at the
    default, warnings and errors only (a broker that is down still shows); at ``-v 2`` INFO even if
    the logging configuration holds it back. Their levels are put back afterwards.
    """
    wanted = LEVELS.get(verbosity, logging.DEBUG)
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        effective = logger.getEffectiveLevel()
        logger.setLevel(max(effective, wanted) if wanted >= logging.WARNING else min(effective, wanted))
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


class Progress:
    """
    Call with ``(done, total)`` (``total`` may be ``None``) as work advances; :meth:`finish` before
    the summary. On a terminal the counter rewrites itself at most every ``refresh`` seconds;
    elsewhere (cron, Tutor job logs) a line is written at most every ``every`` seconds.
    """

    def __init__(self, out, label, refresh=0.2, every=10.0):
        self.out, self.label = out, label
        self.interactive = out.isatty()
        self.interval = refresh if self.interactive else every
        # A terminal shows the count at once; a log gets its first line only if the work is long.
        self.last = float("-inf") if self.interactive else time.monotonic()
        self.shown = False

    def __call__(self, done, total=None, label=None):
        now = time.monotonic()
        if now - self.last < self.interval and done != total:
            return
        self.last = now
        text = f"{label or self.label}: {done}" + (f" of {total}" if total is not None else "")
        if self.interactive:
            self.out.write(f"\r{text}\x1b[K", ending="")
            self.out.flush()
            self.shown = True
        elif done != total:  # a finished count is in the summary already
            self.out.write(text)

    def finish(self):
        if self.shown:
            self.out.write("")
            self.shown = False
