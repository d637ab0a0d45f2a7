"""What every admin module of the plugin shares: the re-drive permission and the read-only base."""

from django.contrib import admin

FULFILL_PERMISSION = "commerce_plugin.fulfill_order"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Orders arrive from stores and change only through ``orders``; the admin looks and re-drives."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The stored order is what makes a repeated delivery harmless; deleting it would re-enroll.
        return False

    def has_fulfill_permission(self, request):
        return request.user.has_perm(FULFILL_PERMISSION)
