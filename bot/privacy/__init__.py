"""Personal data: flags on items, masking in logs, and erasing a former employee."""
