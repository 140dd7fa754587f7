"""Peer programs of tests/test_interop.py: see peer_common.py."""
