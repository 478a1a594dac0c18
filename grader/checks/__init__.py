"""The graded checks, one ``test_<stem>.py`` per exercise; they never import ``solutions`` at module level,
because the sandbox child imports these modules to find its probes."""
