"""The portal's postaward pages (included by yongke.portal.urls under the same names space): a
project's 报告与验收 and 验收证书; the unit's reports and their evidence; the officer's queue, the
mid-term check, the acceptance (opened, decided, more experts invited), termination and
rescission, a call's post-award settings; the expert's acceptance panels; finance's
recoveries; the public list of accepted projects."""

from django.urls import path

from yongke.portal.views import postaward, postaward_office

urlpatterns: list = [
    # public
    path("accepted/", postaward.accepted_projects, name="accepted_projects"),
    # a project's reports, acceptances, money back and credit
    path("projects/<int:pk>/postaward/", postaward.project_postaward, name="project_postaward"),
    path("projects/<int:pk>/certificate.pdf", postaward.certificate_pdf, name="certificate_pdf"),
    path("projects/<int:pk>/reports/<str:kind>/", postaward.report_start, name="report_start"),
    path("reports/<int:pk>/", postaward_office.report_detail, name="report_detail"),
    path("reports/<int:pk>/report.pdf", postaward.report_pdf, name="report_pdf"),
    path("reports/<int:pk>/evidence/", postaward.report_attach, name="report_attach"),
    path("reports/<int:pk>/files/<int:file_id>/", postaward.report_file, name="report_file"),
    path("reports/<int:pk>/files/<int:file_id>/remove/", postaward.report_file_remove, name="report_file_remove"),
    path("reports/<int:pk>/submit/", postaward.report_submit, name="report_submit"),
    # the officer
    path("officer/reports/", postaward_office.report_queue, name="report_queue"),
    path("reports/<int:pk>/check/", postaward_office.midterm_check, name="midterm_check"),
    path("reports/<int:pk>/return/", postaward_office.report_return, name="report_return"),
    path("reports/<int:pk>/acceptance/", postaward_office.acceptance_open, name="acceptance_open"),
    path("acceptances/<int:pk>/", postaward_office.acceptance_detail, name="acceptance_detail"),
    path("acceptances/<int:pk>/decide/", postaward_office.acceptance_decide, name="acceptance_decide"),
    path("acceptances/<int:pk>/invite/", postaward_office.acceptance_invite, name="acceptance_invite"),
    path("projects/<int:pk>/terminate/", postaward_office.project_terminate, name="project_terminate"),
    path("projects/<int:pk>/rescind/", postaward_office.project_rescind, name="project_rescind"),
    path("officer/calls/<int:pk>/postaward/", postaward_office.postaward_settings, name="postaward_settings"),
    # the expert
    path("expert/acceptances/", postaward.panel_tasks, name="panel_tasks"),
    path("expert/acceptances/<int:pk>/", postaward.panel_task, name="panel_task"),
    path("expert/acceptances/<int:pk>/respond/", postaward.panel_respond, name="panel_respond"),
    path("expert/acceptances/<int:pk>/opinion/", postaward.panel_opinion, name="panel_opinion"),
    path("expert/acceptances/<int:pk>/report.pdf", postaward.panel_report_pdf, name="panel_report_pdf"),
    path("expert/acceptances/<int:pk>/files/<int:file_id>/", postaward.panel_file, name="panel_file"),
    # finance
    path("finance/recoveries/", postaward_office.recoveries, name="recoveries"),
    path("finance/recoveries/<int:pk>/receive/", postaward_office.recovery_receive, name="recovery_receive"),
]
