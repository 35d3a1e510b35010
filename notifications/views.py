"""The inbox (/me/notifications/) and the notification preferences (/me/notifications/settings/). Thin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import kinds, selectors, services


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/inbox.html", {"items": selectors.inbox(request.user)})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.getlist("id")
    ids = [int(i) for i in raw if i.isdigit()] if raw else None
    services.mark_read(request.user, ids=ids)
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = {k: [c for c in kinds.CHANNELS if request.POST.get(f"{k}:{c}")] for k in kinds.KINDS}
        services.set_preferences(request.user, channels=chosen)
        messages.success(request, _("通知设置已保存"))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"rows": selectors.preference_table(request.user),
                                                              "channels": [(kinds.INBOX, _("站内信")), (kinds.EMAIL, _("邮件")), (kinds.SMS, _("短信"))]})
