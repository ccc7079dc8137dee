"""Yongke (邕科): the Nanning S&T plan, from the published guide to post-subsidies."""

__version__ = "0.1.0"
