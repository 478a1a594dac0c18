"""``grade batch``: grade a whole class of submissions in parallel, resumably, into a gradebook.

One module per job: :mod:`.layouts` finds the students and reads their files safely,
:mod:`.worker` grades them in trusted worker processes, :mod:`.pool` drives those workers,
:mod:`.records` turns a document into a student's status, :mod:`.gradebook` writes the files,
:mod:`.summary` and :mod:`.copies` the class statistics, and :mod:`.runner` ties them together.
With ``--cluster``, :mod:`.packing` puts a student's files into a task, :mod:`.cluster` drives
the tasks on Dask, and :mod:`.daskworker` keeps a grading process on each Dask worker.

Teacher only (a release leaves it out). May import everything but the CLI.
"""
