"""Account pages: login, logout (POST), bidder real-name registration. Writes go through accounts.services."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import LoginForm, RegisterForm
from auction_site.errors import DomainError, in_language
from auction_site.views import next_url


class SiteLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        return {"judge": "/court/", "valuer": "/valuer/", "party": "/party/"}.get(getattr(user, "role", ""), "/")


class SiteLogoutView(LogoutView):
    http_method_names = ["post", "options"]


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.register_bidder(username=d["username"], password=d["password1"], real_name=d["real_name"],
                                            id_number=d["id_number"], phone=d["phone"])
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else ("password1" if exc.field == "password" else None)
            form.add_error(field, in_language(exc.message))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功。报名竞买时缴纳保证金后将获得竞买代码。"))
            return redirect(next_url(request, "/"))
    return render(request, "accounts/register.html", {"form": form})
