"""Printed outputs the suite compares with nbval's output comparison, by notebook and cell id (tests/nbval_checks.py).

Committed notebooks carry no outputs, so the reference lives here, for a few cells whose output is the same on
every machine and meaningful: shapes and parameter counts. After changing such a cell, copy its new output from
the failure's diff.
"""

EXPECTED: dict[str, dict[str, str]] = {
    "00_getting_started": {
        "cell-05": """\
training: (60000, 28, 28) uint8, test: (10000, 28, 28) uint8
""",
    },
    "06_convolution_mechanics": {
        "cell-03": """\
28 x 28 x 1 image -> 100 units: 784 inputs, 78,500 parameters
224 x 224 x 3 image -> 1,000 units: 150,528 inputs, 150,529,000 parameters
""",
        "cell-47": """\
LeNet-5               shape (rule)           torch    keras (NHWC)  params (rule)    torch    keras
conv 6 5x5 pad 2       (6, 28, 28)     (6, 28, 28)     (28, 28, 6)            156      156      156
max-pool 2             (6, 14, 14)     (6, 14, 14)     (14, 14, 6)              0        0        0
conv 16 5x5           (16, 10, 10)    (16, 10, 10)    (10, 10, 16)          2,416    2,416    2,416
max-pool 2              (16, 5, 5)      (16, 5, 5)      (5, 5, 16)              0        0        0
flatten                     (400,)          (400,)          (400,)              0        0        0
dense 120                   (120,)          (120,)          (120,)         48,120   48,120   48,120
dense 84                     (84,)           (84,)           (84,)         10,164   10,164   10,164
dense 10                     (10,)           (10,)           (10,)            850      850      850
total                                                                      61,706   61,706   61,706
""",
        "seed-cnn-table": """\
conv_output_size(11, 2, 0, 2): ValueError: (W - F + 2P)/S + 1 = (11 - 2 + 0)/2 + 1 = 5.5 is not an integer: a stride of 2 does not tile the padded input of size 11 with windows of size 2

seed CNN                     shape      params
conv 32 3x3           (32, 26, 26)         320
max-pool 2            (32, 13, 13)           0
conv 64 3x3           (64, 11, 11)      18,496
max-pool 2              (64, 5, 5)           0
flatten                    (1600,)           0
dense 64                     (64,)     102,464
dense 10                     (10,)         650
total                                  121,930
convolutional layers: 18,816 parameters; the first dense layer: 102,464, 84% of the model

What the first dense layer sees, after the same two convolutions of 32 and 64 filters of 3 x 3:
  valid padding, pooling (the seed CNN)  5 x 5 x 64 =  1,600 values; first dense layer   102,464 parameters
  valid padding, no pooling              24 x 24 x 64 = 36,864 values; first dense layer 2,359,360 parameters
  'same' padding (P = 1), no pooling     28 x 28 x 64 = 50,176 values; first dense layer 3,211,328 parameters
""",  # noqa: E501 (the printed lines as they are)
    },
}
