# SPDX-License-Identifier: MIT
#
# enfed_client.py: what test_python_client.py uses, now from the Python
# client package (clients/python/enfed, written from docs/protocol.md
# alone: SP over TCP by hand, protobuf's Python package, no nng binding),
# plus a bare Subscriber that hands out raw frames. Put the generated
# modules' directory and clients/python on sys.path before importing.

import socket
import time

from enfed import CallError, Client, ProtocolError  # noqa: F401
from enfed.sp import SP_PUB, SP_SUB, SPSocket, parse_url  # noqa: F401


class Subscriber:
    """A SUB connection: the PUB side sends every message as it is (the
    topic filter is the subscriber's own); a stream message is the topic,
    '<series id> ', then an encoded StreamFrame."""

    def __init__(self, url, prefix):
        self.sp = SPSocket(url, SP_SUB, SP_PUB)
        self.prefix = prefix.encode()

    def recv(self, frame_type, timeout_s):
        """The next (topic, frame) whose topic starts with the prefix;
        socket.timeout when none comes in timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no frame in %.1f s" % timeout_s)
            msg = self.sp.recv(left)
            if not msg.startswith(self.prefix) or msg[:1] == b"!":
                continue
            topic, sep, body = msg.partition(b" ")
            if not sep:
                raise ProtocolError("stream message without a topic")
            return topic.decode(), frame_type.FromString(body)

    def close(self):
        self.sp.close()
