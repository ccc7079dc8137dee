from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "yongke.projects"
    label = "projects"
    verbose_name = "项目管理（任务书、拨款、变更）"

    def ready(self) -> None:
        # 立项 (the application's step `contract`) opens the project and drafts its 任务书.
        from yongke.applications.signals import transition_done
        from yongke.projects.receivers import project_open_on_contract

        transition_done.connect(project_open_on_contract, dispatch_uid="projects.project_open_on_contract")
        # 拨付 of a 后补助 claim: its voucher used by no project's payment or receipt.
        from yongke.applications.signals import transition_checking
        from yongke.projects.receivers import voucher_of_claim_unused

        transition_checking.connect(voucher_of_claim_unused, dispatch_uid="projects.voucher_of_claim_unused")
