"""Posting approved allocations to the ERP: vouchers are built, checked, claimed in the store, sent once.

``build`` turns allocations into balanced vouchers. ``codes`` checks their
accounts, cost centers, projects and VAT codes against the ERP's lists or
the master data. ``payload`` is the stored form of a voucher. ``run`` is the
posting run that ties them to the store and a ``VoucherPoster``.
"""
