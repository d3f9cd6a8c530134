"""nbgrader configuration for the rnnlesson course (this folder is the course directory).

Layout (nbgrader's default directory_structure "{nbgrader_step}/{student_id}/{assignment_id}"):

    course/source/NN-slug/NN-slug.ipynb               one source per lesson (committed)
    course/release/NN-slug/NN-slug.ipynb              nbgrader generate_assignment
    course/submitted/<student>/NN-slug/NN-slug.ipynb  what the learners hand in
    course/autograded/<student>/NN-slug/...           nbgrader autograde (files read-only)
    course/gradebook.db                               the SQLite gradebook

Only source/, mutants/ and this file are committed; the rest is git-ignored. TEACHING.md
has the commands; tests/test_course_nbgrader.py runs them on a copy of this folder.
"""

import os

c = get_config()  # noqa: F821 (nbgrader defines it)

HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "rnnlesson"
# The course directory is this file's folder, whatever the working directory; the
# gradebook follows it (sqlite:///<root>/gradebook.db).
c.CourseDirectory.root = HERE

# The time limit of one cell when nbgrader runs a notebook (autograde, validate). The
# default, 30 s, is too short for the lessons' training cells on a slow laptop.
c.Execute.timeout = 600

# The stub that replaces each "### BEGIN SOLUTION ... ### END SOLUTION" region: the same
# one that tools/course.py writes into notebooks/.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError"}
c.ClearSolutions.text_stub = "*Your answer here.*"
