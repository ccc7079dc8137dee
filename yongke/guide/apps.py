from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "yongke.guide"
    label = "guide"
    verbose_name = "申报指南"
