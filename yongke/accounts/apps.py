from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yongke.accounts"
    label = "accounts"
    verbose_name = "账户与角色"

    def ready(self) -> None:
        from yongke.accounts import lockout

        lockout.connect()
