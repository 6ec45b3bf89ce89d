"""Wire types, the error tree and request context: the vocabulary every layer shares."""
