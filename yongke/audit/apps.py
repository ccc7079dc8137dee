from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yongke.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from yongke.audit import signals as audit_signals

        signals.user_logged_in.connect(audit_signals.on_login, dispatch_uid="yongke.audit.login")
        signals.user_login_failed.connect(audit_signals.on_login_failed, dispatch_uid="yongke.audit.login_failed")
        signals.user_logged_out.connect(audit_signals.on_logout, dispatch_uid="yongke.audit.logout")
        audit_signals.wrap_admin_log()
