"""The monthly report to the controllers: figures from the store, a plot, and their delivery by email and Slack."""
