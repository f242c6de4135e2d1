"""Near-duplicates: the same wire story on several sites, lightly edited, is stored once; the other URLs are kept
as alternate sources of the stored article. MinHash over word shingles (datasketch), with an LSH index kept in
one SQLite file under the data directory so that every run sees what earlier runs stored."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis import words
from records import Answer

SHINGLE_WORDS = 3
NUM_PERM = 128
SCHEME = "affine32"  # datasketch's hashing scheme, named so that stored signatures stay comparable
# Estimated Jaccard similarity of 3-word shingles at or above which two texts are one story. Chosen with
# `python bench/near_duplicates.py ../shared/data/news-ar/articles` (bench/README.md): copies of the 195
# news-ar articles edited as another outlet runs a wire story score 0.23 and more at the 1st percentile
# (median 0.57), while the most similar pair of distinct articles scores 0.06; 0.2 finds nearly every copy and
# stays three times above what distinct articles share (0 of 18,915 pairs). 5-word shingles separate as well but
# score copies lower (1st percentile 0.18), where MinHash's estimate is noisier.
THRESHOLD = 0.2
FILE = "near-duplicates.sqlite3"  # under the data directory


def shingles(text: str) -> set[str]:
    """The text's runs of SHINGLE_WORDS normalised words (the whole text, when it is shorter)."""
    found = words(text)
    return {" ".join(found[i : i + SHINGLE_WORDS]) for i in range(max(1, len(found) - SHINGLE_WORDS + 1))}


def signature(text: str):
    """The text's MinHash."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([shingle.encode() for shingle in shingles(text)])
    return minhash


class NearDuplicates:
    """Signatures of stored articles, and the URLs found to be copies of them."""

    def __init__(self, data_dir: Path):
        from datasketch import MinHash, MinHashLSH

        data_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(data_dir / FILE, timeout=30, check_same_thread=False)
        self.db.executescript(
            "create table if not exists signatures (article_id text primary key, hashvalues blob not null);"
            "create table if not exists alternates (url text primary key, article_id text not null);"
        )
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.signatures = {}
        for article_id, blob in self.db.execute("select article_id, hashvalues from signatures"):
            self.signatures[article_id] = MinHash(
                num_perm=NUM_PERM, scheme=SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint64)
            )
            self.lsh.insert(article_id, self.signatures[article_id])

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def original(self, article_id: str, text: str) -> str | None:
        """The id of a stored article (another one) that this text is a near-duplicate of, if any."""
        minhash = signature(text)
        # LSH returns candidates around the threshold; each is checked against its stored signature.
        found = [other for other in self.lsh.query(minhash)
                 if other != article_id and minhash.jaccard(self.signatures[other]) >= THRESHOLD]
        return min(found) if found else None

    def add(self, article_id: str, text: str) -> None:
        """Index a stored article (again, when its text changed)."""
        minhash = signature(text)
        if article_id in self.signatures:
            self.lsh.remove(article_id)
        self.lsh.insert(article_id, minhash)
        self.signatures[article_id] = minhash
        with self.db:
            stored = np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()
            self.db.execute("insert or replace into signatures values (?, ?)", (article_id, stored))

    def forget(self, article_id: str) -> None:
        """Drop a deleted article's signature and alternate URLs."""
        if self.signatures.pop(article_id, None) is not None:
            self.lsh.remove(article_id)
        _forget(self.db, article_id)

    def add_alternate(self, url: str, article_id: str) -> None:
        """Remember `url` as another source of the stored article."""
        with self.db:
            self.db.execute("insert or replace into alternates values (?, ?)", (url, article_id))

    def alternates(self, article_id: str) -> list[str]:
        """The other URLs of a stored article."""
        return _alternates(self.db, [article_id]).get(article_id, [])


def _forget(db: sqlite3.Connection, article_id: str) -> None:
    with db:
        db.execute("delete from signatures where article_id = ?", (article_id,))
        db.execute("delete from alternates where article_id = ?", (article_id,))


def forget_deleted(data_dir: Path, article_id: str) -> None:
    """What NearDuplicates.forget does to the file, without loading every signature: for a deletion outside an
    ingest (the API's)."""
    if (data_dir / FILE).exists():
        with closing(sqlite3.connect(data_dir / FILE, timeout=30)) as db:
            _forget(db, article_id)


def _alternates(db: sqlite3.Connection, article_ids: list[str]) -> dict[str, list[str]]:
    rows = db.execute(
        f"select article_id, url from alternates where article_id in ({','.join('?' * len(article_ids))}) order by url",
        article_ids,
    )
    found: dict[str, list[str]] = {}
    for article_id, url in rows:
        found.setdefault(article_id, []).append(url)
    return found


class AlternateSources:
    """What answers need of the near-duplicates file, read without loading its signatures (the app is a reader:
    ingest writes the file, maybe in another process, and each call here sees what it last committed)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / FILE

    def _read(self) -> sqlite3.Connection | None:
        if not self.path.exists():
            return None  # nothing was ever ingested from the web
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def of(self, article_ids: list[str]) -> dict[str, list[str]]:
        """The alternate URLs of each of these articles that has some."""
        if not article_ids or (db := self._read()) is None:
            return {}
        with closing(db):
            return _alternates(db, list(dict.fromkeys(article_ids)))

    def attach(self, answer: Answer) -> None:
        """Give each of the answer's passages the alternate URLs of its article."""
        found = self.of([p.chunk.article_id for p in answer.passages])
        answer.passages = [replace(p, alternates=tuple(found.get(p.chunk.article_id, ()))) for p in answer.passages]

    def article_of(self, url: str) -> str | None:
        """The id of the stored article that `url` is a copy of, if it is one."""
        if (db := self._read()) is None:
            return None
        with closing(db):
            row = db.execute("select article_id from alternates where url = ?", (url,)).fetchone()
        return row[0] if row else None
