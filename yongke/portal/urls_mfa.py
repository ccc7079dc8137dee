"""The portal's URLs for the second factor: TOTP set-up and verification, recovery codes, re-authentication (views/mfa.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
