from django.apps import AppConfig


class LotsConfig(AppConfig):
    name = "lots"
    verbose_name = "标的与拍卖 / Lots and rounds"
