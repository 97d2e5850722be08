"""Running allocbot as a service: log setup, the health endpoint and the Prometheus metrics.

``logs.configure_logging`` sets up the log lines (text or JSON),
``metrics`` reads the figures the metrics show from the store at scrape
time, and ``health.HealthServer`` serves ``/healthz`` and ``/metrics``.
"""
