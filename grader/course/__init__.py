"""The teacher's course tools: the stubs from the solutions, the student release, the Gradescope bundle, the
nbgrader notebooks, and the reference run whose curves a student's are drawn beside.

Teacher only: a student release leaves this whole package out (``grade release``), since what it
does needs the reference solutions. May import the judge, the student's loop, the notebooks and below.
"""
