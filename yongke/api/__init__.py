"""The JSON API under /api/v1: a thin face over the selectors and services.

The NinjaAPI instance lives in `yongke.api.main`; this package imports nothing at import
time so that `yongke.api.cli` can be registered before Django is configured.
"""
