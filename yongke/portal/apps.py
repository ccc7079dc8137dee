from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yongke.portal"
    label = "portal"
    verbose_name = "门户"
