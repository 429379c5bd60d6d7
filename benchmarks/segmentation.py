"""Segmentation speed and exactness, side by side with the JavaScript peers in one run.

    python benchmarks/segmentation.py [--rounds 5] [--size 100000]

Needs Node.js; installs the peers (`npm install` in this folder) when missing.
Counting is compared with `sms-length`, full splitting with `split-sms`, and
Twilio's `sms-segments-calculator` on a 10k subset for reference. Rounds are
interleaved (ours, then theirs) and each figure is the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from smsmock.encoding import default_charset, measure, segment

HERE = Path(__file__).resolve().parent
SEED = 20261122

GSM_BASIC = sorted(char for char, septets in default_charset().encode.items() if len(septets) == 1)
GSM_EXTENSION = sorted(char for char, septets in default_charset().encode.items() if len(septets) == 2)
WORDS_BMP = "абвгдежзийклмнопрстуфхцчшщыэюяçãõâêôáíóúğışαβγδεζηθ你好世界ありがとう"
EMOJI = ["😀", "👍", "🎉", "❤️", "🇸🇪", "👨‍👩‍👧", "🙂", "🚀"]


def pick(rng: random.Random, rare: Sequence[str], common: Sequence[str], share: float) -> str:
    return rng.choice(rare) if rng.random() < share else rng.choice(common)


def build_corpus(size: int, seed: int = SEED) -> list[str]:
    """60% GSM, 15% GSM with extension characters, 25% UCS-2 (half with emoji); 1-600 characters."""
    rng = random.Random(seed)
    texts = []
    for _ in range(size):
        length = rng.randint(1, 600)
        kind = rng.random()
        if kind < 0.60:
            chars = rng.choices(GSM_BASIC, k=length)
        elif kind < 0.75:
            chars = [pick(rng, GSM_EXTENSION, GSM_BASIC, 0.05) for _ in range(length)]
            chars[rng.randrange(length)] = rng.choice(GSM_EXTENSION)
        else:
            chars = [pick(rng, WORDS_BMP, GSM_BASIC, 0.3) for _ in range(length)]
            chars[rng.randrange(length)] = rng.choice(WORDS_BMP)
            if kind >= 0.875:
                for _ in range(rng.randint(1, 6)):
                    chars[rng.randrange(length)] = rng.choice(EMOJI)
        texts.append("".join(chars))
    return texts


def time_ours(function, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - start


def run_peers(corpus_file: Path, answers: bool = False) -> dict:
    command = ["node", str(HERE / "peers.mjs"), str(corpus_file)] + (["--answers"] if answers else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def ensure_peers() -> None:
    if not (HERE / "node_modules" / "split-sms").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)


def disagreements(texts: list[str], subset: list[int], peers: dict) -> dict[str, Counter]:
    """Where each peer's encoding or part count differs from ours, by kind of text, with an example."""
    found: dict[str, Counter] = {}
    examples: dict[str, dict[str, str]] = {}
    ours = [segment(text) for text in texts]

    def kind(text: str, result) -> str:
        if result.encoding.value == "UCS2":
            return "UCS-2 with astral characters" if any(ord(c) > 0xFFFF for c in text) else "UCS-2 BMP"
        return "GSM with extension characters" if result.double_septet_chars else "GSM basic"

    for name, rows in (
        ("sms-length", peers["sms-length"]["answers"]),
        ("split-sms", peers["split-sms"]["answers"]),
        ("sms-segments-calculator", peers["sms-segments-calculator"]["answers"]),
    ):
        indices = subset if name == "sms-segments-calculator" else range(len(texts))
        counter = found.setdefault(name, Counter())
        for index, (encoding, answer) in zip(indices, rows, strict=True):
            mine = ours[index]
            parts = len(answer) if isinstance(answer, list) else answer
            if encoding != mine.encoding.value or parts != mine.segments:
                key = kind(texts[index], mine)
                counter[key] += 1
                examples.setdefault(name, {}).setdefault(
                    key, f"{key}: {encoding}/{parts} parts vs ours {mine.encoding.value}/{mine.segments}"
                )
            elif isinstance(answer, list) and "".join(answer) != texts[index]:
                counter["parts do not join back to the text"] += 1
    return found, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    ensure_peers()

    texts = build_corpus(args.size)
    subset = list(range(0, len(texts), max(1, len(texts) // 10_000)))[:10_000]
    subset_texts = [texts[index] for index in subset]
    with tempfile.TemporaryDirectory() as folder:
        corpus_file = Path(folder) / "corpus.json"
        corpus_file.write_text(
            json.dumps({"texts": texts, "subset": subset}, ensure_ascii=False), encoding="utf-8"
        )
        timings: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            timings.setdefault("smsmock measure", []).append(len(texts) / time_ours(measure, texts))
            timings.setdefault("smsmock segment", []).append(len(texts) / time_ours(segment, texts))
            timings.setdefault("smsmock segment (10k subset)", []).append(
                len(subset_texts) / time_ours(segment, subset_texts)
            )
            for name, figures in run_peers(corpus_file).items():
                timings.setdefault(name, []).append(figures["count"] / figures["seconds"])
        peers = run_peers(corpus_file, answers=True)

    rate = {name: statistics.median(values) for name, values in timings.items()}
    print(f"corpus: {len(texts)} messages (seed {SEED}), {args.rounds} interleaved rounds, medians\n")
    print(f"{'implementation':34} {'messages/s':>12}")
    for name, value in rate.items():
        print(f"{name:34} {value:12,.0f}")
    print()
    for label, ours, theirs in (
        ("counting:  smsmock measure / sms-length", "smsmock measure", "sms-length"),
        ("splitting: smsmock segment / split-sms", "smsmock segment", "split-sms"),
        (
            "reference: smsmock segment / sms-segments-calculator",
            "smsmock segment (10k subset)",
            "sms-segments-calculator",
        ),
    ):
        print(f"{label:55} = {rate[ours] / rate[theirs]:6.2f}x")
    found, examples = disagreements(texts, subset, peers)
    print("\nwhere the peers' answers differ from smsmock's (encoding/parts):")
    for name, counter in found.items():
        total = sum(counter.values())
        print(f"  {name}: {total} messages")
        for key, count in counter.most_common():
            print(f"    {count:6}  {examples.get(name, {}).get(key, key)}")


if __name__ == "__main__":
    sys.exit(main())
