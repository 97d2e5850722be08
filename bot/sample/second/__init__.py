"""A second generated sample company, Havrekorn Bakeri AS, shaped differently from Nordlys Teknikk.

An industrial bakery with bakery cafés: 160 employees, four-digit cost
centers, store openings and a product launch as projects. Production is
split into two cost centers on 1 July 2026, and a new packaging line
appears from August 2026. It writes master data and one labeled order
report whose length is set by the number of items, for benchmarks.
"""

from bot.sample.second.generator import SecondCompanyFiles, generate_second

__all__ = ["SecondCompanyFiles", "generate_second"]
