"""The `tactful` command line.

    tactful review TEXT|-        [--file F] [--complaint TEXT] [--complaint-file F] [--lang L]
                                 [--format text|json] [--rubric DIR]
    tactful batch IN --out OUT   [--workers N] [--encoding E] [--no-progress]
    tactful draft --message TEXT|- [--message-file F] [--channel C] [--lang L] [--model M] [--json]
    tactful init DIR             an editable copy of the built-in rubric, policy and prompts
    tactful eval run             [--config F] [--model offline|mock|ID] [--baseline F] [--record DIR]
    tactful eval compare A B
    tactful keys create|list|revoke
    tactful connector add|list|remove|work|deliveries|retry    helpdesk connectors
    tactful import zendesk|chatwoot|intercom|freshdesk|zammad --account A [--since WHEN] [--limit N]
    tactful serve                [--host H] [--port P] [--workers N]

A text argument is always text ("-" reads stdin); files are read only through the --*file
options, so a reply is never mistaken for a path.

Exit codes: 0 passed / done, 1 the review did not pass, 2 an error (one line on stderr).
Nothing here imports litellm or FastAPI until a command needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .checker.text import LANGS
from .errors import InputError, TactfulError

__all__ = ["main"]

# One colour per category, for the text format.
COLOURS = {
    "defensive_language": "bold red",
    "vague_promise": "bold yellow",
    "over_promise": "bold magenta",
    "blame_shifting": "bold cyan",
    "sensitive_data_request": "bold white on red",
    "negative_wording": "bold blue",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tactful", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("review", help="review one reply")
    r.add_argument("reply", nargs="?", help="the reply text, or - for stdin")
    r.add_argument("--file", help="read the reply from this file instead")
    r.add_argument("--complaint", help="the customer's message it answers")
    r.add_argument("--complaint-file", help="read the complaint from this file")
    r.add_argument("--lang", choices=LANGS, help="force the language")
    r.add_argument("--channel", choices=["chat", "email", "social", "phone"],
                   help="where it was sent: chat and social turns are not asked for all four parts")
    r.add_argument("--format", choices=["text", "json"], default="text")
    r.add_argument("--rubric", help="a rubric folder (default: TACTFUL_RUBRIC_DIR, else the built-in one)")

    b = sub.add_parser("batch", help="review a CSV, TSV or JSONL export, streaming")
    b.add_argument("input", help="CSV, TSV or JSONL with id, reply and optional complaint, lang, agent, channel; "
                                 "or one row per message: conversation_id, role, text, agent, created_at, "
                                 "channel; or a helpdesk export (--from)")
    b.add_argument("--out", required=True, help="JSONL output (CSV or TSV when it ends in .csv or .tsv)")
    b.add_argument("--workers", type=int, default=1, help="processes to use (0 = all cores)")
    b.add_argument("--encoding", help="input encoding (e.g. gbk, big5, utf-16); default: detected")
    b.add_argument("--format", "--from", dest="format",
                   help="input format: csv, tsv, txt, jsonl, or a helpdesk export: zendesk, chatwoot, "
                        "intercom, freshdesk, zammad (default: by extension)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    b.add_argument("--report", help="also write the QA report: .html (self-contained) or .json")
    b.add_argument("--judge", metavar="MODEL", help="add an LLM-graded score (empathy, remedy fit, tone) per reply")
    b.add_argument("--yes", action="store_true", help="run the judge without asking to confirm its cost")

    d = sub.add_parser("draft", help="draft a reply to a customer's message")
    d.add_argument("--message", help="the message text, or - for stdin")
    d.add_argument("--message-file", help="read the message from this file")
    d.add_argument("--customer-name")
    d.add_argument("--order-id")
    d.add_argument("--channel", choices=["chat", "email", "social", "phone"], default="chat")
    d.add_argument("--lang", choices=LANGS)
    d.add_argument("--tone", choices=["warm", "formal", "brief"], default="warm")
    d.add_argument("--model", help="a litellm model id, or 'offline' (default: TACTFUL_MODEL)")
    d.add_argument("--json", action="store_true", help="print the whole draft as JSON")

    e = sub.add_parser("eval", help="the eval suite: score drafts against golden cases")
    esub = e.add_subparsers(dest="eval_command", required=True)
    er = esub.add_parser("run", help="draft and score every golden case; optionally gate on a baseline")
    er.add_argument("--config", default=None, help="the suite config (default: eval/suite.yaml)")
    er.add_argument("--model", help="offline | mock | a litellm model id (default: the config's)")
    er.add_argument("--cassettes", help="the recorded answers `mock` replays (default: the config's)")
    er.add_argument("--include", action="append", default=[], metavar="TAG=VALUE",
                    help="only cases with this tag value (repeatable; values of one tag are OR-ed)")
    er.add_argument("--baseline", help="a results file to compare with: exit 1 on a regression")
    er.add_argument("--write-baseline", metavar="PATH", help="also save this run as a baseline")
    er.add_argument("--out", help="folder for <timestamp>.json and .html (default: eval/results)")
    er.add_argument("--record", metavar="DIR", help="with a real model: write its answers as cassettes")
    er.add_argument("--no-progress", action="store_true")
    er.add_argument("--quiet", action="store_true", help="print the summary line and the verdict only")
    ec = esub.add_parser("compare", help="two runs side by side")
    ec.add_argument("a", help="a results file (e.g. eval/baseline.json)")
    ec.add_argument("b", help="another results file")

    k = sub.add_parser("keys", help="API keys: create, list, revoke")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    kc = ksub.add_parser("create", help="a new key; printed once")
    kc.add_argument("--name", required=True, help="who or what uses it")
    kc.add_argument("--scopes", required=True, help="comma-separated: review, draft, batch, admin")
    kc.add_argument("--rpm", type=int, default=120, help="requests per minute (default 120)")
    kc.add_argument("--tokens-per-day", type=int, default=200_000, help="model tokens per UTC day for drafting")
    kl = ksub.add_parser("list", help="every key (never the secret)")
    kl.add_argument("--json", action="store_true")
    kr = ksub.add_parser("revoke", help="revoke a key at once")
    kr.add_argument("id", help="the key id (the part after tk_)")

    c = sub.add_parser("connector", help="helpdesk connectors: accounts, the outbox worker, deliveries")
    csub = c.add_subparsers(dest="connector_command", required=True)
    ca = csub.add_parser("add", help="answer a helpdesk account's webhooks with private notes")
    ca.add_argument("name", help="the helpdesk: chatwoot, zendesk, zammad, freshdesk or intercom")
    ca.add_argument("--account", required=True,
                    help="the helpdesk's account: Chatwoot's account id, Zendesk's or Freshdesk's subdomain, "
                         "Intercom's workspace id, a name of your choice for Zammad")
    ca.add_argument("--base-url", help="where the helpdesk is, e.g. https://chat.example.com "
                                       "(Zendesk, Freshdesk: https://SUBDOMAIN.zendesk.com, .freshdesk.com; "
                                       "Intercom: https://api.intercom.io, by default)")
    ca.add_argument("--token", help="the API token tactful posts notes with")
    ca.add_argument("--token-file", help="read the API token from this file instead")
    ca.add_argument("--secret", help="the webhook's signing secret (made for you when left out)")
    ca.add_argument("--secret-file", help="read the signing secret from this file instead")
    ca.add_argument("--email", help="the API user's email (Zendesk)")
    ca.add_argument("--inbox", action="append", default=[], metavar="ID",
                    help="draft only for this inbox (Chatwoot; repeatable; default: every inbox)")
    ca.add_argument("--admin-id", help="the admin the notes are written as (Intercom)")
    ca.add_argument("--owner", metavar="KEY_ID", help="the API key whose drafts and deliveries these are")
    ca.add_argument("--replace", action="store_true", help="replace the account if it is configured already")
    cl = csub.add_parser("list", help="the configured accounts (never a token or secret)")
    cl.add_argument("--json", action="store_true")
    cr = csub.add_parser("remove", help="stop answering an account's webhooks")
    cr.add_argument("name")
    cr.add_argument("--account", required=True)
    csub.add_parser("work", help="work the outbox in this process until stopped (besides or instead of "
                                 "`tactful serve`'s own worker)")
    cd = csub.add_parser("deliveries", help="notes to post back, newest first")
    cd.add_argument("--state", choices=["pending", "drafting", "posting", "posted", "skipped", "failed"])
    cd.add_argument("--limit", type=int, default=50)
    cd.add_argument("--json", action="store_true")
    ct = csub.add_parser("retry", help="retry a failed delivery now")
    ct.add_argument("id", type=int)

    im = sub.add_parser("import", help="QA: pull a helpdesk's conversations through its API into a batch, "
                                       "from where the last import of the account stopped")
    im.add_argument("name", choices=["zendesk", "chatwoot", "intercom", "freshdesk", "zammad"])
    im.add_argument("--account", required=True, help="the account, as added with `tactful connector add`")
    im.add_argument("--since", help="start here instead of the stored cursor: 2026-11-01, "
                                    "2026-11-01T08:00:00Z, unix seconds, 7d or 12h (first import: 30 days)")
    im.add_argument("--limit", type=int, default=1000, help="at most about this many conversations a run "
                                                            "(default 1000; the next run goes on)")
    im.add_argument("--queue", action="store_true", help="leave the batch for `tactful serve` to score")
    im.add_argument("--json", action="store_true")

    i = sub.add_parser("init", help="write an editable copy of the built-in rubric, policy and prompts")
    i.add_argument("dir", help="a new or empty folder")

    s = sub.add_parser("serve", help="start the HTTP service")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--workers", type=int, default=None,
                   help="server processes (default TACTFUL_WORKERS, 1); one per core uses them all")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .privacy.logs import install_log_masking

    install_log_masking()
    try:
        return {"review": _review, "batch": _batch, "draft": _draft, "eval": _eval, "keys": _keys,
                "init": _init, "serve": _serve, "connector": _connector,
                "import": _import}[args.command](args)
    except TactfulError as e:
        print(f"tactful: {e.message}", file=sys.stderr)
        return 2
    except OSError as e:  # a file that cannot be read or written
        where = f"{e.filename}: " if e.filename else ""
        print(f"tactful: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - a bug: one line and exit 2, never exit 1 ("not passed")
        print(f"tactful: internal error ({type(e).__name__}: {e}); please report it", file=sys.stderr)
        return 2


def _text(value: str | None, file: str | None, what: str, flags: str, *, required: bool = True) -> str | None:
    """A text argument (`what`, given by `flags`): the text itself, "-" for stdin, or the file
    given instead; neither, with text piped in, the text piped in. Text is never looked up as
    a path."""
    if value is not None and file is not None:
        raise InputError(f"give the {what} as text or as a file, not both", field=what)
    if file is not None:
        data = Path(file).read_bytes()  # OSError: reported with the file name
    elif value == "-":
        data = sys.stdin.buffer.read()
    elif value is None and required and not sys.stdin.isatty() and (data := sys.stdin.buffer.read()).strip():
        pass  # piped in
    elif value is not None:
        return value
    elif required:
        raise InputError(f"no {what}: give it as {flags}, - for stdin, or pipe it in", field=what)
    else:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{file or 'stdin'}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
                         field=what) from None


def _playbook(settings):
    from .playbook import Playbook

    return Playbook.from_settings(settings)


def _review(args) -> int:
    from .checker.check import check_reply
    from .settings import get_settings

    reply = _text(args.reply, args.file, "reply", "text or with --file")
    complaint = _text(args.complaint, args.complaint_file, "complaint", "--complaint or --complaint-file", required=False)
    settings = get_settings()
    if args.rubric:
        settings = settings.replace(rubric_dir=Path(args.rubric))
    from .checker.conversation import required_parts

    playbook = _playbook(settings)
    required = required_parts(playbook, reply, complaint, args.channel, args.lang)
    result = check_reply(playbook, reply, complaint=complaint, lang=args.lang, required=required)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_review(reply, result)
    return 0 if result.passed else 1


def _print_review(reply: str, result) -> None:
    from rich.text import Text

    console = _console()
    text = Text(reply)
    for f in result.findings:
        if f.start is not None:
            text.stylize(COLOURS.get(f.category, "bold"), f.start, f.end)
    console.print(text)
    console.print()
    for f in result.findings:
        where = f"{f.start}-{f.end} “{f.text}”" if f.start is not None else "(structure)"
        style = COLOURS.get(f.category, "bold")
        console.print(Text.assemble((f"{f.severity:<7}", "red" if f.severity == "error" else "yellow"),
                                    " ", (f"{f.category}", style), f"  {f.rule}  {where}"))
        console.print(f"         {f.message}")
        if f.suggestion:
            console.print(f"         → {f.suggestion}")
    verdict = ("passed", "green") if result.passed else ("not passed", "red")
    console.print(Text.assemble(f"\nscore {result.score}/100, ", verdict, f" ({result.lang})"))


def _console(stderr: bool = False):
    """Rich output that never hard-wraps (order numbers and emails stay on one line when piped)
    and never reads markup in the text (a suggestion's "[time]" is printed as written)."""
    from rich.console import Console

    return Console(highlight=False, markup=False, soft_wrap=True, stderr=stderr)


def _batch(args) -> int:
    from datetime import datetime, timezone

    from .batch.pipeline import open_input
    from .batch.runner import gc_for_batch, run_batch
    from .playbook import Playbook
    from .settings import get_settings

    workers = args.workers if args.workers > 0 else (os.cpu_count() or 1)
    if not os.path.isfile(args.input):
        print(f"tactful: no such file: {args.input}", file=sys.stderr)
        return 2
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    settings = get_settings()
    inp = open_input(args.input, format=args.format, encoding=args.encoding)  # InputError: exit 2
    print(f"reading {inp.filename} as {inp.format.name}, {inp.encoding}"
          f"{'' if args.encoding else ' (detected)'}", file=sys.stderr)
    if args.judge:
        if not _confirm_judge(args):
            return 2
    playbook = Playbook.from_settings(settings)
    rubric = playbook.rubric
    report = None
    if args.report:
        from .batch.report import ReportBuilder

        report = ReportBuilder()
    gc_for_batch(rubric)
    show = not args.no_progress and sys.stderr.isatty()
    if show:
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("reviewing", total=os.path.getsize(args.input))
            summary = run_batch(args.input, args.out, rubric=playbook, workers=workers, checked=inp,
                                report=report, progress=lambda done, total: bar.update(task, completed=done))
    else:
        summary = run_batch(args.input, args.out, rubric=playbook, workers=workers, checked=inp, report=report)
    if args.judge:
        from pathlib import Path

        from .batch.judge import Judge, judge_file
        from .store import migrate

        migrate(settings.db_path)
        calls = judge_file(inp, Path(args.out), Judge.for_model(settings, args.judge))
        print(f"judge: {calls} model calls (the rest from the cache)", file=sys.stderr)
    _print_summary(summary)
    if report is not None:
        from .batch.report import report_meta

        meta = report_meta(filename=inp.filename, created_at=started, rubric_version=rubric.version,
                           fmt=inp.format.name, encoding=inp.encoding)
        _write_report(report.to_dict(rubric, meta), args.report)
        print(f"report written to {args.report}", file=sys.stderr)
    return 0


def _confirm_judge(args) -> bool:
    """Print the judge's cost estimate (rows x expected tokens x price) and ask to go on."""
    from .batch.judge import estimate_cost

    if args.out.lower().endswith(".csv"):
        print("tactful: --judge writes JSONL output; use an --out ending in .jsonl", file=sys.stderr)
        return False
    with open(args.input, "rb") as f:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    cost = estimate_cost(rows, args.judge)
    money = f"about ${cost:,.2f}" if cost is not None else "unknown (no price for this model)"
    print(f"judge {args.judge}: up to {rows:,} calls, estimated cost {money} "
          f"(cached replies cost nothing)", file=sys.stderr)
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print("tactful: pass --yes to run the judge without a terminal to confirm", file=sys.stderr)
        return False
    return input("go on? [y/N] ").strip().lower() in ("y", "yes")


def _write_report(data: dict, path: str) -> None:
    from pathlib import Path

    if path.lower().endswith((".html", ".htm")):
        from .batch.report_html import render_html

        text = render_html(data)
    else:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    tmp = Path(path + ".part")  # written whole, then renamed: never a half-written report
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _print_summary(summary) -> None:
    d = summary.to_dict()
    err = sys.stderr
    print(f"{d['rows']} rows: {d['reviewed']} reviewed, {d['errors']} errors"
          + (f", {d['duplicates']} with a repeated id" if d.get("duplicates") else ""), file=err)
    if summary.undecodable:
        print(f"{summary.undecodable} rows are not valid {summary.encoding}: if the file is in another "
              f"encoding, give it with --encoding (e.g. gb18030, big5, utf-16)", file=err)
    if d["reviewed"]:
        print(f"pass rate {d['pass_rate']:.1%}, mean score {d['mean_score']}", file=err)
        for cat, n in d["findings_by_category"].items():
            print(f"  {cat:<26}{n:>8}  ({n / d['reviewed'] * 100:.1f} per 100 replies)", file=err)
    conv = d.get("conversations")
    if conv:
        rate = f"{conv['pass_rate']:.1%}" if conv["pass_rate"] is not None else "-"
        print(f"{conv['conversations']} conversations: {conv['scored']} with an agent turn, pass rate {rate}, "
              f"mean score {conv['mean_score'] if conv['mean_score'] is not None else '-'}", file=err)


def _draft(args) -> int:
    import asyncio

    from .drafting.models import ModelClient
    from .drafting.pipeline import create_draft
    from .schemas import DraftRequest
    from .settings import get_settings
    from .store import migrate

    settings = get_settings()
    if args.model is not None:
        settings = settings.replace(model="" if args.model == "offline" else args.model)
    from pydantic import ValidationError

    message = _text(args.message, args.message_file, "message", "--message or --message-file")
    try:
        req = DraftRequest(message=message, customer_name=args.customer_name,
                           order_id=args.order_id, channel=args.channel, lang=args.lang,
                           tone=args.tone)
    except ValidationError as e:  # one line naming the option, as the API names the field
        first = e.errors()[0]
        where = str(first["loc"][0]) if first["loc"] else ""
        option = {"message": "--message", "customer_name": "--customer-name", "order_id": "--order-id"}.get(where, where)
        raise InputError(f"{option}: {first['msg']}" if option else first["msg"], field=where or None) from None
    migrate(settings.db_path)
    draft = asyncio.run(create_draft(req, settings, _playbook(settings).load(),
                                     ModelClient.from_settings(settings)))
    if args.json:
        print(json.dumps(draft, ensure_ascii=False, indent=2))
    else:
        from .checker.review import Finding, Review

        if draft["subject"]:
            print(f"Subject: {draft['subject']}\n")
        r = draft["review"]
        _print_review(draft["text"], Review(r["lang"], r["score"], r["passed"], r["sections"],
                                            [Finding(**f) for f in r["findings"]]))
        t = draft["triage"]
        print(f"\n{t['scenario']} · {t['severity']} · respond within {t['respond_within']} · "
              f"{t['escalate_to']} · model {draft['model']} · id {draft['id']}")
    return 0 if draft["review"]["passed"] else 1


def _eval(args) -> int:
    from rich.console import Console

    from .eval import baseline as baselines
    from .eval.console import print_compare, print_run, print_verdict

    console = Console(highlight=False)
    if args.eval_command == "compare":
        a, b = baselines.load_results(args.a), baselines.load_results(args.b)
        print_compare(baselines.compare(a, b), (args.a, args.b), console)
        return 0

    from pathlib import Path

    from .eval.config import load_config
    from .eval.runner import run_suite, write_run
    include: dict[str, list[str]] = {}
    for item in args.include:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--include wants TAG=VALUE, not {item!r}", field="include")
        include.setdefault(key, []).append(value)
    path = Path(args.config or "eval/suite.yaml")  # the suite lives in a checkout, not the package
    if not path.is_file():
        raise InputError(f"no eval suite at {path}: run from a checkout or pass --config", field="config")
    config = load_config(path, model=args.model, cassettes=args.cassettes, include=include or None)
    base = baselines.load_results(args.baseline) if args.baseline else None

    show = not args.no_progress and sys.stderr.isatty()
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(f"eval ({config.model})", total=None)
            run = run_suite(config, on_done=lambda r: bar.advance(task),
                            record=Path(args.record) if args.record else None)
    else:
        run = run_suite(config, record=Path(args.record) if args.record else None)
    out = Path(args.out) if args.out else config.resolve("results")
    json_path, html_path = write_run(run, out)
    print_run(run, console, brief=args.quiet)
    verdict = baselines.gate(run, base, config.gate)
    print_verdict(verdict, args.baseline, console)
    console.print(f"results: {json_path}\nreport:  {html_path}")
    if args.record:
        console.print(f"cassettes: {args.record}")
    if args.write_baseline:
        Path(args.write_baseline).write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        console.print(f"baseline written: {args.write_baseline}")
    return 1 if verdict.failed else 0


def _serve(args) -> int:
    import uvicorn

    from .settings import get_settings

    from .web.protocol import TimedH11Protocol

    settings = get_settings()
    # the bind address decides whether API keys are required (auth=auto)
    settings = settings.replace(**{k: v for k, v in (
        ("host", args.host), ("port", args.port), ("workers", args.workers)) if v is not None})
    if settings.workers < 1:
        print("tactful: --workers must be at least 1", file=sys.stderr)
        return 2
    if settings.workers == 1:
        from .web.app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                    timeout_keep_alive=settings.keep_alive_s, http=TimedH11Protocol,
                    limit_concurrency=settings.max_connections)
        return 0
    # Worker processes build their app from the environment: pass the command line on.
    from .store import migrate

    migrate(settings.db_path)  # once, here, not racing in every worker
    os.environ.update(TACTFUL_HOST=settings.host, TACTFUL_PORT=str(settings.port),
                      TACTFUL_WORKERS=str(settings.workers))
    uvicorn.run("service.web.app:app_from_env", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level="info", timeout_keep_alive=settings.keep_alive_s,
                http=TimedH11Protocol, limit_concurrency=settings.max_connections)
    return 0


def _init(args) -> int:
    """Copy the built-in rubric (rules, policy, triage) and prompts into DIR for a company to
    edit, and say how to point the settings at it."""
    import shutil

    from .settings import DEFAULTS

    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target} exists and is not an empty folder; choose a new one", field="dir")
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("rubrics", "prompts"):
        shutil.copytree(DEFAULTS / name, target / name, ignore=ignore)
    root = target.resolve()
    print(f"wrote {root / 'rubrics'} (rubric, rules/, policy.yaml, triage.yaml) and {root / 'prompts'}")
    print("Point tactful at them (the policy follows the rubric folder):")
    print(f"  export TACTFUL_RUBRIC_DIR={root / 'rubrics'}")
    print(f"  export TACTFUL_PROMPT_DIR={root / 'prompts'}")
    return 0


def _keys(args) -> int:
    from .web import auth
    from . import store
    from .settings import get_settings

    path = get_settings().db_path
    store.migrate(path)
    if args.keys_command == "create":
        scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
        key_id, key = auth.create_key(path, args.name, scopes, rpm=args.rpm, tokens_per_day=args.tokens_per_day)
        print(f"key {key_id} created for {args.name} with scopes {','.join(sorted(set(scopes)))}.")
        print("Copy it now; it is not stored and cannot be shown again:")
        print(key)
    elif args.keys_command == "list":
        keys = auth.list_keys(path)
        if args.json:
            print(json.dumps(keys, ensure_ascii=False, indent=1))
        for k in [] if args.json else keys:
            state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
            print(f"{k['id']}  {k['name']:<20} {k['scopes']:<24} {k['rpm']:>5}/min {k['tokens_per_day']:>9} tokens/day  "
                  f"created {k['created_at']}  last used {k['last_used_at'] or '-'}  {state}")
        if not keys and not args.json:
            print("no keys yet: tactful keys create --name NAME --scopes review,draft")
    else:
        k = auth.revoke_key(path, args.id)
        print(f"key {k['id']} ({k['name']}) revoked at {k['revoked_at']}")
    return 0


def _secret_arg(value: str | None, file: str | None, what: str) -> str | None:
    """A secret given on the command line or, better (shell history, ps), in a file."""
    if value is not None and file is not None:
        raise InputError(f"give the {what} or the {what} file, not both", field=what)
    if file is not None:
        return Path(file).read_text(encoding="utf-8").strip()
    return value


def _connector(args) -> int:
    from . import store
    from .settings import get_settings

    settings = get_settings()
    path = settings.db_path
    store.migrate(path)
    command = args.connector_command
    if command == "work":
        return _connector_work(settings)
    from .connectors import accounts, outbox

    if command == "add":
        token = _secret_arg(args.token, args.token_file, "token")
        if not token:
            raise InputError("--token (or --token-file) is required: the API token tactful posts notes with",
                             field="token")
        account, made = accounts.add_account(
            path, args.name, args.account, token=token, base_url=args.base_url,
            secret=_secret_arg(args.secret, args.secret_file, "secret"), email=args.email, inboxes=args.inbox,
            owner=args.owner, admin_id=args.admin_id, replace=args.replace)
        shown = accounts.public(account)
        print(f"{account.key} added: {account.base_url}"
              + (f", inboxes {', '.join(account.inboxes)}" if account.inboxes else "")
              + (f", owned by key {account.owner}" if account.owner else ""))
        print(f"Webhook URL: https://<this tactful server>{shown['webhook']}")
        if made:
            print("The webhook secret, made for this account (copy it now; it is not shown again):")
            print(made)
    elif command == "list":
        rows = accounts.list_accounts(path)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1))
        for r in [] if args.json else rows:
            print(f"{r['connector']}/{r['account']}  {r['base_url']}  inboxes {','.join(r['inboxes']) or 'all'}  "
                  f"owner {r['owner'] or '-'}  webhook {r['webhook']}")
        if not rows and not args.json:
            print("no helpdesk accounts yet: tactful connector add chatwoot --account ID --base-url URL --token T")
    elif command == "remove":
        accounts.remove_account(path, args.name, args.account)
        print(f"{args.name}/{args.account} removed; its webhooks are now refused (404)")
    elif command == "deliveries":
        rows = outbox.list_deliveries(path, state=args.state, limit=args.limit)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1))
        for r in [] if args.json else rows:
            print(f"{r['id']:>6}  {r['state']:<8}  {r['connector']}/{r['account']} conversation {r['conversation_id']}  "
                  f"attempts {r['attempts']}  {r['updated_at']}" + (f"  {r['last_error']}" if r["last_error"] else ""))
    else:
        r = outbox.retry(path, args.id)
        print(f"delivery {r['id']} is {r['state']} again, due now")
    return 0


def _import(args) -> int:
    from . import store
    from .connectors.imports import parse_since, run_import
    from .settings import get_settings

    settings = get_settings()
    store.migrate(settings.db_path)
    result = run_import(settings, args.name, args.account, since=parse_since(args.since), limit=args.limit,
                        run_job=not args.queue)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    job = result["job"]
    if job is None:
        print(f"{result['connector']}/{result['account']}: nothing new since the last import")
        return 0
    print(f"{result['connector']}/{result['account']}: {result['conversations']} conversations imported "
          f"into batch {job['id']} ({job['rows_total']} messages)")
    if job["state"] == "done":
        print(f"scored: {job['rows_done']} messages, {job['errors']} unreadable; the report: /batches "
              f"(GET /v1/batches/{job['id']}/report)")
    else:
        print(f"batch {job['id']} is {job['state']}: the running tactful serve scores it (/batches)")
    return 0


def _connector_work(settings) -> int:
    """The outbox worker in this process, until SIGINT or SIGTERM (it finishes the delivery in
    hand; one killed outright is taken up again by the next worker once its lease runs out)."""
    import asyncio
    import signal
    import threading

    from .connectors.worker import Worker
    from .drafting.models import ModelClient

    playbook = _playbook(settings).load()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(settings, playbook, ModelClient.from_settings(settings))
    print(f"tactful connector worker {worker.name}: working {settings.db_path}", file=sys.stderr, flush=True)
    asyncio.run(worker.run(stop))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
