"""A generated sample company, Nordlys Teknikk AS, with six months of Amazon Business purchases.

`allocbot demo` runs on it, and it is the public benchmark: five labeled
months to learn from, a sixth to classify, the card statement and the
forwarded email that brings them in.
"""

from bot.sample.generator import SampleFiles, generate

__all__ = ["SampleFiles", "generate"]
