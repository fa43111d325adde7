# SPDX-License-Identifier: MIT
#
# enfed_client.py: an enfed client written from docs/protocol.md alone, in
# Python with the protobuf package and nothing else: it speaks the SP wire
# protocol of nng (REQ and SUB over TCP) itself, with no nng binding, and
# uses the Python modules protoc generates from proto/enfed/v1 (put their
# directory on sys.path before importing this module).
#
# It asks for plain replies (Request.accept = [CODEC_NONE]) since Python's
# standard library has no zstd; a reply body that comes back compressed
# anyway is an error.

import os
import socket
import struct
import time

from enfed.v1 import rpc_pb2

SP_REQ = 0x30
SP_REP = 0x31
SP_PUB = 0x20
SP_SUB = 0x21

# Largest message accepted from the server, as every enfed socket bounds
# what it receives.
MAX_MSG = 16 << 20


class ProtocolError(Exception):
    pass


class CallError(Exception):
    def __init__(self, status, message):
        name = rpc_pb2.StatusCode.Name(status)
        super().__init__("%s: %s" % (name, message))
        self.status = status
        self.message = message


def parse_tcp_url(url):
    """'tcp://HOST:PORT' -> (host, port); IPv6 hosts in brackets."""
    if not url.startswith("tcp://"):
        raise ValueError("only tcp:// addresses: %r" % url)
    host, _, port = url[len("tcp://"):].rpartition(":")
    return host.strip("[]"), int(port)


class SPSocket:
    """One SP connection over TCP: the 8-byte greeting, then messages as a
    64-bit big-endian length and the payload."""

    def __init__(self, url, proto, peer_proto, timeout_s=5.0):
        host, port = parse_tcp_url(url)
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.sendall(b"\x00SP\x00" + struct.pack(">HH", proto, 0))
        hdr = self._read_exact(8)
        if hdr[:4] != b"\x00SP\x00":
            raise ProtocolError("not an SP peer: %r" % hdr)
        (got,) = struct.unpack(">H", hdr[4:6])
        if got != peer_proto:
            raise ProtocolError("peer speaks protocol %#x, not %#x"
                                % (got, peer_proto))

    def _read_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ProtocolError("connection closed")
            buf += chunk
        return bytes(buf)

    def send(self, payload):
        self.sock.sendall(struct.pack(">Q", len(payload)) + payload)

    def recv(self, timeout_s=None):
        if timeout_s is not None:
            self.sock.settimeout(timeout_s)
        (n,) = struct.unpack(">Q", self._read_exact(8))
        if n > MAX_MSG:
            raise ProtocolError("message of %d bytes refused" % n)
        return self._read_exact(n)

    def close(self):
        self.sock.close()


class Client:
    """Unary calls on a REQ connection: each request message starts with
    a 4-byte request id whose high bit is set; REP sends it back before
    the reply."""

    def __init__(self, url, token=b"", timeout_ms=5000, accept=None):
        self.sp = SPSocket(url, SP_REQ, SP_REP, timeout_ms / 1000.0 + 1)
        self.token = token
        self.timeout_ms = timeout_ms
        # Only plain replies: the server never compresses them then.
        self.accept = [rpc_pb2.CODEC_NONE] if accept is None else accept
        self.next_id = 1
        self.sp_id = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        self.last_reply = None

    def call(self, method, request, response_type):
        env = rpc_pb2.Request(id=self.next_id, method=method,
                              timeout_ms=self.timeout_ms, token=self.token,
                              codec=rpc_pb2.CODEC_NONE,
                              body=request.SerializeToString())
        env.accept.extend(self.accept)
        self.next_id += 1
        self.sp_id = (self.sp_id + 1) & 0x7FFFFFFF
        sp_hdr = struct.pack(">I", self.sp_id | 0x80000000)
        self.sp.send(sp_hdr + env.SerializeToString())
        msg = self.sp.recv(self.timeout_ms / 1000.0 + 1)
        if msg[:4] != sp_hdr:
            raise ProtocolError("reply to another request")
        rep = rpc_pb2.Reply.FromString(msg[4:])
        self.last_reply = rep
        if rep.id != env.id:
            raise ProtocolError("reply id %d for request %d"
                                % (rep.id, env.id))
        if rep.status != rpc_pb2.OK:
            raise CallError(rep.status, rep.message)
        if rep.codec != rpc_pb2.CODEC_NONE:
            raise ProtocolError("reply body encoded as %s"
                                % rpc_pb2.Codec.Name(rep.codec))
        return response_type.FromString(rep.body)

    def close(self):
        self.sp.close()


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
