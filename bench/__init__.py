"""
``make bench``: the plugin's figures on the parts a Tutor LMS has (MariaDB, Redis, gunicorn, Celery
prefork workers), each stated as a ratio to a baseline measured in the same run, so they mean the
same thing on any machine. Not a test: nothing here asserts; it measures, prints and writes JSON.

``run`` drives the phases; ``stack`` owns what it starts (database, broker db, processes);
``load`` is the HTTP load generator; ``acceptance``, ``endtoend``, ``floor``, ``queries`` and
``memory`` measure one thing each; ``report`` turns the figures into the table and the JSON.
"""
