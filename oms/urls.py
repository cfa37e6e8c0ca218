from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from oms.api import error_views
from oms.health import health
from oms.metrics import metrics

api_v1 = [
    path("", include("inventory.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("returns.api.urls")),
    path("routing/", include("routing.api.urls")),
    path("promise/", include("routing.api.promise_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: a path under /api/ that no route matched gets the API's JSON 404, DEBUG or not.
    re_path(r"^api/(?P<path>[\s\S]*/)$", error_views.unknown_endpoint),  # newlines too
]

# Django's own answers (a 404 raised outside DRF, a refused request, an uncaught exception)
# in the API's error body under /api/, Django's pages elsewhere (oms/api/error_views.py).
handler400 = "oms.api.error_views.bad_request"
handler403 = "oms.api.error_views.permission_denied"
handler404 = "oms.api.error_views.not_found"
handler500 = "oms.api.error_views.server_error"
