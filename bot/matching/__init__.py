"""The steps of reconciliation, each in a module of its own.

``bot.reconcile`` runs them in order: shipments are built from report rows
(``shipments``), card lines are read for references and amount ranges
(``charges``), then matched one to one (``pairing``), by combinations
(``subsets``) and as refunds (``refunds``). ``money`` divides amounts to
the øre and ``reasons`` contains the message ids that explain each outcome.
"""
