"""The Redis-backed services, or their embedded stand-ins without REDIS_URL: the channel layer,
the cache and Celery (broker, eager mode, the beat schedule)."""

import os

from casework.settings.environment import REDIS_URL, env_bool
from casework.settings.i18n import TIME_ZONE

# --- Redis-backed services, or their embedded stand-ins -------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: a group message is published once and every worker hands it to its
            # sockets in the group. The list-based RedisChannelLayer lost group messages for all the
            # sockets of a worker while other sockets of that worker connected and disconnected
            # (`make load` with reconnecting clients: 25-100 missed per run, with every server;
            # django/channels#1683), and its default capacity of 100 dropped pushes to sockets
            # that lagged behind a burst. A socket that is closed misses what is published
            # meanwhile; the browser fetches what it missed when it reconnects.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 reads with a 5-second socket timeout by default: an idle layer's blocking
            # read then dies with TimeoutError and the browser sees 1011 (django/channels_redis#422).
            # No read timeout; keepalive finds dead connections.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None, "socket_keepalive": True}],
                       "prefix": os.environ.get("CHANNELS_PREFIX", "casework")},
        }
    }
    # Throttle counters, rate limits, the SSO discovery document. While Redis is away the cache
    # acts as an empty one and the request goes on (casework.cache, logged once per outage); a
    # Redis that does not answer costs a request at most one connect timeout.
    CACHES = {
        "default": {
            "BACKEND": "casework.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "casework",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis the broker is kombu's in-process transport (tasks run eagerly anyway); it is named
# with a host, or kombu warns "No hostname was supplied" at every start.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# In-process without Redis; CASEWORK_CELERY_EAGER=1 also with it (the browser tests' live servers
# on PostgreSQL + Redis, where no worker consumes the broker).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CASEWORK_CELERY_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "casework.sweep_deadlines",
        "schedule": float(os.environ.get("CASEWORK_SWEEP_SECONDS", "60")),
    },
    "apply-retention": {"task": "casework.apply_retention", "schedule": 24 * 60 * 60.0},
    "email-unread-notifications": {"task": "notifications.email_unread", "schedule": 60.0},
    "send-notification-digests": {"task": "notifications.send_digests", "schedule": 60 * 60.0},
    "push-pending-notifications": {"task": "notifications.push_pending", "schedule": 30.0},
    "deliver-due-events": {"task": "systems.deliver_due", "schedule": 30.0},
}
