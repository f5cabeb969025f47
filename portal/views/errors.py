from django.shortcuts import render


def permission_denied(request, exception=None):
    """403 with a fixed message: never echoes the exception's text or the object."""
    return render(request, "403.html", status=403)
