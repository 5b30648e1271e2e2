"""The course's package: data (``data``), figures (``plotting``), student checks (``checks``),
seeding (``repro``), quick runs under the autograder (``runtime``), the shared MNIST
protocol (``protocol``), safe torch-then-TensorFlow imports (``frameworks``), Adam with
TensorFlow's Core APIs (``tf_adam``), the environment check (``environment``), nbgrader
plumbing (``grading``), the instructor's ``course-grade`` command (``instructor``), hidden
tests judged outside the kernel (``observations``), the grading sandbox (``sandbox``), the
static scan of submissions (``scan``) and data provenance (``rebuild_data``)."""
