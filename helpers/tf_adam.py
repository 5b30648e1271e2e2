"""Adam written with TensorFlow's Core APIs, for the low-level TensorFlow notebooks (08, 11).

Not an exercise: TensorFlow's core has no optimizers (they live in Keras),
so, as in TensorFlow's guide "Optimizers with Core APIs", Adam is a
``tf.Module`` holding its moment estimates in variables. It follows Kingma
and Ba (2015), Algorithm 1, with epsilon 1e-8 (PyTorch's value; Keras uses
1e-7, added to the uncorrected square root).
"""

from __future__ import annotations

import tensorflow as tf


class Adam(tf.Module):
    """Adam for a list of ``tf.Variable``s: ``apply_gradients(gradients, variables)``."""

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__()
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.step = tf.Variable(0.0)
        self.built = False

    def apply_gradients(self, gradients, variables):
        if not self.built:  # moment variables are created on the first call (inside tf.function: the first trace)
            self.m = [tf.Variable(tf.zeros_like(v)) for v in variables]
            self.v = [tf.Variable(tf.zeros_like(v)) for v in variables]
            self.built = True
        self.step.assign_add(1.0)
        for g, var, m, v in zip(gradients, variables, self.m, self.v):
            m.assign(self.beta_1 * m + (1 - self.beta_1) * g)
            v.assign(self.beta_2 * v + (1 - self.beta_2) * tf.square(g))
            m_hat, v_hat = m / (1 - self.beta_1**self.step), v / (1 - self.beta_2**self.step)
            var.assign_sub(self.learning_rate * m_hat / (tf.sqrt(v_hat) + self.epsilon))
