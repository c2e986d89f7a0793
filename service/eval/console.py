"""What `tactful eval` prints: tables per scorer and per tag, the gate's verdict, and two runs
side by side. Rendering only; the figures come from runner.py and baseline.py."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .baseline import Verdict

__all__ = ["print_run", "print_verdict", "print_compare"]


def _f(x, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _delta(a, b) -> str:
    if a is None or b is None:
        return ""
    d = b - a
    if abs(d) < 0.0005:
        return "[dim]=[/dim]"
    return f"[green]+{d:.3f}[/green]" if d > 0 else f"[red]{d:.3f}[/red]"


def print_run(run: dict, console: Console, brief: bool = False) -> None:
    s = run["stats"]
    console.print(f"[bold]eval[/bold] model={run['model']} cases={s['cases']} passed={s['passed']} "
                  f"failed={s['failed']} errors={s['errors']} pass rate={s['pass_rate']:.3f} "
                  f"mean score={s['score']:.3f} in {s.get('duration_s', 0):.1f}s")
    if brief:
        return
    t = Table(title="By scorer", title_justify="left")
    for col in ("scorer", "mean", "pass rate", "weight", "threshold"):
        t.add_column(col, justify="left" if col == "scorer" else "right")
    for name, v in s["scorers"].items():
        t.add_row(name, _f(v["mean"]), _f(v["pass_rate"]), f"{v['weight']:g}", _f(v["threshold"], 2))
    console.print(t)
    t = Table(title="By tag", title_justify="left")
    for col in ("tag", "value", "cases", "passed", "pass rate", "mean score"):
        t.add_column(col, justify="left" if col in ("tag", "value") else "right")
    for key, groups in s["tags"].items():
        for value, g in groups.items():
            low = g["pass_rate"] < s["pass_rate"] - 0.1
            t.add_row(key, value, str(g["cases"]), str(g["passed"]),
                      f"[red]{g['pass_rate']:.3f}[/red]" if low else f"{g['pass_rate']:.3f}", _f(g["score"]))
    console.print(t)
    failing = [r for r in run["results"] if not r["passed"]]
    if failing:
        t = Table(title="Failing cases", title_justify="left")
        t.add_column("case")
        t.add_column("score", justify="right")
        t.add_column("why")
        for r in failing:
            why = r["error"] or "; ".join(f"{n}: {v['reason']}" for n, v in r["scores"].items() if not v["pass"])
            t.add_row(r["id"], _f(r["score"]), why)
        console.print(t)
    u = s.get("usage") or {}
    if u.get("model_calls"):
        console.print(f"model calls {u['model_calls']}, tokens {u['prompt_tokens']}+{u['completion_tokens']}, "
                      f"cost ${u['cost_usd']:.4f}")


def print_verdict(v: Verdict, baseline_path: str | None, console: Console) -> None:
    for line in v.notes:
        console.print(f"[yellow]note[/yellow] {line}")
    for line in v.improvements:
        console.print(f"[green]better[/green] {line}")
    for line in v.regressions:
        console.print(f"[red]REGRESSION[/red] {line}")
    against = f" against {baseline_path}" if baseline_path else ""
    if v.failed:
        console.print(f"[bold red]FAIL[/bold red]: {len(v.regressions)} regression(s){against}")
    else:
        console.print(f"[bold green]OK[/bold green]: no regression{against}")


def print_compare(cmp: dict, names: tuple[str, str], console: Console) -> None:
    a, b = names
    t = Table(title="Runs", title_justify="left")
    t.add_column("")
    t.add_column(f"A {a}")
    t.add_column(f"B {b}")
    for key in cmp["runs"][0]:
        t.add_row(key, str(cmp["runs"][0][key]), str(cmp["runs"][1][key]))
    console.print(t)
    t = Table(title="Aggregates", title_justify="left")
    for col in ("figure", "A", "B", "B-A"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    for key, x, y in cmp["aggregates"]:
        t.add_row(key, _f(x), _f(y), _delta(x, y))
    console.print(t)
    t = Table(title="By tag (mean score, pass rate)", title_justify="left")
    for col in ("tag", "score A", "score B", "B-A", "pass A", "pass B"):
        t.add_column(col, justify="left" if col == "tag" else "right")
    for key, sa, sb, pa, pb in cmp["tags"]:
        t.add_row(key, _f(sa), _f(sb), _delta(sa, sb), _f(pa), _f(pb))
    console.print(t)
    if cmp["cases"]:
        t = Table(title="Cases that changed", title_justify="left")
        for col in ("case", "A", "B", "what"):
            t.add_column(col, justify="right" if col in ("A", "B") else "left")
        for c in cmp["cases"]:
            t.add_row(c["id"], _f(c["a"]), _f(c["b"]), c["what"])
        console.print(t)
    else:
        console.print("No case changed.")
