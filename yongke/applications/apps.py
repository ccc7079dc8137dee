from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "yongke.applications"
    label = "applications"
    verbose_name = "申报"
