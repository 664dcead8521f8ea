"""Files: the static files (whitenoise), the storages, and the case file's notes and documents
(where documents are kept, which types and sizes are accepted)."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from casework.settings.environment import BASE_DIR, DEBUG, PRODUCTION

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `collectstatic` puts the files whitenoise serves in production.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# The apps' static folders, without viewflow's: its Material front end's assets are unused, and one
# of its stylesheets points to fonts that are not there, which stopped collectstatic with the
# manifest storage (casework/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "casework.staticfiles.AppDirectoriesFinder",
]
# Case documents are never served from a public URL: only the download view reads them.
# File system under CASEWORK_DOCUMENTS_ROOT by default (make run); CASEWORK_DOCUMENT_STORAGE=s3 puts
# them in any S3-compatible store through django-storages (install the `s3` extra), private, with
# the bucket and credentials from the environment.
CASEWORK_DOCUMENT_STORAGE = os.environ.get("CASEWORK_DOCUMENT_STORAGE", "filesystem")
if CASEWORK_DOCUMENT_STORAGE == "s3":
    DOCUMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("CASEWORK_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("CASEWORK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CASEWORK_S3_REGION") or None,
            "access_key": os.environ.get("CASEWORK_S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("CASEWORK_S3_SECRET_ACCESS_KEY", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": os.environ.get("CASEWORK_S3_PREFIX", "documents"),
        },
    }
elif CASEWORK_DOCUMENT_STORAGE == "filesystem":
    DOCUMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("CASEWORK_DOCUMENTS_ROOT", str(BASE_DIR / "media" / "documents")),
                    "base_url": None, "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
else:
    raise ImproperlyConfigured("CASEWORK_DOCUMENT_STORAGE must be 'filesystem' or 's3'.")
if CASEWORK_DOCUMENT_STORAGE == "s3" and not DOCUMENTS_STORAGE["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("CASEWORK_DOCUMENT_STORAGE=s3 needs CASEWORK_S3_BUCKET (and its credentials).")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": DOCUMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# The case file: notes and documents.
CASEWORK_NOTE_EDIT_MINUTES = int(os.environ.get("CASEWORK_NOTE_EDIT_MINUTES", "15"))
CASEWORK_DOCUMENT_MAX_MB = int(os.environ.get("CASEWORK_DOCUMENT_MAX_MB", "20"))
# Accepted documents: extension -> MIME type; the content must match the type (magic numbers).
CASEWORK_DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# Uploads above this many bytes go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
