from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "yongke.awards"
    label = "awards"
    verbose_name = "后补助"

    def ready(self) -> None:
        # A claim's quote is kept on it for the lists (Application.quoted_amount).
        from yongke.applications.signals import claim_saved
        from yongke.awards.receivers import claim_quote_store

        claim_saved.connect(claim_quote_store, dispatch_uid="awards.claim_quote_store")
        # 核查通过 of a claim: at most the guide's award (yongke/awards/receivers.py).
        from yongke.applications.signals import transition_checking
        from yongke.awards.receivers import check_claim_amount, claim_payment

        transition_checking.connect(check_claim_amount, dispatch_uid="awards.check_claim_amount")
        # 拨付 of a claim: the amount, the payee and the voucher in the step's audit entry, and its payment record.
        from yongke.applications.signals import transition_done
        from yongke.awards.receivers import claim_paid

        transition_checking.connect(claim_payment, dispatch_uid="awards.claim_payment")
        transition_done.connect(claim_paid, dispatch_uid="awards.claim_paid")
