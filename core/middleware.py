"""Request-wide protection that concerns no app: pages are never cached."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreMiddleware:
    """Every page the app makes is kept out of browser and proxy caches.

    Charts, notes and intakes are the app's pages, so the simplest safe rule is all
    of them. Static files are served by whitenoise before this and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response
