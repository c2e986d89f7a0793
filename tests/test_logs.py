"""Log masking: every record is masked, and formatters that unpack arguments still work."""

import logging

from uvicorn.logging import AccessFormatter

from service.privacy.logs import install_log_masking

install_log_masking()


def record(msg, args):
    return logging.getLogger("tactful.test").makeRecord("tactful.test", logging.INFO, __file__, 1, msg, args, None)


def test_personal_data_in_the_message_or_its_arguments_is_masked():
    line = record("customer %s wrote %r", ("13812345678", {"email": "wang.fang88@example.com"})).getMessage()
    assert "13812345678" not in line and "wang.fang88@example.com" not in line
    assert "[PHONE …5678]" in line and "[EMAIL" in line
    assert "[PHONE" in record("call 13812345678 now", None).getMessage()
    assert "13812345678" not in record("body %s", ('{"c": "\\u624b\\u673a13812345678"}',)).getMessage()


def test_the_uvicorn_access_log_still_formats():
    r = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/drafts/abc?phone=13812345678", "1.1", 200), None)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(r)
    assert line.startswith("127.0.0.1:5000 - \"GET /v1/drafts/abc?phone=[PHONE …5678] HTTP/1.1\" 200")


def test_numbers_keep_their_type_for_numeric_formats():
    assert record("%d rows in %.1f s", (1200, 2.5)).getMessage() == "1200 rows in 2.5 s"
