"""Knowledge-base search: quality on the labelled questions and speed at 1,000 articles.

    .venv/bin/python bench/kb.py [--articles 1000] [--queries 2000] [--write-docs]

Quality: Hit@1 / Hit@3 of the labelled questions (tests/data/kb_questions.yaml) against config/kb.yaml,
for the knowledge base (jieba search-mode words + BM25 + category/line boosts) and, as the baseline measured
in the same run, a naive ranking by shared character bigrams (what a LIKE-style search gives).
Speed: the seed plus synthetic articles (sentences of the seed recombined under new titles, categories and
lines) up to --articles; index build time, search p50/p99 for the questions, and the hint latency the
screen-pop adds (KnowledgeBase.hints_for, including its Redis version check) on a throwaway Redis.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hotline.admin import audit  # noqa: E402
from hotline.core.config import CONFIG_DIR  # noqa: E402
from hotline.core.redis_server import throwaway_redis  # noqa: E402
from hotline.kb.model import Article, ArticleIn  # noqa: E402
from hotline.kb.search import Index, tokenizer  # noqa: E402
from hotline.kb.seed import load_seed  # noqa: E402
from hotline.kb.service import KnowledgeBase  # noqa: E402
from hotline.tickets.taxonomy import default_taxonomy  # noqa: E402

from _common import pct, write_doc_section  # noqa: E402

TODAY = dt.date(2026, 11, 28)
QUESTIONS = yaml.safe_load((ROOT / "tests/data/kb_questions.yaml").read_text(encoding="utf-8"))["questions"]


def corpus(n: int, seed: int = 7) -> list[ArticleIn]:
    base = load_seed(CONFIG_DIR / "kb.yaml")
    rng = random.Random(seed)
    sentences = [s for a in base for s in a.body.replace("\n", "。").split("。") if len(s) > 8]
    categories = default_taxonomy().category_names
    out = list(base)
    while len(out) < n:
        body = "。".join(rng.sample(sentences, 4)) + "。"
        out.append(ArticleIn(title=f"{rng.choice(categories)}常见问题 {len(out)}", body=body,
                             categories=[rng.choice(categories)], lines=rng.choice([[], [], ["tourism"], ["business"]])))
    return out


def as_articles(items: list[ArticleIn]) -> list[Article]:
    return [Article(**a.model_dump(), id=f"kb-{i}", updated_at=0, updated_by="bench") for i, a in enumerate(items, 1)]


def bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def naive_top(articles: list[Article], q: str, k: int = 3) -> list[str]:
    grams = bigrams(q)
    scored = sorted(articles, key=lambda a: -len(grams & bigrams(a.title + a.body + "".join(a.keywords))))
    return [a.title for a in scored[:k]]


def quality(articles: list[Article]) -> dict:
    index = Index(articles)
    res = {"kb": [0, 0], "naive": [0, 0]}
    for q in QUESTIONS:
        kb = [h.article.title for h in index.search(q["q"], category=q["category"], line=q.get("line", ""), today=TODAY)]
        naive = naive_top(articles, q["q"])
        for name, top in (("kb", kb), ("naive", naive)):
            res[name][0] += bool(top) and top[0] == q["expect"]
            res[name][1] += q["expect"] in top
    return {k: (v[0] / len(QUESTIONS), v[1] / len(QUESTIONS)) for k, v in res.items()}


def speed(articles: list[Article], queries: int) -> dict:
    started = time.perf_counter()
    index = Index(articles)
    build_ms = (time.perf_counter() - started) * 1000
    kb_ms, naive_ms = [], []
    for i in range(queries):
        q = QUESTIONS[i % len(QUESTIONS)]
        t = time.perf_counter()
        index.search(q["q"], category=q["category"], line=q.get("line", ""), today=TODAY)
        kb_ms.append((time.perf_counter() - t) * 1000)
        if i < 200:   # the baseline is slow: a sample is enough
            t = time.perf_counter()
            naive_top(articles, q["q"])
            naive_ms.append((time.perf_counter() - t) * 1000)
    return {"build_ms": build_ms, "kb": kb_ms, "naive": naive_ms}


async def hint_latency(items: list[ArticleIn], n: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp, throwaway_redis(Path(tmp)) as sock:
        redis = aioredis.Redis(unix_socket_path=str(sock), decode_responses=True)
        kb = KnowledgeBase(redis, today=lambda: TODAY, categories=set(default_taxonomy().category_names),
                           lines={"business", "tourism", "general"})
        actor = audit.Actor("bench", "admin", "bench")
        for a in items:
            await kb.create(a, actor)
        await kb.index()
        out = []
        for i in range(n):
            q = QUESTIONS[i % len(QUESTIONS)]
            ticket = {"hanzi": {"text": q["q"]}, "category": q["category"], "line": q.get("line", "general")}
            t = time.perf_counter()
            await kb.hints_for(ticket, {})
            out.append((time.perf_counter() - t) * 1000)
        await redis.aclose()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    t = time.perf_counter()
    tokenizer()
    dict_ms = (time.perf_counter() - t) * 1000
    seed = as_articles(load_seed(CONFIG_DIR / "kb.yaml"))
    q_seed = quality(seed)
    items = corpus(args.articles)
    big = as_articles(items)
    q_big = quality(big)
    s = speed(big, args.queries)
    hints = asyncio.run(hint_latency(items, args.queries // 2))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        "| ranking | articles | Hit@1 | Hit@3 | search p50 ms | search p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
        f"| jieba + BM25 (knowledge base) | {len(seed)} | {q_seed['kb'][0]:.0%} | {q_seed['kb'][1]:.0%} | — | — |",
        f"| character bigrams (baseline) | {len(seed)} | {q_seed['naive'][0]:.0%} | {q_seed['naive'][1]:.0%} | — | — |",
        f"| jieba + BM25 (knowledge base) | {len(big)} | {q_big['kb'][0]:.0%} | {q_big['kb'][1]:.0%} | "
        f"{pct(s['kb'], .5):.2f} | {pct(s['kb'], .99):.2f} |",
        f"| character bigrams (baseline) | {len(big)} | {q_big['naive'][0]:.0%} | {q_big['naive'][1]:.0%} | "
        f"{pct(s['naive'], .5):.2f} | {pct(s['naive'], .99):.2f} |",
    ]
    section = "\n".join([
        "<!-- bench/kb.py:start -->", "## Knowledge-base search (bench/kb.py)", "",
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} with `.venv/bin/python bench/kb.py --articles {args.articles} "
        f"--queries {args.queries}` on the shared 2-core sandbox. {len(QUESTIONS)} labelled caller questions "
        "(tests/data/kb_questions.yaml) against the seed articles (config/kb.yaml), then with synthetic articles "
        f"up to {len(big)} (the seed's sentences recombined under other titles: distractors).", "",
        *rows, "",
        f"- Index build for {len(big)} articles: {s['build_ms']:.0f} ms (off the event loop, only after an edit); "
        f"jieba dictionary load {dict_ms:.0f} ms once per process (at start).",
        f"- Hint latency the screen-pop adds (`KnowledgeBase.hints_for`: Redis version check + search + "
        f"Markdown of 3 articles), {len(hints)} pops: p50 {pct(hints, .5):.2f} ms, p99 {pct(hints, .99):.2f} ms "
        "(budget ≤ 50 ms p99).",
        f"- Peak RSS of the benchmark process: {rss:.0f} MB.",
        "<!-- bench/kb.py:end -->", ""])
    print(section)
    if args.write_docs:
        write_doc_section(ROOT / "docs/performance.md", "<!-- bench/kb.py:start -->", "<!-- bench/kb.py:end -->", section)


if __name__ == "__main__":
    main()
