"""Train an MLP with bias and ReLU on scikit-learn's bundled digits (8x8 images, 10 classes).

    python examples/digits.py [--epochs 60] [--seed 0]

Needs the `sklearn` extra for the data only: `pip install "mlplab[sklearn]"`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mlplab
import mlplab.data


def load_digits_split(seed: int) -> tuple[np.ndarray, ...]:
    """Digits scaled to [0, 1] (pixels are 0..16), split 75/25, stratified by class."""
    X, y = mlplab.data.digits()
    return mlplab.data.train_test_split(X / 16.0, y, test_size=0.25, seed=seed, stratify=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X_train, X_test, y_train, y_test = load_digits_split(args.seed)
    net = mlplab.MLP([64, 64, 10], activation="relu", output_activation="softmax",
                     seed=args.seed)
    start = time.perf_counter()
    history = mlplab.fit(net, X_train, y_train, loss="softmax_crossentropy",
                         optimizer=mlplab.sgd(0.1), epochs=args.epochs, batch_size=32,
                         seed=args.seed, metrics=["accuracy"])
    seconds = time.perf_counter() - start
    accuracy = np.mean(net.predict(X_test).argmax(axis=1) == y_test)
    print(f"digits: MLP 64-64-10 (ReLU, bias, softmax cross-entropy), SGD alpha 0.1, "
          f"batch 32, {args.epochs} epochs in {seconds:.1f} s")
    print(f"  final training loss {history['loss'][-1]:.4f}, "
          f"training accuracy {history['accuracy'][-1]:.4f}")
    print(f"  test accuracy {accuracy:.4f} on {len(y_test)} held-out images")


if __name__ == "__main__":
    main()
