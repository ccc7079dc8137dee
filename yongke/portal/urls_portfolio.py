"""The portal's portfolio pages (included by yongke.portal.urls under the same names space)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
