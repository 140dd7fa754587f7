"""
Run wstest with every listening socket bound to 127.0.0.1.

wstest's fuzzingserver calls ``listenWS(factory)``, which listens on every
interface whatever the host in the spec's "url". This launcher, for Python
2.7 and the environment in compliance/.venv27, installs wstest's reactor,
makes its listenTCP and listenSSL bind to the loopback interface only, then
runs wstest with the same command line, e.g.::

    compliance/.venv27/bin/python compliance/wstest_loopback.py \
        -m fuzzingserver -s spec.json -u 0

"""

import sys

# wstest's first import: it installs the epoll reactor before anything else.
from autobahntestsuite import choosereactor  # noqa: F401
from twisted.internet import reactor


LOOPBACK = "127.0.0.1"

_listen_tcp = reactor.listenTCP
_listen_ssl = reactor.listenSSL


def listen_tcp(port, factory, backlog=50, interface=""):
    return _listen_tcp(port, factory, backlog, LOOPBACK)


def listen_ssl(port, factory, context_factory, backlog=50, interface=""):
    return _listen_ssl(port, factory, context_factory, backlog, LOOPBACK)


reactor.listenTCP = listen_tcp
reactor.listenSSL = listen_ssl

from autobahntestsuite.wstest import run  # noqa: E402


if __name__ == "__main__":
    sys.argv[0] = "wstest"
    sys.exit(run())
