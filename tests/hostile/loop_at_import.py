"""Never finishes importing: every check of the exercise times out, the next exercise still runs."""

while True:
    pass
