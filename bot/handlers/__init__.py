"""Slack actions, views, commands and message builders; empty until the Slack app is built."""
