"""The offline eval suite: golden cases, scorers, results, the regression gate.

    config.py      eval/suite.yaml: cases, model, scorers (weight, threshold), gate
    cases.py       the golden cases (eval/cases.yaml)
    scorers.py     structure, rubric, facts, concreteness, similarity (chrF), language
    cassettes.py   recorded model answers replayed through respx (`--model mock`), and recording
    runner.py      draft + score every case concurrently; the results document
    baseline.py    compare two runs; the gate against a committed baseline
    report_html.py the self-contained HTML report of a run

`tactful eval run` and `tactful eval compare` (service/cli.py) are the entry points.
"""
