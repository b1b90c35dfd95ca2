"""Finance headline sentiment: the trained scorer, its training data, training and evaluation.

Runtime scoring (:mod:`velo.sentiment.model`, :mod:`velo.sentiment.scorers`) needs only the
standard library; training (:mod:`velo.sentiment.train`) needs numpy.
"""
