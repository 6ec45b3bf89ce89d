"""Upstream model APIs behind one protocol (see ``base.Provider``)."""
