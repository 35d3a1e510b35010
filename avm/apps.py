from django.apps import AppConfig


class AvmConfig(AppConfig):
    name = "avm"
    verbose_name = "自动估价模型 / Automated valuation model"
