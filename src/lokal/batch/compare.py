"""`lokal batch compare`: the same tasks on several models, in one HTML report a person can read.

Per model: latency (mean, p50, p95), tokens per second, answer length, failures, and — with
expected answers — exact and contains matches and, with a judge model, judged correctness; the
agreement between each pair of models; bar charts (inline SVG, no scripts); every answer side by
side. All model output is HTML-escaped. The same numbers go to report.json.
"""

from __future__ import annotations

import html
import json
import re
import statistics
from pathlib import Path
from typing import Any

import httpx

from .jsonl import schema_format

VERDICT = {"type": "object", "properties": {"correct": {"type": "boolean"}}, "required": ["correct"],
           "additionalProperties": False}


def result_file(output: Path, model: str) -> Path:
    return output / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', model)}.jsonl"


def answer_of(body: Any) -> str:
    try:
        choice = body["choices"][0]
        return choice["message"]["content"] if "message" in choice else choice["text"]
    except (KeyError, IndexError, TypeError):
        return ""


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def prompt_of(task: dict[str, Any]) -> str:
    body = task["body"]
    if "messages" in body:
        return next((m.get("content", "") for m in reversed(body["messages"]) if m.get("role") == "user"), "")
    return str(body.get("prompt", body.get("input", "")))


def expected_of(task: dict[str, Any], field: str | None) -> str | None:
    if not field:
        return None
    for source in (task.get("row") or {}, task, task["body"]):
        if field in source and source[field] is not None:
            return str(source[field])
    return None


def load_results(output: Path, model: str) -> dict[str, dict[str, Any]]:
    path = result_file(output, model)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return {line["custom_id"]: line for line in lines}


async def judge_answers(client: httpx.AsyncClient, judge: str, tasks: list[dict[str, Any]], models: list[str],
                        output: Path, field: str) -> dict[str, dict[str, bool]]:
    verdicts: dict[str, dict[str, bool]] = {}
    for model in models:
        results = load_results(output, model)
        verdicts[model] = {}
        for task in tasks:
            expected = expected_of(task, field)
            line = results.get(task["custom_id"])
            if expected is None or line is None or line["response"]["status_code"] != 200:
                continue
            question = (f"Question: {prompt_of(task)}\nExpected answer: {expected}\n"
                        f"Candidate answer: {answer_of(line['response']['body'])}\n"
                        "Does the candidate answer give the expected answer? Reply in JSON.")
            response = await client.post("/v1/chat/completions", json={
                "model": judge, "messages": [{"role": "user", "content": question}], "temperature": 0,
                "response_format": schema_format(VERDICT)})
            try:
                verdicts[model][task["custom_id"]] = bool(json.loads(answer_of(response.json()))["correct"])
            except (ValueError, KeyError, TypeError):
                continue
    return verdicts


def summarise(tasks: list[dict[str, Any]], models: list[str], output: Path, field: str | None,
              verdicts: dict[str, dict[str, bool]] | None, timings: dict[str, dict[str, float]]) -> dict[str, Any]:
    rows = []
    answers: dict[str, dict[str, str]] = {}
    summary: dict[str, Any] = {}
    for model in models:
        results = load_results(output, model)
        ok = {cid: line for cid, line in results.items() if line["response"]["status_code"] == 200}
        answers[model] = {cid: answer_of(line["response"]["body"]) for cid, line in ok.items()}
        seconds = [timings.get(model, {}).get(cid) for cid in ok if timings.get(model, {}).get(cid) is not None]
        tokens = sum(int((line["response"]["body"].get("usage") or {}).get("completion_tokens") or 0) for line in ok.values())
        stats: dict[str, Any] = {
            "tasks": len(tasks), "completed": len(ok), "failed": len(results) - len(ok),
            "latency_mean_s": statistics.mean(seconds) if seconds else None,
            "latency_p50_s": statistics.median(seconds) if seconds else None,
            "latency_p95_s": sorted(seconds)[int(len(seconds) * 0.95)] if seconds else None,
            "tokens_per_second": tokens / sum(seconds) if seconds and sum(seconds) else None,
            "answer_chars_mean": statistics.mean(len(a) for a in answers[model].values()) if ok else None,
        }
        judged = [t for t in tasks if expected_of(t, field) is not None]
        if judged:
            stats["exact"] = sum(normalise(answers[model].get(t["custom_id"], "")) == normalise(expected_of(t, field) or "")
                                 for t in judged) / len(judged)
            stats["contains"] = sum(normalise(expected_of(t, field) or "") in normalise(answers[model].get(t["custom_id"], ""))
                                    for t in judged) / len(judged)
        if verdicts and verdicts.get(model):
            stats["judged_correct"] = sum(verdicts[model].values()) / len(verdicts[model])
        summary[model] = stats
    agreement = {}
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            shared = [cid for cid in answers[a] if cid in answers[b]]
            agreement[f"{a} ~ {b}"] = (sum(normalise(answers[a][c]) == normalise(answers[b][c]) for c in shared)
                                       / len(shared)) if shared else None
    for task in tasks:
        rows.append({"custom_id": task["custom_id"], "prompt": prompt_of(task), "expected": expected_of(task, field),
                     "answers": {m: answers[m].get(task["custom_id"]) for m in models},
                     "judged": {m: (verdicts or {}).get(m, {}).get(task["custom_id"]) for m in models}})
    return {"models": models, "summary": summary, "agreement": agreement, "tasks": rows}


def bars(title: str, values: dict[str, float | None], unit: str) -> str:
    shown = {k: v for k, v in values.items() if v is not None}
    if not shown:
        return ""
    top = max(shown.values()) or 1.0
    height = 28 * len(shown) + 30
    parts = [f'<svg class="chart" viewBox="0 0 600 {height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="16" class="title">{html.escape(title)}</text>']
    for i, (name, value) in enumerate(shown.items()):
        y = 28 + i * 28
        width = 240 * value / top
        parts.append(f'<text x="0" y="{y + 14}">{html.escape(name[:28])}</text>'
                     f'<rect x="190" y="{y}" width="{width:.1f}" height="18" rx="3"/>'
                     f'<text x="{196 + width:.1f}" y="{y + 14}">{value:.3g} {html.escape(unit)}</text>')
    return "".join(parts) + "</svg>"


STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2329;background:#fff}
table{border-collapse:collapse;margin:1rem 0;width:100%}td,th{border:1px solid #d5dbe1;padding:.4rem .6rem;
vertical-align:top;text-align:left}th{background:#f3f5f7}td.answer{white-space:pre-wrap;max-width:28rem}
.chart{width:600px;max-width:100%;margin:.5rem 1.5rem .5rem 0}.chart rect{fill:#3b6fd8}.chart text{font-size:12px;fill:#1d2329}
.chart .title{font-weight:600}.yes{color:#137333}.no{color:#b3261e}
@media (prefers-color-scheme:dark){body{background:#15181b;color:#e3e7ea}th{background:#22272c}
td,th{border-color:#3a4149}.chart text{fill:#e3e7ea}}"""


def render(report: dict[str, Any]) -> str:
    e = html.escape
    models, summary = report["models"], report["summary"]

    def cell(value: Any) -> str:
        return "–" if value is None else f"{value:.3g}" if isinstance(value, float) else e(str(value))

    keys = [k for k in ("completed", "failed", "latency_mean_s", "latency_p50_s", "latency_p95_s", "tokens_per_second",
                        "answer_chars_mean", "exact", "contains", "judged_correct") if any(k in summary[m] for m in models)]
    head = "".join(f"<th>{e(m)}</th>" for m in models)
    table = "".join(f"<tr><th>{e(k)}</th>" + "".join(f"<td>{cell(summary[m].get(k))}</td>" for m in models) + "</tr>"
                    for k in keys)
    charts = bars("latency, mean (s)", {m: summary[m]["latency_mean_s"] for m in models}, "s") + \
        bars("tokens per second", {m: summary[m]["tokens_per_second"] for m in models}, "tok/s")
    if any("contains" in summary[m] for m in models):
        charts += bars("contains expected answer", {m: summary[m].get("contains") for m in models}, "")
    agreement = "".join(f"<tr><td>{e(pair)}</td><td>{cell(v)}</td></tr>" for pair, v in report["agreement"].items())
    rows = []
    for task in report["tasks"]:
        answers = ""
        for m in models:
            verdict = task["judged"].get(m)
            mark = "" if verdict is None else (' <span class="yes">✓</span>' if verdict else ' <span class="no">✗</span>')
            answers += f'<td class="answer">{e(task["answers"].get(m) or "")}{mark}</td>'
        rows.append(f"<tr><td>{e(task['custom_id'])}</td><td class=\"answer\">{e(task['prompt'])}</td>"
                    f"<td>{e(task['expected'] or '')}</td>{answers}</tr>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>lokal compare</title>"
            f"<meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>"
            f"<h1>Model comparison</h1><p>{len(report['tasks'])} tasks · {e(', '.join(models))}</p>"
            f"<h2>Summary</h2><table><tr><th></th>{head}</tr>{table}</table><div>{charts}</div>"
            f"<h2>Agreement</h2><table><tr><th>models</th><th>same answer</th></tr>{agreement}</table>"
            f"<h2>Answers</h2><table><tr><th>task</th><th>prompt</th><th>expected</th>{head}</tr>{''.join(rows)}</table>"
            "</body></html>")


def build_report(tasks: list[dict[str, Any]], models: list[str], output: Path, field: str | None,
                 verdicts: dict[str, dict[str, bool]] | None, timings: dict[str, dict[str, float]]) -> tuple[Path, Path]:
    report = summarise(tasks, models, output, field, verdicts, timings)
    data = output / "report.json"
    data.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    page = output / "report.html"
    page.write_text(render(report))
    return page, data
