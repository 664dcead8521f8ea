"""The version-1 document's fixed parts, which casework.api.schema puts in: the server, the
pinned operationIds, the tags, which operations are anonymous or answer with an ETag, the error
texts, and the components of headers, parameters and schemas every operation refers to."""

from casework.api.version import API_VERSION

SERVER = "/api/v1"
CONTACT = {"name": "casework maintainers", "url": "https://github.com/casework/casework/issues",
           "email": "casework@example.org"}
PATH_IDS = {"{case_id}": "{caseId}", "{note_id}": "{noteId}", "{document_id}": "{documentId}",
            "{link_id}": "{linkId}", "{subscription_id}": "{subscriptionId}", "{delivery_id}": "{deliveryId}"}
RESOURCE_IDS = {"cases": "{caseId}", "tasks": "{taskId}", "notifications": "{notificationId}",
                "worklists": "{worklistId}"}

# The public operationIds: readable, camelCase, pinned (a client's function names).
OPERATION_IDS = {
    "get /openapi.json": "getOpenApiDocument",
    "post /auth/token": "obtainToken",
    "post /oauth/token": "obtainClientToken",
    "post /absence-reports": "importAbsenceReports",
    "post /enrolments": "importEnrolments",
    "post /auth/logout": "logOut",
    "post /auth/logout-all": "logOutAll",
    "get /schools": "listSchools",
    "get /regions": "listRegions",
    "get /teams": "listTeams",
    "get /colleagues": "listColleagues",
    "get /cases": "listCases",
    "post /cases": "signalCase",
    "get /cases/{caseId}": "getCase",
    "post /cases/{caseId}/registration": "changeRegistration",
    "post /cases/{caseId}/participation": "recordParticipation",
    "post /cases/{caseId}/startkwalificatie": "recordStartkwalificatie",
    "post /cases/{caseId}/thuiswerkplan": "recordThuiswerkplan",
    "post /cases/{caseId}/vrijstelling/end": "endVrijstelling",
    "get /cases/{caseId}/notes": "listNotes",
    "post /cases/{caseId}/notes": "addNote",
    "get /cases/{caseId}/notes/{noteId}": "getNote",
    "patch /cases/{caseId}/notes/{noteId}": "editNote",
    "get /cases/{caseId}/documents": "listDocuments",
    "post /cases/{caseId}/documents": "uploadDocument",
    "get /cases/{caseId}/documents/{documentId}": "getDocument",
    "delete /cases/{caseId}/documents/{documentId}": "withdrawDocument",
    "get /cases/{caseId}/documents/{documentId}/download": "downloadDocument",
    "post /cases/{caseId}/links/{linkId}/revoke": "revokeAccessLink",
    "get /search": "searchCases",
    "get /monitor": "getMonitor",
    "get /monitor/quarter": "getQuarterReport",
    "get /monitor/year": "getSchoolYear",
    "get /tasks": "listTasks",
    "post /tasks/bulk": "distributeTasks",
    "get /tasks/{taskId}": "getTask",
    "post /tasks/{taskId}/claim": "claimTask",
    "post /tasks/{taskId}/unclaim": "unclaimTask",
    "post /tasks/{taskId}/complete": "completeTask",
    "post /tasks/{taskId}/follow-up": "setTaskFollowUp",
    "get /notifications": "listNotifications",
    "post /notifications/read-all": "markAllNotificationsRead",
    "get /notifications/{notificationId}": "getNotification",
    "post /notifications/{notificationId}/read": "markNotificationRead",
    "get /worklists": "listWorklists",
    "post /worklists": "saveWorklist",
    "delete /worklists/{worklistId}": "deleteWorklist",
    "get /subscriptions": "listSubscriptions",
    "post /subscriptions": "createSubscription",
    "get /subscriptions/{subscriptionId}": "getSubscription",
    "delete /subscriptions/{subscriptionId}": "endSubscription",
    "get /subscriptions/{subscriptionId}/deliveries": "listDeliveries",
    "post /subscriptions/{subscriptionId}/deliveries/{deliveryId}/redeliver": "redeliverEvent",
}
TAG_TEXT = {
    "auth": "Signing in and out.", "cases": "Cases: signals, the case file's facts.", "tasks": "The task lists and actions.",
    "notifications": "Your notifications.", "worklists": "Your saved task lists.", "search": "Search of your cases.",
    "monitor": "The monitor's aggregate counts.", "schools": "Reference data: schools.",
    "regions": "Reference data: regions.", "teams": "Reference data: teams.",
    "colleagues": "Reference data: colleagues.", "openapi.json": "This document.",
    "oauth": "Access tokens for connected systems (OAuth 2.0 client credentials).",
    "chain": "Absence reports and enrolment changes from the chain (DUO, BRON).",
    "subscriptions": "Connected systems' subscriptions to case events (CloudEvents pushed to a callback).",
}
ANONYMOUS = {"getOpenApiDocument", "obtainToken", "obtainClientToken"}
# Signing out takes a person's token only: a connected system's token is a 401 there, never a 403.
PERSONAL_TOKEN_ONLY = {"logOut", "logOutAll"}
# The answers that carry an ETag (casework.api.conditional): a case's and a note's.
WITH_ETAG = {"getCase", "signalCase", "changeRegistration", "recordParticipation", "recordStartkwalificatie",
             "recordThuiswerkplan",
             "endVrijstelling", "getNote", "addNote", "editNote"}
WITH_IF_MATCH = {"editNote"}
ERROR_TEXT = {
    400: "Invalid input (a parameter, a header or the body; also a query parameter or body field the operation "
         "does not have); `invalidParams` names each one. Nothing was stored.",
    401: "Not signed in: no token, or a wrong, expired or ended one (`Authorization: Token <token>`).",
    403: "Not allowed.",
    404: "No such resource, or not one you may see.",
    409: "Conflict with the resource's current state.",
    412: "The note changed since you read it (`If-Match` names another version): read it again; nothing was "
         "stored.",
    422: "This `Idempotency-Key` was used before for another request (another path or body); use a new key.",
    429: "Too many requests; wait the `Retry-After` seconds.",
}
HEADER = {"$ref": "#/components/headers/API-Version"}
NO_STORE = {"$ref": "#/components/headers/Cache-Control"}
RATE_LIMIT = {name: {"$ref": f"#/components/headers/{name}"}
              for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")}
IDEMPOTENCY_CONFLICT = "A request with this `Idempotency-Key` is still being handled; try again in a moment."
COMPONENT_HEADERS = {
    "API-Version": {"description": "The API's full version (semantic versioning).", "required": True,
                    "schema": {"type": "string", "example": API_VERSION}},
    "Retry-After": {"description": "Seconds to wait before trying again.", "required": True,
                    "schema": {"type": "integer", "minimum": 0}},
    "Cache-Control": {"description": "Always `no-store`: the answer may hold personal data; no cache keeps it.",
                      "required": True, "schema": {"type": "string", "enum": ["no-store"]}},
    "RateLimit-Limit": {"description": "How many requests the tightest rate limit that counted this one allows "
                                       "per window (absent when no limit counted it, e.g. before signing in).",
                        "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Remaining": {"description": "How many requests are left in that window.",
                            "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Reset": {"description": "Seconds until that window frees a request again.",
                        "schema": {"type": "integer", "minimum": 0}},
    "Location": {"description": "The address of the new resource.", "required": True,
                 "schema": {"type": "string", "format": "uri-reference"}},
    "ETag": {"description": "The version of this representation; send it as `If-Match` to change it only if "
                            "nobody changed it since.", "required": True, "schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {"description": "`*`: any web page may read this document (CORS).",
                                    "required": True, "schema": {"type": "string", "enum": ["*"]}},
}
COMPONENT_PARAMETERS = {
    "Idempotency-Key": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "A key of your own for this request (1 to 255 visible ASCII characters, e.g. a UUID). "
                       "Retried with the same key and body within 24 hours, the request is not done again: the "
                       "first answer comes back. The same key with another body is a 422; while the first "
                       "request still runs, a 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}},
    "If-Match": {
        "name": "If-Match", "in": "header", "required": False,
        "description": "The `ETag` you read: the change is made only if the resource is still that version "
                       "(else a 412). Without it the change is made whatever the version.",
        "schema": {"type": "string", "minLength": 1}},
}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
COMPONENT_SCHEMAS = {
    "InvalidParam": {
        "type": "object", "required": ["name", "reason"],
        "properties": {
            "name": {"type": "string", "description": "The field or parameter; nested fields as dotted names "
                                                      "(child.birth_date, tasks.0); non_field_errors for the "
                                                      "whole body."},
            "reason": {"type": "string", "description": "Why it was refused, in the request's language."},
        },
    },
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "description": "An error (RFC 9457, application/problem+json).",
        "properties": {
            "type": {"type": "string", "description": "A URI naming the problem (urn:casework:problem:<status>)."},
            "title": {"type": "string", "description": "A short summary, in the request's language."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong here, in the request's language."},
            "invalidParams": {"type": "array", "items": {"$ref": "#/components/schemas/InvalidParam"},
                              "description": "Only with 400: one entry per refused field."},
            "caseId": {"type": "integer", "description": "Only with signalCase's 409: the child's open case, "
                                                         "to which the signal was added."},
        },
    },
    "TaskStatus": {"type": "string", "enum": ["open", "claimed", "done", "cancelled"],
                   "description": "open: in the team's queue; claimed: someone took it; done; cancelled."},
    "Token": {"type": "object", "required": ["token", "expiresAt"],
              "properties": {
                  "token": {"type": "string", "description": "Send it as `Authorization: Token <token>`. Shown "
                                                             "once: casework keeps only a digest of it."},
                  "expiresAt": {"type": "string", "format": "date-time",
                                "description": "When the token expires (a fixed time after it was issued, "
                                               "however much it is used); then sign in again."}}},
}
