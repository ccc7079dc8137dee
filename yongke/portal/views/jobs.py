"""Long work in the background: start an organisation import, watch a job's progress, follow
it to its result."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from yongke.accounts.models import Role
from yongke.core.errors import YongkeError
from yongke.jobs.models import Job
from yongke.jobs.selectors import job_for, jobs_visible_to
from yongke.jobs.services import job_start_org_import
from yongke.portal.forms import OrgImportForm
from yongke.portal.views.common import acting_user, flash, roles_required


def result_url(job: Job) -> str | None:
    """The page that shows what a finished job made: the round it ran, the claims it proposed."""
    if job.kind == Job.Kind.TRANSITION and job.params.get("application"):
        return reverse("portal:application_detail", args=[job.params["application"]])  # done or refused: the application says why
    if job.status != Job.Status.DONE:
        return None
    r = job.result
    if job.kind == Job.Kind.REVIEW_ROUND and r.get("round"):
        return f"{reverse('portal:officer_assignment')}?{urlencode({'call': r['call'], 'round': r['round']})}"
    if job.kind == Job.Kind.REGISTRY_SCREEN and r.get("call"):
        query = {"call": r["call"], **({"direction": r["direction"]} if r.get("direction") else {})}
        return f"{reverse('portal:award_claims')}?{urlencode(query)}"
    return None


@roles_required(Role.OFFICER, Role.SYSADMIN)
def org_import(request: HttpRequest) -> HttpResponse:
    form = OrgImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_start_org_import(
                actor=acting_user(request), filename=upload.name, content=upload.read(), dry_run=form.cleaned_data["dry_run"]
            )
        except YongkeError as e:
            flash(request, e)
        else:
            messages.info(request, _("已开始导入，可离开本页，稍后回来查看结果。"))
            return redirect("portal:job_detail", pk=job.pk)
    jobs = jobs_visible_to(request.user)[:10]
    return render(request, "portal/org_import.html", {"form": form, "jobs": jobs})


@roles_required()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(request.user, pk)
    return render(request, "portal/job.html", {"job": job, "result_url": result_url(job)})


@roles_required()
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx polls this every second; status 286 tells htmx to stop once the job has finished."""
    job = job_for(request.user, pk)
    response = render(request, "portal/_job_progress.html", {"job": job, "result_url": result_url(job)})
    if job.finished:
        response.status_code = 286
    return response
