# SPDX-License-Identifier: MIT
"""nng's SP wire protocol over TCP, plain or inside TLS.

A connection starts with an 8-byte greeting from each side (0x00 'S' 'P'
0x00, the 16-bit protocol number, 16 reserved bits); then each message is
a 64-bit big-endian length and its bytes. tls+tcp:// is the same framing
inside a TLS session (docs/protocol.md); nng 1.5.2 asks for a client
certificate, so tls+tcp:// needs one with its key, and the CA that signed
the node's certificate.
"""

import socket
import ssl
import struct
import time

SP_REQ = 0x30
SP_REP = 0x31
SP_PUB = 0x20
SP_SUB = 0x21

# Largest message accepted from the server, as every enfed socket bounds
# what it receives.
MAX_MSG = 16 << 20


class ProtocolError(Exception):
    """The peer broke the protocol, or the connection closed."""


class TLS:
    """What a tls+tcp:// connection presents and trusts: the client's
    certificate and key (PEM files), the CA that signs the node's
    certificate, and the name to check in it (default: the URL's host,
    an IP address being checked against the certificate's IP entries)."""

    def __init__(self, ca, cert, key, server_name=None):
        self.ca, self.cert, self.key = ca, cert, key
        self.server_name = server_name

    def context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_verify_locations(cafile=self.ca)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def parse_url(url):
    """'tcp://HOST:PORT' or 'tls+tcp://HOST:PORT' -> (tls?, host, port);
    IPv6 hosts in brackets."""
    for scheme, tls in (("tcp://", False), ("tls+tcp://", True)):
        if url.startswith(scheme):
            host, sep, port = url[len(scheme):].rpartition(":")
            if not sep or not port.isdigit() or not host:
                break
            return tls, host.strip("[]"), int(port)
    raise ValueError("not a tcp:// or tls+tcp:// HOST:PORT address: %r"
                     % url)


class SPSocket:
    """One SP connection: the greeting, then length-prefixed messages."""

    def __init__(self, url, proto, peer_proto, timeout_s=5.0, tls=None):
        is_tls, host, port = parse_url(url)
        self.buf = bytearray()
        if is_tls and tls is None:
            raise ValueError("%s needs TLS(ca, cert, key)" % url)
        sock = socket.create_connection((host, port), timeout=timeout_s)
        try:
            if is_tls:
                name = tls.server_name or host
                sock = tls.context().wrap_socket(sock, server_hostname=name)
            self.sock = sock
            self.sock.sendall(b"\x00SP\x00" + struct.pack(">HH", proto, 0))
            hdr = self._read_exact(8)
        except BaseException:
            sock.close()
            raise
        if hdr[:4] != b"\x00SP\x00":
            self.close()
            raise ProtocolError("not an SP peer: %r" % hdr)
        (got,) = struct.unpack(">H", hdr[4:6])
        if got != peer_proto:
            self.close()
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
        """The next message; socket.timeout when none comes in time (a
        message partly received stays buffered for the next call)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if len(self.buf) >= 8:
                (n,) = struct.unpack(">Q", self.buf[:8])
                if n > MAX_MSG:
                    raise ProtocolError("message of %d bytes refused" % n)
                if len(self.buf) >= 8 + n:
                    msg = bytes(self.buf[8:8 + n])
                    del self.buf[:8 + n]
                    return msg
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("no message in %.1f s" % timeout_s)
                self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ProtocolError("connection closed")
            self.buf += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
