"""Figures and tables: the book's plot style and its drawings of the model and of results."""
