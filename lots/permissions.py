"""API permissions of the lots app.

- ``IsJudge``: authenticated (else 401) and a judge (else 403). Court checks happen in the services
  (``lots.access.ensure_judge_of``): a judge of another court is refused with 403 ``other_court``.
"""

from rest_framework.permissions import BasePermission


class IsJudge(BasePermission):
    message = "仅法官可执行此操作 / only a judge may do this"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 for unauthenticated requests (Token auth sends WWW-Authenticate)
        return bool(getattr(user, "is_judge", False) and user.court_id)


class IsJudgeOrReadOnly(IsJudge):
    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().has_permission(request, view)
