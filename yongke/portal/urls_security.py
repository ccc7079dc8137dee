"""The portal's URLs for password change and reset, API tokens, registrations to approve (views/security.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
