"""Layer-building helpers the constructions share: ReLU and threshold gadgets, the integer
line and its blocks, bit words read by tent folds, exact linear algebra.

Nothing here is a construction; the theorem modules in :mod:`memorize.constructions`
assemble these parts.
"""
