"""Storage for clinical files (consent PDFs, photos): private, never served statically.

By default a folder under MEDIA_ROOT (var/media); PRIVATE_FILES_STORAGE names any Django
storage backend instead, e.g. an S3-compatible bucket through django-storages. No URL of
the storage is ever handed out: every file reaches a browser through a view that checks
access and writes the access log."""

from django.conf import settings
from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    # Built on each call, so a test that moves MEDIA_ROOT gets a storage that follows.
    return storages.create_storage(settings.PRIVATE_FILES_STORAGE)
