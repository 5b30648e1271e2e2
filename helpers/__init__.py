"""The course's package: data (``data``), figures (``plotting``), student checks (``checks``),
seeding (``repro``), quick runs under the autograder (``runtime``), the shared MNIST
protocol (``protocol``), nbgrader plumbing (``grading``) and data provenance (``rebuild_data``)."""
