"""
Progress for the long operator commands: a live counter on a terminal, a line now and then in a job
log, then the command's summary — all on stdout, because none of it is an error.
"""

import time


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
