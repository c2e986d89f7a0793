"""QA imports end to end: `run_import` (and `tactful import`) against the fake helpdesks on
loopback: the list endpoints paged, each conversation's messages fetched, a batch job made in
the helpdesk's own format and scored by the conversation-aware batch scoring (the QA readers
of service/batch/helpdesk), the cursor stored so that the next run imports only what is new,
429 with Retry-After honoured, and private notes and bots never scored as an agent's words."""

import json
import time
from datetime import datetime, timezone

import pytest

from helpdesks import (SECRET, ChatwootDesk, FakeFreshdesk, FakeZammad, FakeZendesk, FreshdeskDesk, IntercomDesk,
                       ZammadDesk, ZendeskDesk, fast_settings)
from service import store
from service.batch.jobs import iter_results
from service.connectors import accounts
from service.connectors.imports import ImportScheduler, get_cursor, parse_since, run_import
from service.errors import HelpdeskError, InputError

REPLY = "王小明您好，非常抱歉给您带来不便。我们已为您登记换货，今天内安排补发，稍后把物流单号发给您。"


class Zendesk(ZendeskDesk):
    def conversation(self, n: int) -> tuple[list[str], list[str]]:
        f = self.fake
        f.customer_comments(n, "耳机坏了,订单20261103886")
        f.agent_replies(n, REPLY)
        note = f.add(n, f._comment(f.AGENT, "<p>内部: 仓库缺货</p>", "内部: 仓库缺货", False))
        bot = f.add(n, f._comment(f.API_USER, "<p>我是机器人</p>", "我是机器人", True, channel="answer_bot"))
        return [str(f.tickets[n][1]["id"])], [str(note["id"]), str(bot["id"])]


class Chatwoot(ChatwootDesk):
    def conversation(self, n: int):
        f = self.fake
        f.customer_says(n, "耳机坏了,订单20261103886")
        agent = f.agent_says(n, REPLY)
        note = f._message(n, "内部: 仓库缺货", 1, private=True, sender={"id": 1, "name": "John", "type": "user"})
        bot = f._message(n, "请选择菜单", 3)
        f.conversations[n] += [note, bot]
        return [str(agent["id"])], [str(note["id"]), str(bot["id"])]


class Intercom(IntercomDesk):
    def conversation(self, n: int):
        f = self.fake
        f.user_starts(str(n), "耳机坏了,订单20261103886")
        bot = f.bot_replies(str(n), "我是 Fin,请问订单号?")
        agent = f.admin_replies(str(n), REPLY)
        note = f.admin_replies(str(n), "内部: 仓库缺货", note=True)
        return [agent["id"]], [note["id"], bot["id"]]

    def updated(self, n: int, seconds: int) -> None:
        self.fake.conversations[str(n)]["updated_at"] = seconds


class Freshdesk(FreshdeskDesk):
    def conversation(self, n: int):
        f = self.fake
        f.customer_creates(n, "耳机坏了,订单20261103886")
        agent = f.agent_replies(n, REPLY)
        note = f.agent_replies(n, "内部: 仓库缺货", private=True)
        return [str(agent["id"])], [str(note["id"])]


class Zammad(ZammadDesk):
    def conversation(self, n: int):
        f = self.fake
        f.customer_writes(n, "耳机坏了,订单20261103886")
        agent = f.agent_writes(n, REPLY)["article"]
        note = f.agent_writes(n, "内部: 仓库缺货", internal=True)["article"]
        return [str(agent["id"])], [str(note["id"])]

    def updated(self, n: int, seconds: int) -> None:
        when = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.fake.tickets[n]["ticket"]["updated_at"] = when


HELPDESKS = [Zendesk, Chatwoot, Intercom, Freshdesk, Zammad]


@pytest.fixture(params=HELPDESKS, ids=lambda h: h.name)
def desk(request, tmp_path):
    h = request.param()
    h.fake.start()
    try:
        h.settings = fast_settings(tmp_path)
        store.migrate(h.settings.db_path)
        h.add(h.settings.db_path)
        yield h
    finally:
        h.fake.stop()


def _rows(settings, job_id: str) -> list[dict]:
    return [json.loads(r) for r in iter_results(settings, job_id)]


def test_an_import_pages_through_the_helpdesk_and_scores_only_the_agents_words(desk):
    desk.fake.page_size = 2  # every list and message page is short: the import must page
    agents, others = [], []
    for n in (101, 102, 103):
        a, o = desk.conversation(n)
        agents += a
        others += o
    result = run_import(desk.settings, desk.name, desk.account)
    assert result["conversations"] == 3
    job = result["job"]
    assert job["state"] == "done" and job["format"] == desk.name and job["conversations"] is True
    rows = _rows(desk.settings, job["id"])
    cards = [r for r in rows if r["kind"] == "conversation"]
    turns = [r for r in rows if r["kind"] == "turn"]
    assert sorted(c["conversation_id"] for c in cards) == ["101", "102", "103"]
    assert sorted(str(t["id"]) for t in turns) == sorted(agents)  # notes and bots are no agent's turns
    assert not any(str(r.get("id")) in others for r in rows)
    assert all(t.get("score") is not None for t in turns)
    assert len([c for c in desk.fake.requests if c["op"] == "list"]) >= 2  # more than one page


def test_the_next_run_resumes_from_the_cursor_and_imports_only_what_is_new(desk):
    desk.conversation(201)
    desk.conversation(202)
    first = run_import(desk.settings, desk.name, desk.account)
    assert first["conversations"] == 2 and get_cursor(desk.settings.db_path, desk.name, desk.account)
    again = run_import(desk.settings, desk.name, desk.account)
    assert again["conversations"] == 0 and again["job"] is None
    desk.conversation(203)
    third = run_import(desk.settings, desk.name, desk.account)
    assert third["conversations"] == 1
    assert [c["conversation_id"] for c in _rows(desk.settings, third["job"]["id"]) if c["kind"] == "conversation"] \
        == ["203"]


@pytest.mark.parametrize("desk", [Zammad, Intercom], indirect=True, ids=lambda h: h.name)
def test_a_run_pages_through_the_query_it_started_with(desk):
    """Conversations updated a minute apart, two a page: the cursor moves on after the first
    page, but the next pages are those of the query the run started with. (Asking for page 2 of
    a query from the moved cursor skipped the third conversation.)"""
    desk.fake.page_size = 2
    start = int(time.time()) - 3600
    for i, n in enumerate((201, 202, 203, 204, 205)):
        desk.conversation(n)
        desk.updated(n, start + 60 * i)
    result = run_import(desk.settings, desk.name, desk.account)
    assert result["conversations"] == 5


def test_a_429_is_honoured_with_its_retry_after(desk):
    desk.conversation(301)
    desk.fake.fault("list", 429, retry_after=1)
    result = run_import(desk.settings, desk.name, desk.account)
    assert result["conversations"] == 1
    first, second = [c for c in desk.fake.requests if c["op"] == "list"][:2]
    assert second["at"] - first["at"] >= 1.0


def test_a_refused_token_stops_the_run_and_keeps_the_cursor(tmp_path):
    with FakeZendesk() as fake:
        s = fast_settings(tmp_path)
        store.migrate(s.db_path)
        accounts.add_account(s.db_path, "zendesk", "acme", base_url=fake.url, email=fake.email, token="wrong",
                             secret=SECRET)
        fake.customer_comments(401, "耳机坏了")
        with pytest.raises(HelpdeskError) as e:
            run_import(s, "zendesk", "acme")
        assert "401" in e.value.message and get_cursor(s.db_path, "zendesk", "acme") is None


def test_5xx_beyond_the_bound_stops_the_run_and_the_next_run_picks_it_up(tmp_path):
    with FakeZendesk() as fake:
        s = fast_settings(tmp_path)
        store.migrate(s.db_path)
        accounts.add_account(s.db_path, "zendesk", "acme", base_url=fake.url, email=fake.email, token=fake.token,
                             secret=SECRET)
        fake.customer_comments(501, "耳机坏了")
        fake.fail_forever("list", 503)
        with pytest.raises(HelpdeskError) as e:
            run_import(s, "zendesk", "acme")
        assert "gave up after 4 calls" in e.value.message and len(fake.calls("list")) == 4
        fake.heal()
        assert run_import(s, "zendesk", "acme")["conversations"] == 1


def test_a_limited_run_stops_at_a_page_and_the_next_goes_on(tmp_path):
    with FakeZendesk() as fake:
        s = fast_settings(tmp_path)
        store.migrate(s.db_path)
        accounts.add_account(s.db_path, "zendesk", "acme", base_url=fake.url, email=fake.email, token=fake.token,
                             secret=SECRET)
        fake.page_size = 1
        for n in (601, 602, 603):
            fake.customer_comments(n, "耳机坏了")
        seen = []
        for _ in range(3):
            job = run_import(s, "zendesk", "acme", limit=1)["job"]
            seen += [r["conversation_id"] for r in _rows(s, job["id"]) if r["kind"] == "conversation"]
        assert seen == ["601", "602", "603"]
        assert run_import(s, "zendesk", "acme")["job"] is None


def test_the_command_imports_and_reports(tmp_path, monkeypatch, capsys):
    from service.cli import main
    from service.settings import get_settings

    with FakeFreshdesk() as fake:
        monkeypatch.setenv("TACTFUL_DB_PATH", str(tmp_path / "c.db"))
        monkeypatch.setenv("TACTFUL_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        try:
            store.migrate(tmp_path / "c.db")
            accounts.add_account(tmp_path / "c.db", "freshdesk", "acme", base_url=fake.url, token=fake.api_key,
                                 secret=SECRET)
            fake.customer_creates(701, "耳机坏了")
            fake.agent_replies(701, REPLY)
            assert main(["import", "freshdesk", "--account", "acme", "--since", "2d"]) == 0
            out = capsys.readouterr().out
            assert "freshdesk/acme: 1 conversations imported into batch" in out and "scored: 2 messages" in out
            assert main(["import", "freshdesk", "--account", "acme"]) == 0
            assert "nothing new since the last import" in capsys.readouterr().out
            assert main(["import", "freshdesk", "--account", "nobody"]) == 2
        finally:
            get_settings.cache_clear()


def test_the_scheduled_import_submits_each_accounts_job(tmp_path):
    with FakeZammad() as fake:
        s = fast_settings(tmp_path)
        store.migrate(s.db_path)
        accounts.add_account(s.db_path, "zammad", "acme", base_url=fake.url, token=fake.token, secret=SECRET)
        fake.customer_writes(801, "耳机坏了")

        class Jobs:
            leading, submitted = True, []

            def submit(self, job_id):
                self.submitted.append(job_id)

        jobs = Jobs()
        [result] = ImportScheduler(s, jobs).run_once()
        assert result["conversations"] == 1 and jobs.submitted == [result["job"]["id"]]
        assert result["job"]["state"] == "queued"  # for the server's job runner


def test_since_and_the_interval_are_checked():
    assert parse_since("2026-11-01") == pytest.approx(1793491200.0)
    assert parse_since("1793491200") == 1793491200.0
    with pytest.raises(InputError):
        parse_since("last tuesday")
    from service.settings import Settings

    with pytest.raises(InputError):
        Settings(import_interval_s=5)
    assert Settings().import_interval_s == 0
