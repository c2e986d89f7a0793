"""Slow clients against a real `tactful serve`: a half-sent request head, a body that stops,
and an idle connection are closed after their timeouts; a whole request is answered."""

import socket
import time

import pytest

from servers import Service


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    svc = Service(tmp_path_factory.mktemp("slow"), TACTFUL_HEADER_TIMEOUT_S="1",
                  TACTFUL_BODY_IDLE_TIMEOUT_S="1", TACTFUL_MAX_CONNECTIONS="50").start()
    yield svc
    svc.stop()


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (EOF or reset), or None if it did not."""
    sock.settimeout(0.2)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - start
    return None


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        start = time.monotonic()
        closed = False
        for b in head:  # a byte every 0.3 s: never a whole head
            try:
                s.send(bytes([b]))
            except OSError:
                closed = True
                break
            time.sleep(0.3)
            if time.monotonic() - start > 4:
                break
        assert closed or _closed_within(s, 3) is not None
        assert time.monotonic() - start < 6


def test_an_idle_connection_that_never_sends_is_closed(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        took = _closed_within(s, 5)
    assert took is not None and took < 3


def test_a_body_that_stops_arriving_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /v1/reviews HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"reply\": \"")
        took = _closed_within(s, 5)
    assert took is not None and took < 3


def test_a_whole_request_is_answered_and_the_connection_kept(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for _ in range(2):
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            assert r.status == 200 and b'"ok":true' in r.read()
            time.sleep(0.5)  # shorter than the keep-alive timeout: the same connection serves again
        assert conn.sock is not None  # never reconnected
    finally:
        conn.close()
