from django.contrib.auth.models import AnonymousUser

SESSION_COMMUNITY_KEY = "community_schema"


def bind_session_to_community(request) -> None:
    """Called right after login: the session is valid on this host's CPTS (or platform) only."""
    request.session[SESSION_COMMUNITY_KEY] = request.tenant.schema_name


class CommunitySessionMiddleware:
    """A session opened on CPTS A is anonymous on CPTS B (and on the platform site).

    Sessions live in the public schema and cookies are per host, but a cookie copied by hand to
    another subdomain must still grant nothing: the session carries the schema it was opened in.
    ``request.membership`` (the account's role in this CPTS) is set after this one by the members
    app's ``MembershipMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        bound_elsewhere = request.session.get(SESSION_COMMUNITY_KEY) != getattr(tenant, "schema_name", None)
        if tenant is not None and request.user.is_authenticated and bound_elsewhere:
            request.user = AnonymousUser()
        return self.get_response(request)
