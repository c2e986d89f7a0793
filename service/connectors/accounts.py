"""The helpdesk accounts tactful answers for, in the connector_accounts table
(`tactful connector add|list|remove`).

An account holds what the connector needs in the clear: the API token (to fetch threads and
post notes) and the webhook secret (to check signatures). Neither is ever printed after it is
set, returned by the API or logged; `public()` is what may be shown.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from .. import store
from ..errors import Conflict, InputError, NotFound
from . import get_connector
from .base import Account

__all__ = ["add_account", "get_account", "list_accounts", "remove_account", "public"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,512}$")  # printable ASCII, no space: it goes in a header
SECRET_MIN = 16


def _base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
            or parts.query or parts.fragment:
        raise InputError(f"--base-url must be the helpdesk's http(s) address, like https://chat.example.com, "
                         f"not {value!r}", field="base_url")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def add_account(db_path, connector: str, account: str, *, token: str, base_url: str | None = None,
                secret: str | None = None, email: str | None = None, inboxes: list[str] | tuple = (),
                owner: str | None = None, admin_id: str | None = None,
                replace: bool = False) -> tuple[Account, str | None]:
    """Store an account. Returns it and, when no secret was given, the one made for it (shown
    once, for the helpdesk's webhook settings)."""
    c = get_connector(connector)
    account = (account or "").strip()
    if not _NAME.match(account):
        raise InputError("--account must be 1-64 letters, digits, . _ or - (the helpdesk's account id or "
                         "subdomain)", field="account")
    url = base_url or c.default_base_url(account)
    if not url:
        raise InputError(f"{c.title} needs --base-url (where its API is)", field="base_url")
    if not token or not _TOKEN.match(token.strip()):
        raise InputError("--token must be the API token: printable characters, no spaces", field="token")
    made = None
    if secret is None:
        secret = made = secrets.token_urlsafe(32)
    secret = secret.strip()
    if len(secret) < SECRET_MIN or not _TOKEN.match(secret):
        raise InputError(f"--secret must be at least {SECRET_MIN} printable characters, no spaces", field="secret")
    boxes = tuple(sorted({str(b).strip() for b in inboxes if str(b).strip()}))
    if any(not b.isdigit() for b in boxes):
        raise InputError("--inbox takes inbox ids (numbers)", field="inbox")
    acct = Account(connector=c.name, account=account, base_url=_base_url(url), token=token.strip(), secret=secret,
                   email=(email or "").strip() or None, inboxes=boxes, owner=owner or None,
                   admin_id=(str(admin_id).strip() if admin_id is not None else "") or None)
    c.check_account(acct)
    with store.transaction(db_path) as db:
        if owner and not db.execute("select 1 from api_keys where id = ?", [owner]).fetchone():
            raise InputError(f"--owner must be the id of an API key (tactful keys list), not {owner!r}", field="owner")
        exists = db.execute("select 1 from connector_accounts where connector = ? and account = ?",
                            [c.name, account]).fetchone()
        if exists and not replace:
            raise Conflict(f"{acct.key} is already configured: remove it first, or add it again with --replace")
        db.execute("insert or replace into connector_accounts (connector, account, base_url, email, token, secret, "
                   "inboxes, owner, admin_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [acct.connector, acct.account, acct.base_url, acct.email, acct.token, acct.secret,
                    ",".join(acct.inboxes), acct.owner, acct.admin_id, store.now()])
    return acct, made


def _account(row) -> Account:
    return Account(connector=row["connector"], account=row["account"], base_url=row["base_url"],
                   token=row["token"], secret=row["secret"], email=row["email"],
                   inboxes=tuple(x for x in (row["inboxes"] or "").split(",") if x), owner=row["owner"],
                   admin_id=row["admin_id"])


def get_account(db_path, connector: str, account: str) -> Account:
    with store.reader(db_path) as db:
        rows = list(db["connector_accounts"].rows_where("connector = ? and account = ?", [connector, account]))
    if not rows:
        raise NotFound(f"no {connector} account {account!r} is configured (tactful connector add)")
    return _account(rows[0])


def list_accounts(db_path) -> list[dict]:
    with store.reader(db_path) as db:
        rows = list(db["connector_accounts"].rows_where(order_by="connector, account"))
    return [public(_account(r)) | {"created_at": r["created_at"]} for r in rows]


def remove_account(db_path, connector: str, account: str) -> None:
    with store.transaction(db_path) as db:
        cur = db.execute("delete from connector_accounts where connector = ? and account = ?", [connector, account])
        if cur.rowcount == 0:
            raise NotFound(f"no {connector} account {account!r} is configured")


def public(account: Account) -> dict:
    """What may be shown of an account: never its token or secret."""
    return {"connector": account.connector, "account": account.account, "base_url": account.base_url,
            "email": account.email, "inboxes": list(account.inboxes), "owner": account.owner,
            "admin_id": account.admin_id,
            "webhook": f"/v1/connectors/{account.connector}/{account.account}/events"}
