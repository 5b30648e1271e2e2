"""The students' package, what the notebooks import: data (``data``), figures (``plotting``), student checks
(``checks``), seeding (``repro``), quick runs under the autograder (``runtime``), the shared MNIST protocol
(``protocol``), safe torch-then-TensorFlow imports (``frameworks``), Adam with TensorFlow's Core APIs
(``tf_adam``), the environment check (``environment``), the kernel's half of the hidden tests judged outside
the kernel (``observations``) and data provenance (``rebuild_data``). The instructor's grading system is a
package of its own, ``course_grade``."""
