"""Text analysis under the web app's load: questions are analysed in parallel threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from analysis import stem


def test_stemming_gives_the_same_stems_from_parallel_threads():
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    generator = random.Random(7)
    words = ["ال" + "".join(generator.choices(letters, k=generator.randint(3, 9))) for _ in range(3000)]
    words += ["".join(generator.choices("abcdefghijklmnopqrstuvwxyz", k=generator.randint(3, 12))) for _ in range(3000)]
    uncached = stem.__wrapped__  # the cache would hand back stems computed before, hiding a race
    expected = [uncached(word) for word in words]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            assert list(pool.map(uncached, words, chunksize=50)) == expected
