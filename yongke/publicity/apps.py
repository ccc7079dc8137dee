from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "yongke.publicity"
    label = "publicity"
    verbose_name = "公示与异议"

    def ready(self) -> None:
        # 立项 / 拨付 wait until every objection lodged in the 公示 has been handled.
        from yongke.applications.signals import transition_checking
        from yongke.publicity.checks import check_objections_handled

        transition_checking.connect(check_objections_handled, dispatch_uid="publicity.check_objections_handled")
