from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "yongke.review"
    label = "review"
    verbose_name = "专家评审"

    def ready(self) -> None:
        # 拟立项 waits for the review (see yongke/review/decisions.py).
        from yongke.applications.signals import transition_checking
        from yongke.review.decisions import check_decision

        transition_checking.connect(check_decision, dispatch_uid="review.check_decision")
