"""Chinese full-text search over the articles: jieba segments the words (search mode, so 旅游景区 also
matches 景区), bm25s ranks them (BM25), and the call's category and line break ties and filter.

An index is immutable: the service builds a new one when the store's version moves (an admin edit), so a
search never sees a half-updated index. Expired / not yet valid articles and articles for other lines are
filtered out at query time (the date changes without an edit).
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass

import bm25s
import jieba
import numpy as np

from hotline.kb.model import Article

# words that carry no topic: without them "我想问一下" matches every article a little
STOPWORDS = frozenset("的 了 是 我 你 他 她 它 们 在 有 和 就 也 都 还 要 会 能 这 那 个 吗 呢 吧 啊 呀 嗯 哦 一下 一个 "
                      "什么 怎么 怎么办 请问 想 问 问问 知道 可以 没有 不 没 说 给 让 到 去 来 对 把 被 从 跟 "
                      "您好 你好 喂 就是 那个 这个 然后 因为 所以 但是 如果 我们 你们 他们 现在 今天 一直 已经 "
                      "热线 12345 反映 投诉 咨询 帮忙 麻烦 谢谢".split())
_WORD = re.compile(r"\w", re.UNICODE)
_MARKDOWN = re.compile(r"[#>*_`\[\]()!|~-]+")
TITLE_WEIGHT, KEYWORD_WEIGHT = 3, 3      # a word in the title or keywords counts like several in the body
CATEGORY_BOOST, LINE_BOOST = 0.3, 0.1    # fraction of the best text score added for a matching category / line

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process, its dictionary loaded once (~1 s; `warm_up` at start)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(60)   # jieba prints its dictionary loading to stderr otherwise
            tok = jieba.Tokenizer()
            tok.initialize()
            _tokenizer = tok
        return _tokenizer


def words(text: str) -> list[str]:
    """Search-mode segmentation, lower-cased, without punctuation and stopwords."""
    cut = tokenizer().cut_for_search(_MARKDOWN.sub(" ", text or ""))
    return [w.lower() for w in (t.strip() for t in cut) if w and _WORD.search(w) and w not in STOPWORDS]


def add_words(terms: list[str]) -> None:
    """Admin keywords and taxonomy terms stay whole words (e.g. 文旅专线, 不动产登记)."""
    tok = tokenizer()
    for term in terms:
        if term and len(term) <= 20:
            tok.add_word(term)


def article_words(article: Article) -> list[str]:
    return (words(article.title) * TITLE_WEIGHT + [w for k in article.keywords for w in words(k)] * KEYWORD_WEIGHT
            + words(article.body) + [c.lower() for c in article.categories])


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    matched: tuple[str, ...]   # query words found in the article (why it was suggested)


class Index:
    def __init__(self, articles: list[Article], version: str = ""):
        self.version = version
        self.articles = articles
        add_words([k for a in articles for k in a.keywords])
        self.docs = [article_words(a) for a in articles]
        self.vocab = [set(d) for d in self.docs]
        self.bm25: bm25s.BM25 | None = None
        if articles:
            self.bm25 = bm25s.BM25()
            self.bm25.index(self.docs, show_progress=False)

    def search(self, text: str, *, category: str = "", line: str = "", today: dt.date, k: int = 3,
               min_score: float = 0.0) -> list[Hit]:
        query = list(dict.fromkeys(words(text)))
        if self.bm25 is None or not query:
            return []
        known = [w for w in query if any(w in v for v in self.vocab)]
        if not known:
            return []
        scores = np.asarray(self.bm25.get_scores(known), dtype=float)
        best = float(scores.max()) if scores.size else 0.0
        ranked: list[Hit] = []
        for i in np.argsort(-scores):
            score = float(scores[i])
            if score <= min_score:
                break
            article = self.articles[i]
            if not article.valid_on(today) or (line and article.lines and line not in article.lines):
                continue
            score += best * (CATEGORY_BOOST * (category in article.categories) + LINE_BOOST * (line in article.lines))
            ranked.append(Hit(article, score, tuple(w for w in known if w in self.vocab[i])))
            if len(ranked) >= k * 3:   # enough candidates for the boosts to reorder
                break
        return sorted(ranked, key=lambda h: -h.score)[:k]
