"""Notebooks: an exercise as cells (:mod:`.cells`) and a grading inside a notebook's kernel (:mod:`.kernel`).

Shared by the student's kernel and the teacher's nbgrader course (:mod:`grader.course.notebooks`).
May import the judge and everything below it.
"""
