"""
The driver behind the sandbox's MariaDB connections (``SANDBOX_DB=mysql``: the integration tests,
the benchmark, the crash drill): mysqlclient when it is installed, else PyMySQL.

mysqlclient is what the LMS runs and the driver Django supports, but it is a C extension that
builds only where the MariaDB client headers, pkg-config and a compiler are installed; PyPI has no
Linux wheel. PyMySQL is pure Python and installs anywhere, so a fresh machine runs every suite with
nothing installed by hand (``requirements/test.txt`` lists PyMySQL only). Django's MySQL backend
imports ``MySQLdb``; PyMySQL stands in under that name (``install_as_MySQLdb``) and reports the
mysqlclient version it matches (PyMySQL 1.2: 2.2.8; Django 4.2 and 5.2 want 1.4.3 or newer).
``make bench`` installs mysqlclient (``requirements/bench.txt``), so its figures are the LMS's
driver's.
"""

try:
    import MySQLdb
except ImportError:
    import pymysql

    pymysql.install_as_MySQLdb()
    import MySQLdb

NAME = "PyMySQL" if MySQLdb.__name__ == "pymysql" else "mysqlclient"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

__all__ = ["MySQLdb", "NAME", "connect_options"]


def connect_options(host):
    """
    What to add to a connection's options for ``host``. PyMySQL tries TLS unless told not to, and
    builds a TLS context (reading the system's CA certificates, about 20 ms) for every connection:
    each order request took four times as long. Over loopback there is nothing to protect, and
    mysqlclient does not try TLS there either.
    """
    return {"ssl_disabled": True} if NAME == "PyMySQL" and host in LOOPBACK else {}
