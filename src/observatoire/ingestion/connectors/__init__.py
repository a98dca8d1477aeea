"""One connector per delivery mechanism (``Contract.mechanism``): each yields :class:`FetchedDelivery`
objects that are complete (truncated or partial answers are retried, never handed over)."""
