"""The portal's URLs. The review and awards screens (`expert_invitations`, `officer_assignment`,
`officer_ranking`, `award_claims`) replaced their placeholders and kept their names."""

from django.urls import include, path

from yongke.portal.views import account, applications, awards, dashboard, jobs, public, queues, review

app_name = "portal"
urlpatterns = [
    # public
    path("", public.guide_index, name="guide_index"),
    path("guide/<str:label>/r<int:revision>/directions/<str:code>/", public.direction_detail, name="direction_detail"),
    path("match/", public.match_page, name="match"),
    path("publicity/", public.publicity, name="publicity"),
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
    # recommending units, officers, finance, auditors
    path("recommend/", queues.recommend_queue, name="recommend_queue"),
    path("officer/", queues.officer_queues, name="officer_queues"),
    path("officer/queue/", queues.officer_queue, name="officer_queue"),
    path("officer/publicity.xlsx", dashboard.publicity_export, name="publicity_export"),
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
    path("awards/claims/", awards.award_claims, name="award_claims"),
    path("awards/claims/<int:pk>/check/", awards.claim_check, name="claim_check"),
    path("awards/claims/allocate/", awards.claims_allocate, name="claims_allocate"),
    path("awards/claims/screen/", awards.registry_screen, name="registry_screen"),
    # language switch (Django's set_language)
    path("i18n/", include("django.conf.urls.i18n")),
]
