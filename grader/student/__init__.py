"""The student's loop: ``grade watch``, the history of their scores, and their progress through the course.

May import the judge and everything below it; the course tools, the batch and the CLI are above it.
"""
