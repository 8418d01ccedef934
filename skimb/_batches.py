"""Balanced mini-batches for the fit loop (private; imports Keras).

``batch_sampler="balanced"`` draws every batch with equal class shares, so no
class is missing from a batch even when the minority is tiny. Minority
samples are drawn again (with replacement) within an epoch; an epoch has as
many batches as plain shuffling would give.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import keras
import numpy as np


class BalancedBatches(keras.utils.PyDataset):
    """A Keras dataset of ``(X, y, sample_weight)`` batches with equal classes.

    Parameters
    ----------
    X, y, sample_weight : ndarray
        The training data; ``y`` holds integer class codes (its rows may be
        one-hot: the class of row ``i`` is given by ``codes``).
    codes : ndarray of int
        The class code of each row.
    batch_size : int
        Rows per batch; each class gets ``batch_size // n_classes`` of them,
        the remainder going to randomly chosen classes.
    seed : int
        Seeds the draws, so a seeded fit is reproducible.
    """

    def __init__(self, X, y, sample_weight, *, codes, batch_size, seed):
        super().__init__()
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size = batch_size
        self._rows_of_class = [np.flatnonzero(codes == c) for c in np.unique(codes)]
        self._rng = np.random.RandomState(seed)
        self._n_batches = math.ceil(len(X) / batch_size)
        self.on_epoch_end()

    def __len__(self):
        return self._n_batches

    def __getitem__(self, index):
        rows = self._epoch_rows[index]
        return self.X[rows], self.y[rows], self.sample_weight[rows]

    def on_epoch_end(self):
        """Draw the next epoch's batches."""
        self._epoch_rows = [self._draw_batch() for _ in range(self._n_batches)]

    def _draw_batch(self):
        n_classes = len(self._rows_of_class)
        counts = np.full(n_classes, self.batch_size // n_classes)
        extra = self._rng.choice(n_classes, self.batch_size % n_classes, replace=False)
        counts[extra] += 1
        rows = [
            self._rng.choice(rows, count, replace=count > len(rows))
            for rows, count in zip(self._rows_of_class, counts)
        ]
        return self._rng.permutation(np.concatenate(rows))
