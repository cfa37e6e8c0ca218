"""Django's admin app with the staff console's site (INSTALLED_APPS names this instead of
`django.contrib.admin`)."""

from django.contrib.admin.apps import AdminConfig


class OMSAdminConfig(AdminConfig):
    """Django's admin with the staff console's site (dashboard, menu grouped by task)."""

    default_site = "oms.admin_site.OMSAdminSite"
