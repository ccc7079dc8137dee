"""The portal's portfolio pages (included by yongke.portal.urls under the same names space):
the dashboard of every visible project's indicators, money and risks, and its workbook."""

from __future__ import annotations

from django.urls import path

from yongke.portal.views import portfolio

urlpatterns = [
    path("office/portfolio/", portfolio.portfolio_page, name="portfolio"),
    path("office/portfolio.xlsx", portfolio.portfolio_export, name="portfolio_export"),
]
