"""The portal's URLs. The review and awards screens (`expert_invitations`, `officer_assignment`,
`officer_ranking`, `award_claims`) replaced their placeholders and kept their names."""

from django.urls import include, path

from yongke.portal.views import (
    account,
    applications,
    awards,
    calls,
    dashboard,
    exports,
    jobs,
    notifications,
    public,
    publicity,
    queues,
    review,
)

app_name = "portal"
urlpatterns = [
    # public
    path("", public.guide_index, name="guide_index"),
    path("guide/<str:label>/r<int:revision>/directions/<str:code>/", public.direction_detail, name="direction_detail"),
    path("match/", public.match_page, name="match"),
    path("publicity/", publicity.publicity, name="publicity"),
    path("publicity/<int:pk>/objection/", publicity.objection_new, name="objection_new"),
    # accounts
    path("accounts/login/", account.LoginView.as_view(), name="login"),
    path("accounts/logout/", account.LogoutView.as_view(), name="logout"),
    path("home/", account.home, name="home"),
    path("register/", account.register, name="register"),
    path("register/check-uscc/", account.register_check_uscc, name="register_check_uscc"),
    path("org/members/", account.org_members, name="org_members"),
    # applicants
    path("my/applications/", queues.my_applications, name="my_applications"),
    path("calls/", applications.calls, name="calls"),
    path("calls/<int:call_id>/apply/<str:direction>/", applications.application_new, name="application_new"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/check/", applications.application_check, name="application_check"),
    path("applications/<int:pk>/submit/", applications.application_submit, name="application_submit"),
    path("applications/<int:pk>/transition/", applications.application_transition, name="application_transition"),
    path("applications/<int:pk>/attachments/", applications.attachment_upload, name="attachment_upload"),
    path("applications/<int:pk>/attachments/<int:attachment_id>/", applications.attachment_download, name="attachment_download"),
    path("applications/<int:pk>/attachments/<int:attachment_id>/remove/", applications.attachment_remove, name="attachment_remove"),
    path("applications/<int:pk>/attachments/<int:attachment_id>/replace/", applications.attachment_replace, name="attachment_replace"),
    path("applications/<int:pk>/documents/", applications.document_check, name="document_check"),
    path("applications/<int:pk>/pdf/", applications.application_pdf, name="application_pdf"),
    # recommending units, officers, finance, auditors
    path("recommend/", queues.recommend_queue, name="recommend_queue"),
    path("officer/", queues.officer_queues, name="officer_queues"),
    path("officer/queue/", queues.officer_queue, name="officer_queue"),
    path("officer/publicity.xlsx", exports.publicity_export, name="publicity_export"),
    # officers' pages for what was the console's: calls, 公示 and objections, exports
    path("officer/calls/", calls.officer_calls, name="officer_calls"),
    path("officer/calls/new/", calls.call_new, name="call_new"),
    path("officer/calls/<int:pk>/edit/", calls.call_edit, name="call_edit"),
    path("officer/calls/<int:pk>/close/", calls.call_close, name="call_close"),
    path("officer/publicity/", publicity.officer_publicity, name="officer_publicity"),
    path("officer/publicity/calls/<int:pk>/contact/", publicity.publicity_contact, name="publicity_contact"),
    path("officer/objections/<int:pk>/handle/", publicity.objection_handle, name="objection_handle"),
    path("officer/queue.xlsx", exports.officer_queue_export, name="officer_queue_export"),
    path("recommend/queue.xlsx", exports.recommend_queue_export, name="recommend_queue_export"),
    path("recommend/summary.xlsx", exports.recommend_summary_export, name="recommend_summary_export"),
    path("finance/list.xlsx", exports.finance_export, name="finance_export"),
    path("batch/", queues.batch, name="batch"),
    path("finance/", queues.finance, name="finance"),
    path("audit/", queues.audit_log, name="audit_log"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # long work
    path("org/import/", jobs.org_import, name="org_import"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", jobs.job_progress, name="job_progress"),
    # expert review and post-subsidy awards
    path("expert/", review.expert_invitations, name="expert_invitations"),
    path("expert/tasks/<int:pk>/", review.expert_task, name="expert_task"),
    path("expert/tasks/<int:pk>/respond/", review.expert_respond, name="expert_respond"),
    path("expert/tasks/<int:pk>/score/", review.expert_score, name="expert_score"),
    path("officer/assignment/", review.officer_assignment, name="officer_assignment"),
    path("officer/assignment/rounds/<int:pk>/close/", review.round_close, name="round_close"),
    path("officer/ranking/", review.officer_ranking, name="officer_ranking"),
    path("officer/experts/", review.officer_experts, name="officer_experts"),
    path("awards/claims/", awards.award_claims, name="award_claims"),
    path("awards/claims/<int:pk>/check/", awards.claim_check, name="claim_check"),
    path("awards/claims/allocate/", awards.claims_allocate, name="claims_allocate"),
    path("awards/claims/screen/", awards.registry_screen, name="registry_screen"),
    # the signed-in user's notifications
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/<int:pk>/read/", notifications.mark_read, name="notification_read"),
    path("notifications/read-all/", notifications.mark_all_read, name="notifications_read_all"),
    path("notifications/preferences/", notifications.preferences, name="notification_preferences"),
    # language switch (Django's set_language)
    path("i18n/", include("django.conf.urls.i18n")),
]
