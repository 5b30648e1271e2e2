"""The instructor's grading system, ``course-grade``: a package apart from the students' ``helpers``.

Not part of any lesson, and never visible to a student's grading kernel (the
sandbox binds only ``helpers/``). One module per subcommand and one per part:

- :mod:`course_grade.cli`: the command line (``course-grade COMMAND COURSE_DIR``);
- :mod:`course_grade.release`, :mod:`course_grade.collect`, :mod:`course_grade.autograde`,
  :mod:`course_grade.export`, :mod:`course_grade.feedback`, :mod:`course_grade.similarity`: the subcommands;
- :mod:`course_grade.course`: the course directory, its nbgrader configuration and the outcomes;
- :mod:`course_grade.preprocessors`: the course's own nbgrader preprocessors;
- :mod:`course_grade.sandbox` and :mod:`course_grade.limits`: every grading kernel confined and bounded;
- :mod:`course_grade.scan`: the static scan of submissions;
- :mod:`course_grade.observations`: the grader's half of the observations (the kernel's half is :mod:`helpers.observations`);
- :mod:`course_grade.grading`: nbgrader plumbing shared with the notebook generator (``python -m course_grade.grading``).
"""

import sys

# A speed setting, not part of any lesson: jsonschema, which nbformat imports, loads rfc3987-syntax for its "iri" format
# checks whenever it is installed (jupyter-events' extra installs it), and that package compiles a grammar on import, about
# 1 s of every grading process's start (2.1 s -> 1.0 s to import the grader). nbformat's schema checks no such format.
sys.modules.setdefault("rfc3987_syntax", None)
