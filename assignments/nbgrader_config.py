"""nbgrader configuration of the course (the course root is this folder).

Run every nbgrader command from this folder, or through ``scripts/course.py`` / ``make -f
Makefile.assignments ...``, which do it for you. The gradebook (``gradebook.db``) and the student
folders (``submitted/``, ``autograded/``, ``feedback/``) live here but are not committed.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# The five assignments, in the order of the book. scripts/course.py reads this list.
ASSIGNMENTS = ["a1-rnn", "a2-bptt", "a3-gated", "a4-bidirectional", "a5-application"]

c.CourseDirectory.course_id = "rnn-course"
# The folder holding this file, so that a copy of the folder is a complete course of its own
# (scripts/course.py grades each batch of students in such a copy).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Execution of student notebooks: python3 kernel, one minute per cell at most. A cell that runs
# longer (an infinite loop) is interrupted and recorded as an error; the rest of the notebook runs.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True
c.ExecutePreprocessor.kernel_name = "python3"
c.Execute.kernel_name = "python3"

# Student versions: no outputs, no execution counts, solutions replaced by this stub.
c.ClearOutput.enabled = True
c.ClearSolutions.code_stub = {"python": '# YOUR CODE HERE\nraise NotImplementedError("write your solution here")'}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Students are created in the gradebook on their first submission (LMS imports, zip_collect).
c.Autograde.create_student = True

# LMS imports (`nbgrader zip_collect`, `scripts/course.py collect`): a downloaded file named
# `<student_id>_<notebook>.ipynb` (student ids without underscores) goes to
# submitted/<student_id>/<assignment>/<notebook>.ipynb. Override with --regexp for another LMS.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\.ipynb)$"
